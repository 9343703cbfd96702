"""`paykeep trigger EVENT`: make an event happen for real, by the flow a merchant's integration would run
(API.md §11), for every event type paykeep emits.

Each flow is a few API calls as the official SDKs make them (form-encoded, Bearer key), through a Transport
(testkit/http.py): to a running server, or to the app in this process on a local database. Nothing is
written behind the API's back, so every event carries the objects as the API renders them, in the account's
dialect (or the one asked for), and reaches the account's webhook endpoints like any other. Every object a
flow makes has `metadata[paykeep_trigger]` naming the event it was made for.

Test cards only (API.md §4.1), sent in the request as a merchant's test would; never printed.
"""

from __future__ import annotations

import difflib
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from paykeep.domain.dialects import HEADER as DIALECT_HEADER
from paykeep.domain.events import EVENT_TYPES
from paykeep.testkit.http import Reply, Transport, encode_form

RETURN_URL = "https://example.com/paykeep-trigger/return"
SUCCESS_URL = "https://example.com/paykeep-trigger/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://example.com/paykeep-trigger/cancel"
AMOUNT = 2000
CURRENCY = "usd"

# Test cards (API.md §4.1)
FRICTIONLESS = "4242424242424242"
ALWAYS_CHALLENGED = "4000002760003184"
DECLINED = "4000000000000002"

KINDS = {"cus": "customer", "pm": "payment_method", "seti": "setup_intent", "pi": "payment_intent",
         "ch": "charge", "re": "refund", "cs": "checkout.session", "evt": "event", "we": "webhook_endpoint",
         "clock": "test_helpers.test_clock", "prod": "product", "price": "price"}
DAY_MS = 24 * 3600 * 1000
AUTHORIZATION_DAYS = 7  # an uncaptured authorization is released after 7 days (API.md §11)
CLOCK_WAIT_S = 30.0  # how long an advancing test clock may take to be ready
_LINKED = ("customer", "payment_method", "setup_intent", "payment_intent", "latest_charge", "charge",
           "product", "default_price")
_CSRF = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


class TriggerError(Exception):
    """A flow could not run (the server refused a step, or the event did not appear): one line."""


class UnknownEvent(TriggerError):
    def __init__(self, event: str) -> None:
        self.event = event
        self.suggestions = close_matches(event)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown event {event!r}{hint} (`paykeep trigger --list` lists them)")


@dataclass
class ApiError(TriggerError):
    status: int
    body: dict[str, Any]
    step: str

    def __str__(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        return f"{self.step}: the server answered {self.status}: {message or 'no error message'}"


@dataclass
class Api:
    """The account's API as a flow sees it: calls with the secret key, the objects they made recorded."""

    transport: Transport
    base_url: str
    key: str
    dialect: str | None = None
    made: list[tuple[str, str]] = field(default_factory=list)
    speaks: str | None = None  # the dialect the server answered in (a Stripe-Version header: Stripe's)

    def call(self, method: str, path: str, params: Mapping[str, Any] | None = None, *,
             expect: tuple[int, ...] = (200,)) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.key}"}
        if self.dialect:
            headers[DIALECT_HEADER] = self.dialect
        body = None
        url = self.base_url + path
        if method == "GET":
            if params:
                url += "?" + encode_form(params).decode()
        else:
            body = encode_form(params or {})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        reply = self.transport.request(method, url, headers, body)
        if reply.status < 500:
            self.speaks = "stripe" if "stripe-version" in reply.headers else "wooshpay"
        data = _json_or_empty(reply)
        if reply.status not in expect:
            raise ApiError(reply.status, data, f"{method} {path}")
        if method != "GET":
            self._record(_embedded(data) if reply.status == 402 else data)
        return data

    def page(self, url: str, form: Mapping[str, str] | None = None) -> Reply:
        """A hosted page (no API key: its link is the credential), on this server whatever origin the link
        names (a --public-url behind a proxy)."""
        parts = urlsplit(url)
        target = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        if form is None:
            return self.transport.request("GET", target, {})
        body = urlencode(dict(form)).encode()
        return self.transport.request("POST", target, {"Content-Type": "application/x-www-form-urlencoded"},
                                      body)

    def _record(self, obj: Any) -> None:
        if not isinstance(obj, dict):
            return
        self._note(obj.get("id"))
        for name in _LINKED:
            value = obj.get(name)
            self._note(value.get("id") if isinstance(value, dict) else value)

    def _note(self, object_id: Any) -> None:
        if not isinstance(object_id, str) or "_" not in object_id:
            return
        kind = KINDS.get(object_id.partition("_")[0])
        if kind is not None and kind != "event" and all(object_id != made for _, made in self.made):
            self.made.append((kind, object_id))

    def ids(self) -> set[str]:
        return {object_id for _, object_id in self.made}

    def time_unit_ms(self) -> int:
        """Milliseconds in one unit of the times this account's API takes (Stripe: seconds; WooshPay: ms)."""
        if self.dialect is None and self.speaks is None:
            self.call("GET", "/v1/events", {"limit": 1})
        return 1000 if (self.dialect or self.speaks) == "stripe" else 1


