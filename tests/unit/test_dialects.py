"""The two dialects (API.md §8): how a rendered body is written out in Stripe's, ids in each form, parsing."""

from __future__ import annotations

import copy

import pytest

from paykeep.domain.dialects import STRIPE_API_VERSION, Dialect, parse_dialect, stripe_version
from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.ids import IdFactory, looks_like
from paykeep.wire.customers import CustomerList
from paykeep.wire.dialects import in_dialect, in_stored_units
from paykeep.wire.params import CreatedFilter

INTENT = {
    "id": "pi_1838767497487056896",
    "object": "payment_intent",
    "amount": 1000,
    "created": 1_700_000_000_123,
    "canceled_at": None,
    "currency": "USD",
    "merchant_order_id": "order-1",
    "livemode": False,
    "metadata": {"created": "1700000000123", "currency": "USD", "merchant_order_id": "kept"},
    "next_action": {"type": "challenge_redirect",
                    "challenge_redirect": {"url": "http://127.0.0.1/3ds/x", "return_url": "https://m.example/r"}},
    "payment_method_options": {"card": {"request_three_d_secure": "auto"}},
    "latest_charge": {"id": "ch_1", "object": "charge", "created": 1_700_000_001_999, "currency": "USD",
                      "refunds": {"object": "list", "data": [{"id": "re_1", "created": 1_700_000_002_000,
                                                              "currency": "USD"}]}},
}


def test_wooshpay_is_the_body_itself() -> None:
    assert in_dialect(INTENT, Dialect.WOOSHPAY) is INTENT


def test_stripe_writes_seconds_lower_case_currency_and_stripe_names() -> None:
    before = copy.deepcopy(INTENT)
    out = in_dialect(INTENT, Dialect.STRIPE)
    assert before == INTENT  # the stored form is never changed
    assert out["created"] == 1_700_000_000 and out["canceled_at"] is None
    assert out["currency"] == "usd"
    assert "merchant_order_id" not in out
    assert out["next_action"] == {"type": "redirect_to_url", "redirect_to_url": {
        "url": "http://127.0.0.1/3ds/x", "return_url": "https://m.example/r"}}
    assert out["payment_method_options"] == {"card": {"request_three_d_secure": "automatic"}}
    charge = out["latest_charge"]
    assert (charge["created"], charge["currency"]) == (1_700_000_001, "usd")
    assert charge["refunds"]["data"][0] == {"id": "re_1", "created": 1_700_000_002, "currency": "usd"}
    assert out["metadata"] == INTENT["metadata"]  # the merchant's own values
    assert out["amount"] == 1000 and out["livemode"] is False


def test_stripe_events_carry_the_version_in_effect_and_their_object_in_stripe_form() -> None:
    event = {"id": "evt_1", "object": "event", "api_version": "2024-06-01", "created": 1_700_000_000_500,
             "data": {"object": INTENT, "previous_attributes": {"created": 1_699_999_999_000}}}
    out = in_dialect(event, Dialect.STRIPE, "2023-10-16")
    assert out["api_version"] == "2023-10-16" and out["created"] == 1_700_000_000
    assert out["data"]["object"]["currency"] == "usd"
    assert out["data"]["previous_attributes"] == {"created": 1_699_999_999}
    assert in_dialect(event, Dialect.STRIPE)["api_version"] == STRIPE_API_VERSION


def test_errors_with_an_embedded_intent() -> None:
    envelope = {"error": {"type": "card_error", "code": "card_declined", "payment_intent": INTENT}}
    out = in_dialect(envelope, Dialect.STRIPE)
    assert out["error"]["payment_intent"]["created"] == 1_700_000_000
    assert out["error"]["code"] == "card_declined"


def test_booleans_are_not_times() -> None:
    assert in_dialect({"created": True, "x_at": False}, Dialect.STRIPE) == {"created": True, "x_at": False}


def test_time_inputs_are_read_in_the_dialects_unit() -> None:
    params = CustomerList(created=CreatedFilter(gte=1_700_000_000, lt=1_700_000_100))
    stored = in_stored_units(params, Dialect.STRIPE)
    assert stored.created == CreatedFilter(gte=1_700_000_000_000, lt=1_700_000_100_000)
    assert in_stored_units(params, Dialect.WOOSHPAY) is params
    # a second stands for all of its milliseconds
    bounds = CustomerList(created=CreatedFilter(lte=5, gt=3))
    assert in_stored_units(bounds, Dialect.STRIPE).created == CreatedFilter(lte=5999, gt=3999)
    exact = in_stored_units(CustomerList(created=5), Dialect.STRIPE)
    assert exact.created == CreatedFilter(gte=5000, lte=5999)


def test_ids_in_each_form_sort_together_by_time() -> None:
    clock = iter(range(1_700_000_000_000, 1_700_000_000_100))
    ids = IdFactory(now_ms=lambda: next(clock), node=7)
    made = [ids.new("cus", Dialect.STRIPE if i % 2 else Dialect.WOOSHPAY) for i in range(20)]
    assert made == sorted(made)  # time order is string order, whichever form
    for i, object_id in enumerate(made):
        assert looks_like(object_id, "cus")
        assert len(object_id) - len("cus_") == (24 if i % 2 else 19)
        assert object_id[4:].isalnum()
    assert ids.new("req", Dialect.STRIPE)[4:].isdigit()  # only the API's objects take Stripe's form


def test_looks_like_refuses_other_suffixes() -> None:
    assert not looks_like("cus_1838767497487056896abc", "cus")
    assert not looks_like("cus_1838767497487056896ab-de", "cus")
    assert looks_like("cus_1838767497487056896aZ3kQ", "cus")


@pytest.mark.parametrize("text,expected", [("stripe", Dialect.STRIPE), (" Stripe ", Dialect.STRIPE),
                                           ("wooshpay", Dialect.WOOSHPAY)])
def test_parse_dialect(text: str, expected: Dialect) -> None:
    assert parse_dialect(text) is expected


@pytest.mark.parametrize("text", ["", "klingon", "stripe2", None])
def test_an_unknown_dialect_is_a_400_naming_the_header(text: str | None) -> None:
    with pytest.raises(ParameterInvalid) as raised:
        parse_dialect(text)
    assert raised.value.param == "Paykeep-Dialect"


def test_stripe_version() -> None:
    assert stripe_version(None) == STRIPE_API_VERSION
    assert stripe_version("2023-10-16") == "2023-10-16"
    assert stripe_version("x" * 50) == "x" * 20  # any version is accepted, cut to the column's size
