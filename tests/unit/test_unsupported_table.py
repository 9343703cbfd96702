"""wire/unsupported.py, the one table of parameters paykeep refuses on purpose, and web/api/params.py, which
reads it only when pydantic has already refused a key as unknown (API.md §9)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from pydantic import BaseModel

import paykeep.wire
from paykeep.domain.errors import ParameterUnknown, ParameterUnsupported
from paykeep.web.api.params import validate
from paykeep.wire import unsupported
from paykeep.wire.params import Params
from paykeep.wire.payment_intents import PaymentIntentCreate
from paykeep.wire.payment_methods import PaymentMethodCreate
from paykeep.wire.unsupported import CONNECT, NON_CARD, RADAR, TERMINAL, reason_for, refused


def _all_params_models() -> list[type[BaseModel]]:
    for module in pkgutil.iter_modules(paykeep.wire.__path__):
        importlib.import_module(f"paykeep.wire.{module.name}")
    seen: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [Params]
    while pending:
        cls = pending.pop()
        seen.append(cls)
        pending.extend(cls.__subclasses__())
    return seen


def test_no_parameter_paykeep_accepts_matches_the_table():
    """A name any request model takes is never a refused name, nor a non-card payment method type's hash."""
    clashes = []
    for model in _all_params_models():
        beside_card = "card" in model.model_fields
        for name in model.model_fields:
            if reason_for((name,), beside_card=beside_card) is not None:
                clashes.append(f"{model.__module__}.{model.__name__}.{name}")
            if name in unsupported.PAYMENT_METHOD_TYPES and name != "card":
                clashes.append(f"{model.__module__}.{model.__name__}.{name} (a payment method type)")
    assert not clashes


@pytest.mark.parametrize(("path", "reason"), [
    (("on_behalf_of",), CONNECT),
    (("payment_intent_data", "transfer_data"), CONNECT),
    (("connected_account_id",), CONNECT),
    (("fraud_details",), RADAR),
    (("payment_method_data", "radar_options"), RADAR),
    (("payment_method_options", "card_present"), TERMINAL),
    (("payment_method_options", "sepa_debit"), NON_CARD),
    (("amount_details", "line_items", 0, "payment_method_options", "klarna"), NON_CARD),
    (("payment_method_options", "card"), None),
    (("sepa_debit",), None),  # only where the hash beside it takes `card` (a PaymentMethod's top level)
    (("shipping", "name"), None),
    (("metadata", 0), None),
])
def test_reason_for(path: tuple[Any, ...], reason: str | None) -> None:
    assert reason_for(path) == reason


def test_refused_looks_inside_an_unknown_hash_but_not_into_metadata():
    found = refused(PaymentIntentCreate, ("amount_details",),
                    {"line_items": [{"payment_method_options": {"paypal": {}}}]})
    assert found == (("amount_details", "line_items", 0, "payment_method_options", "paypal"), NON_CARD)
    assert refused(PaymentIntentCreate, ("payment_intent_data",), {"metadata": {"on_behalf_of": "x"}}) is None
    assert refused(PaymentMethodCreate, ("sepa_debit",), {"iban": "DE89"}) == (("sepa_debit",), NON_CARD)
    assert refused(PaymentIntentCreate, ("amount",), 5) is None  # a field of the model is never refused


def test_validate_answers_parameter_unsupported_with_the_outermost_name():
    with pytest.raises(ParameterUnsupported) as exc:
        validate(PaymentIntentCreate, {"amount": 1, "currency": "usd",
                                       "transfer_data": {"destination": "acct_1"}})
    assert (exc.value.code, exc.value.param) == ("parameter_unsupported", "transfer_data")
    assert exc.value.reason == CONNECT
    assert exc.value.message == f"Received unsupported parameter: transfer_data. {CONNECT}"
    with pytest.raises(ParameterUnsupported) as exc:
        validate(PaymentIntentCreate, {"amount": 1, "currency": "usd",
                                       "payment_method_options": {"sepa_debit": {"setup_future_usage": "x"}}})
    assert exc.value.param == "payment_method_options[sepa_debit]"
    with pytest.raises(ParameterUnknown) as unknown:
        validate(PaymentIntentCreate, {"amount": 1, "currency": "usd", "colour": "red"})
    assert unknown.value.param == "colour"