def _json_or_empty(reply: Reply) -> dict[str, Any]:
    try:
        data = reply.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _embedded(data: dict[str, Any]) -> Any:
    """The intent a declined confirm's 402 embeds (`error.payment_intent` / `error.setup_intent`)."""
    error = data.get("error") or {}
    return error.get("payment_intent") or error.get("setup_intent")


# -- the flows ---------------------------------------------------------------------------------------------
Flow = Callable[[Api, str], None]
FLOWS: dict[str, tuple[str, Flow]] = {}


def flow(event: str, description: str) -> Callable[[Flow], Flow]:
    def register(fn: Flow) -> Flow:
        FLOWS[event] = (description, fn)
        return fn

    return register


def _tag(event: str) -> dict[str, str]:
    return {"paykeep_trigger": event}


def _card(number: str) -> dict[str, Any]:
    year = time.gmtime().tm_year + 3
    return {"number": number, "exp_month": 12, "exp_year": year, "cvc": "123"}


def _card_data(number: str) -> dict[str, Any]:
    return {"type": "card", "card": _card(number), "billing_details": {"name": "paykeep trigger"}}


def customer(api: Api, event: str, test_clock: str | None = None) -> str:
    made = api.call("POST", "/v1/customers", {
        "email": f"trigger-{secrets.token_hex(4)}@example.com", "name": "paykeep trigger",
        "description": f"made by paykeep trigger {event}", "metadata": _tag(event), "test_clock": test_clock})
    return str(made["id"])


def payment_method(api: Api, event: str, number: str = FRICTIONLESS) -> str:
    made = api.call("POST", "/v1/payment_methods", {**_card_data(number), "metadata": _tag(event)})
    return str(made["id"])


def attached_payment_method(api: Api, event: str) -> str:
    pm = payment_method(api, event)
    api.call("POST", f"/v1/payment_methods/{pm}/attach", {"customer": customer(api, event)})
    return pm


def setup_intent(api: Api, event: str, number: str | None = None, *, expect: tuple[int, ...] = (200,)
                 ) -> dict[str, Any]:
    params: dict[str, Any] = {"customer": customer(api, event), "payment_method_types": ["card"],
                              "usage": "off_session", "metadata": _tag(event)}
    if number is not None:
        params.update(confirm=True, payment_method_data=_card_data(number), return_url=RETURN_URL)
    return api.call("POST", "/v1/setup_intents", params, expect=expect)


def payment_intent(api: Api, event: str, number: str | None = None, *, expect: tuple[int, ...] = (200,),
                   customer_id: str | None = None, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"amount": AMOUNT, "currency": CURRENCY,
                              "customer": customer_id or customer(api, event),
                              "payment_method_types": ["card"], "description": f"paykeep trigger {event}",
                              "metadata": _tag(event), **extra}
    if number is not None:
        params.update(confirm=True, payment_method_data=_card_data(number), return_url=RETURN_URL)
    return api.call("POST", "/v1/payment_intents", params, expect=expect)


def checkout_session(api: Api, event: str) -> dict[str, Any]:
    return api.call("POST", "/v1/checkout/sessions", {
        "mode": "setup", "payment_method_types": ["card"], "customer": customer(api, event),
        "success_url": SUCCESS_URL, "cancel_url": CANCEL_URL, "metadata": _tag(event)})


@flow("customer.created", "creates a customer")
def _customer_created(api: Api, event: str) -> None:
    customer(api, event)


@flow("customer.updated", "creates a customer and changes its description")
def _customer_updated(api: Api, event: str) -> None:
    api.call("POST", f"/v1/customers/{customer(api, event)}", {"description": "updated by paykeep trigger"})


@flow("customer.deleted", "creates a customer and deletes it")
def _customer_deleted(api: Api, event: str) -> None:
    api.call("DELETE", f"/v1/customers/{customer(api, event)}")


@flow("payment_method.attached", "creates a card PaymentMethod and attaches it to a new customer")
def _pm_attached(api: Api, event: str) -> None:
    attached_payment_method(api, event)


@flow("payment_method.detached", "attaches a card PaymentMethod to a new customer, then detaches it")
def _pm_detached(api: Api, event: str) -> None:
    api.call("POST", f"/v1/payment_methods/{attached_payment_method(api, event)}/detach")


@flow("payment_method.updated", "attaches a card PaymentMethod to a new customer, then changes its "
      "billing name")
def _pm_updated(api: Api, event: str) -> None:
    pm = attached_payment_method(api, event)
    api.call("POST", f"/v1/payment_methods/{pm}", {"billing_details": {"name": "paykeep trigger (updated)"}})


@flow("setup_intent.created", "creates a SetupIntent for a new customer")
def _si_created(api: Api, event: str) -> None:
    setup_intent(api, event)


@flow("setup_intent.succeeded", "saves a card (4242…) with a confirmed SetupIntent")
def _si_succeeded(api: Api, event: str) -> None:
    _expect_status(setup_intent(api, event, FRICTIONLESS), "succeeded")


@flow("setup_intent.requires_action", "confirms a SetupIntent with a card that asks for 3-D Secure")
def _si_requires_action(api: Api, event: str) -> None:
    _expect_status(setup_intent(api, event, ALWAYS_CHALLENGED), "requires_action")


@flow("setup_intent.setup_failed", "confirms a SetupIntent with a declined card (a 402, as expected)")
def _si_failed(api: Api, event: str) -> None:
    setup_intent(api, event, DECLINED, expect=(402,))


@flow("setup_intent.canceled", "creates a SetupIntent and cancels it")
def _si_canceled(api: Api, event: str) -> None:
    api.call("POST", f"/v1/setup_intents/{setup_intent(api, event)['id']}/cancel")


@flow("payment_intent.created", "creates a PaymentIntent for a new customer")
def _pi_created(api: Api, event: str) -> None:
    payment_intent(api, event)


@flow("payment_intent.succeeded", "pays 20.00 USD with a card (4242…)")
def _pi_succeeded(api: Api, event: str) -> None:
    _expect_status(payment_intent(api, event, FRICTIONLESS), "succeeded")


@flow("payment_intent.requires_action", "confirms a payment with a card that asks for 3-D Secure")
def _pi_requires_action(api: Api, event: str) -> None:
    _expect_status(payment_intent(api, event, ALWAYS_CHALLENGED), "requires_action")


@flow("payment_intent.amount_capturable_updated", "authorizes a payment to capture later "
      "(capture_method=manual)")
def _pi_capturable(api: Api, event: str) -> None:
    _expect_status(payment_intent(api, event, FRICTIONLESS, capture_method="manual"), "requires_capture")


@flow("payment_intent.payment_failed", "pays with a declined card (a 402, as expected)")
def _pi_failed(api: Api, event: str) -> None:
    payment_intent(api, event, DECLINED, expect=(402,))


@flow("payment_intent.canceled", "creates a PaymentIntent and cancels it")
def _pi_canceled(api: Api, event: str) -> None:
    api.call("POST", f"/v1/payment_intents/{payment_intent(api, event)['id']}/cancel",
             {"cancellation_reason": "requested_by_customer"})


def _refunded_payment(api: Api, event: str) -> None:
    paid = payment_intent(api, event, FRICTIONLESS)
    _expect_status(paid, "succeeded")
    api.call("POST", "/v1/refunds", {"payment_intent": paid["id"], "reason": "requested_by_customer",
                                     "metadata": _tag(event)})


@flow("charge.refunded", "pays with a card, then refunds the payment")
def _charge_refunded(api: Api, event: str) -> None:
    _refunded_payment(api, event)


@flow("charge.succeeded", "pays 20.00 USD with a card (4242…)")
def _charge_succeeded(api: Api, event: str) -> None:
    _expect_status(payment_intent(api, event, FRICTIONLESS), "succeeded")


@flow("charge.captured", "authorizes a payment (capture_method=manual), then captures its charge")
def _charge_captured(api: Api, event: str) -> None:
    held = payment_intent(api, event, FRICTIONLESS, capture_method="manual")
    _expect_status(held, "requires_capture")
    api.call("POST", f"/v1/charges/{held['latest_charge']}/capture")


@flow("charge.updated", "pays with a card, then sets the charge's description and metadata")
def _charge_updated(api: Api, event: str) -> None:
    paid = payment_intent(api, event, FRICTIONLESS)
    _expect_status(paid, "succeeded")
    api.call("POST", f"/v1/charges/{paid['latest_charge']}", {"description": "paykeep trigger",
                                                             "metadata": _tag(event)})


@flow("refund.created", "pays with a card, then refunds the payment")
def _refund_created(api: Api, event: str) -> None:
    _refunded_payment(api, event)


@flow("checkout.session.completed", "opens a setup-mode Checkout Session and saves a card (4242…) on its "
      "hosted page, as a cardholder would")
def _checkout_completed(api: Api, event: str) -> None:
    session = checkout_session(api, event)
    page = api.page(session["url"])
    found = _CSRF.search(page.text)
    if page.status != 200 or found is None:
        raise TriggerError(f"GET the Checkout page: the server answered {page.status} without the card form")
    card = _card(FRICTIONLESS)
    submitted = api.page(session["url"], {
        "number": card["number"], "exp_month": str(card["exp_month"]), "exp_year": str(card["exp_year"]),
        "cvc": card["cvc"], "name": "paykeep trigger", "csrf_token": found.group(1)})
    if submitted.status != 303:
        raise TriggerError(f"POST the Checkout page: the server answered {submitted.status}, not a redirect")
    _expect_status(api.call("GET", f"/v1/checkout/sessions/{session['id']}"), "complete")


@flow("checkout.session.expired", "opens a setup-mode Checkout Session and expires it")
def _checkout_expired(api: Api, event: str) -> None:
    api.call("POST", f"/v1/checkout/sessions/{checkout_session(api, event)['id']}/expire")


def product(api: Api, event: str, **params: Any) -> dict[str, Any]:
    return api.call("POST", "/v1/products", {"name": f"paykeep trigger {event}", "metadata": _tag(event),
                                             **params})


@flow("product.created", "creates a product")
def _product_created(api: Api, event: str) -> None:
    product(api, event)


@flow("product.updated", "creates a product and changes its description")
def _product_updated(api: Api, event: str) -> None:
    made = product(api, event)
    api.call("POST", f"/v1/products/{made['id']}", {"description": "updated by paykeep trigger"})


@flow("product.deleted", "creates a product and deletes it")
def _product_deleted(api: Api, event: str) -> None:
    api.call("DELETE", f"/v1/products/{product(api, event)['id']}")


def price(api: Api, event: str) -> dict[str, Any]:
    return api.call("POST", "/v1/prices", {"product": product(api, event)["id"], "currency": CURRENCY,
                                           "unit_amount": AMOUNT, "metadata": _tag(event)})


@flow("price.created", "creates a product and a one-time price of it (20.00 USD)")
def _price_created(api: Api, event: str) -> None:
    price(api, event)


@flow("price.updated", "creates a product and a one-time price of it, then archives the price")
def _price_updated(api: Api, event: str) -> None:
    api.call("POST", f"/v1/prices/{price(api, event)['id']}", {"active": False})


def test_clock(api: Api, event: str) -> dict[str, Any]:
    """A test clock frozen at the current time."""
    unit = api.time_unit_ms()
    return api.call("POST", "/v1/test_helpers/test_clocks", {
        "frozen_time": int(time.time() * 1000) // unit, "name": f"paykeep trigger {event}"})


def advanced(api: Api, clock: dict[str, Any], days: int) -> dict[str, Any]:
    """Advance `clock` by `days`, then wait (bounded) until it is ready again: the effects due meanwhile
    happen on the way (the server carries them out right after answering `advancing`)."""
    target = clock["frozen_time"] + days * DAY_MS // api.time_unit_ms()
    path = f"/v1/test_helpers/test_clocks/{clock['id']}"
    current = api.call("POST", path + "/advance", {"frozen_time": target})
    deadline = time.monotonic() + CLOCK_WAIT_S
    while current.get("status") != "ready":
        if time.monotonic() > deadline:
            raise TriggerError(f"test clock {clock['id']} was still {current.get('status')!r} after "
                               f"{CLOCK_WAIT_S:g} s")
        time.sleep(0.05)
        current = api.call("GET", path)
    return current


@flow("charge.expired", "authorizes a payment (capture_method=manual) of a customer on a test clock, then "
      "advances the clock past the authorization's 7 days")
def _charge_expired(api: Api, event: str) -> None:
    clock = test_clock(api, event)
    held = payment_intent(api, event, FRICTIONLESS, customer_id=customer(api, event, test_clock=clock["id"]),
                          capture_method="manual")
    _expect_status(held, "requires_capture")
    advanced(api, clock, AUTHORIZATION_DAYS + 1)
    _expect_status(api.call("GET", f"/v1/payment_intents/{held['id']}"), "canceled")


@flow("test_helpers.test_clock.created", "creates a test clock frozen at the current time")
def _clock_created(api: Api, event: str) -> None:
    test_clock(api, event)


@flow("test_helpers.test_clock.advancing", "creates a test clock and advances it by a day")
def _clock_advancing(api: Api, event: str) -> None:
    advanced(api, test_clock(api, event), 1)


@flow("test_helpers.test_clock.ready", "creates a test clock, advances it by a day and waits until it is "
      "ready")
def _clock_ready(api: Api, event: str) -> None:
    advanced(api, test_clock(api, event), 1)


@flow("test_helpers.test_clock.deleted", "creates a test clock and deletes it")
def _clock_deleted(api: Api, event: str) -> None:
    api.call("DELETE", f"/v1/test_helpers/test_clocks/{test_clock(api, event)['id']}")


def _expect_status(obj: dict[str, Any], status: str) -> None:
    if obj.get("status") != status:
        kind = str(obj.get("object", "object"))
        raise TriggerError(f"{kind} {obj.get('id')} is {obj.get('status')!r}, not {status!r}")


# -- running one ---------------------------------------------------------------------------------------------
def events() -> list[str]:
    """The events `paykeep trigger` can make: every type paykeep emits (domain/events.py), in its order."""
    return [name for name in EVENT_TYPES if name in FLOWS]


def describe(event: str) -> str:
    return FLOWS[event][0]


def close_matches(event: str) -> list[str]:
    names = events()
    found = [name for name in names if event and (name.startswith(event) or event in name)]
    for name in difflib.get_close_matches(event, names, n=3, cutoff=0.6):
        if name not in found:
            found.append(name)
    return found[:5]


@dataclass(frozen=True)
class Triggered:
    event: str
    objects: list[tuple[str, str]]  # (kind, id) in the order made
    event_ids: list[str]  # the events of that type about them

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.event, "objects": [{"object": kind, "id": object_id}
                                                 for kind, object_id in self.objects],
                "events": self.event_ids}


def trigger(api: Api, event: str) -> Triggered:
    """Run the flow of `event`; returns what it made and the events of that type it caused. Raises
    UnknownEvent, TriggerError (a step was refused, or the event did not appear)."""
    if event not in FLOWS or event not in EVENT_TYPES:
        raise UnknownEvent(event)
    FLOWS[event][1](api, event)
    mine = api.ids()
    listed = api.call("GET", "/v1/events", {"type": event, "limit": 100})
    found = [e["id"] for e in reversed(listed.get("data", []))
             if ((e.get("data") or {}).get("object") or {}).get("id") in mine]
    if not found:
        raise TriggerError(f"the flow ran but no {event} event about its objects was recorded")
    return Triggered(event, list(api.made), found)
