"""Checkout Sessions: POST /v1/checkout/sessions[/setup], retrieve, list, expire; completion; expiry.

Setup mode owns a SetupIntent, payment mode a PaymentIntent and line items (services/checkout_payment.py).
The hosted page's own use cases (load by link, submit a card, come back from the challenge) are in
`services/checkout_page.py`.
"""

from __future__ import annotations

import hmac
from typing import Any

from paykeep.domain import checkout_sessions as rules
from paykeep.domain.checkout_sessions import CheckoutSession
from paykeep.domain.checkout_sessions import CheckoutSessionStatus as Status
from paykeep.domain.customers import Customer
from paykeep.domain.errors import ParameterInvalid, ParameterMissing
from paykeep.domain.events import DomainEvent
from paykeep.domain.metadata import merge_metadata
from paykeep.services import checkout_payment, customers, payment_intents, setup_intents
from paykeep.services.clock_time import clock_now
from paykeep.services.common import blank_to_none, load, page
from paykeep.services.ports import Caller, Context, Declined, Deps
from paykeep.services.transactions import transaction
from paykeep.wire.checkout_sessions import CheckoutSessionCreate, CheckoutSessionList, render_checkout_session
from paykeep.wire.customers import CustomerCreate
from paykeep.wire.params import created_filters
from paykeep.wire.payment_intents import PaymentIntentCancel
from paykeep.wire.setup_intents import SetupIntentCancel, SetupIntentCreate

SUPPORTED_MODES = ("setup", "payment")
KNOWN_MODES = ("payment", "setup", "subscription")
EXPIRY_BATCH = 100
_NOT_CANCELABLE = ("succeeded", "canceled", "processing")
_URL_KEY_CHARS = 40  # hex characters of the keyed hash in the hosted link: 160 bits


# -- the hosted link ------------------------------------------------------------------------------------
def url_key(deps: Deps, session_id: str) -> str:
    """The unguessable `key` of a session's hosted link: a keyed hash of its id (nothing stored)."""
    return deps.secrets.keyed_hash("lookup", f"checkout_session_url:{session_id}".encode())[:_URL_KEY_CHARS]


def hosted_url(deps: Deps, session: CheckoutSession) -> str:
    """`<public url>/checkout/setup/cs_test_<digits>?key=<key>`, like WooshPay's hosted setup page
    (`/checkout/pay/…` in payment mode)."""
    return _hosted_url(deps, session.id, session.livemode, session.mode)


def _hosted_url(deps: Deps, session_id: str, livemode: bool, mode: str = "setup") -> str:
    path_id = rules.hosted_id(session_id, livemode)
    kind = "pay" if mode == "payment" else "setup"
    return f"{deps.public_url.rstrip('/')}/checkout/{kind}/{path_id}?key={url_key(deps, session_id)}"


def key_matches(deps: Deps, session_id: str, key: str) -> bool:
    return hmac.compare_digest(url_key(deps, session_id).encode(), (key or "").encode())


def render(deps: Deps, session: CheckoutSession) -> dict[str, Any]:
    """The session's JSON object with its hosted `url` (API responses, events, the dashboard)."""
    return render_checkout_session(session, url=hosted_url(deps, session))


# -- API use cases --------------------------------------------------------------------------------------
def _check_mode(mode: str | None, *, mode_required: bool) -> str:
    if mode is None or mode == "":
        if mode_required:
            raise ParameterMissing("mode")
        return "setup"
    if mode not in KNOWN_MODES:
        raise ParameterInvalid("mode", f"Invalid mode: must be one of {', '.join(KNOWN_MODES)}.")
    if mode not in SUPPORTED_MODES:
        raise ParameterInvalid(
            "mode",
            f"mode={mode} is not supported: paykeep has no subscriptions. Use mode=payment (a one-time "
            "payment) or mode=setup (save a card).",
        )
    return mode


def _check_payment_method_types(values: list[str] | None) -> list[str]:
    if values is None:
        return ["card"]
    if not values:
        raise ParameterInvalid("payment_method_types", "payment_method_types must contain at least one type.",
                               code="parameter_invalid_empty")
    for index, value in enumerate(values):
        if value != "card":
            raise ParameterInvalid(
                f"payment_method_types[{index}]",
                f"Invalid payment_method_types[{index}]: {value!r} is not supported in setup mode; "
                "the only payment method type is `card`.",
            )
    return ["card"]


def _customer_for(ctx: Context, params: CheckoutSessionCreate,
                  mode: str) -> tuple[Customer | None, str | None]:
    customer_id = blank_to_none(params.customer)
    email = blank_to_none(params.customer_email)
    if customer_id is not None and email is not None:
        raise ParameterInvalid("customer_email", "You may only specify one of these parameters: customer, "
                               "customer_email. The customer's own email is used when `customer` is given.")
    if customer_id is not None:
        return customers.live_customer(ctx, customer_id), None
    if email is not None and ("@" not in email or any(c.isspace() for c in email)):
        raise ParameterInvalid("customer_email", f"Invalid email address: {email[:200]}")
    if mode == "payment" and not checkout_payment.needs_customer(params):
        return None, params.customer_creation or "if_required"
    # Through the customers use case, so customer.created fires.
    created = customers.create_customer(ctx, CustomerCreate.model_validate({"email": email}))
    return created, (params.customer_creation or "if_required") if mode == "payment" else "always"


def create_checkout_session(ctx: Context, params: CheckoutSessionCreate, *,
                            mode_required: bool) -> CheckoutSession:
    """POST /v1/checkout/sessions (mode required) and POST /v1/checkout/sessions/setup (mode optional).

    The session owns its intent from the start (setup_intent.created or payment_intent.created fires now);
    the intent's return_url is the session's hosted page, so a 3-D Secure challenge comes back to it.
    """
    mode = _check_mode(params.mode, mode_required=mode_required)
    if mode == "payment" and not mode_required:
        raise ParameterInvalid("mode", "POST /v1/checkout/sessions/setup makes setup-mode sessions "
                                       "(mode=setup): create a mode=payment session with "
                                       "POST /v1/checkout/sessions.")
    checkout_payment.check_payment_params(params, mode)
    success_url = rules.check_redirect_url("success_url", params.success_url)
    cancel_url = None
    if blank_to_none(params.cancel_url) is not None:
        cancel_url = rules.check_redirect_url("cancel_url", str(params.cancel_url))
    types = _check_payment_method_types(params.payment_method_types)
    metadata = merge_metadata(None, params.metadata)
    lines, currency = checkout_payment.build_line_items(ctx, params.line_items or []) if mode == "payment" \
        else ([], None)
    customer, creation = _customer_for(ctx, params, mode)
    clock = customer.test_clock if customer else None
    now = clock_now(ctx, clock)  # a test clock's customer: its 24 hours are the clock's
    session_id = ctx.new_id("cs")
    return_url = _hosted_url(ctx.deps, session_id, ctx.caller.livemode, mode)
    payment: dict[str, Any] = {}
    setup_intent = None
    if mode == "payment":
        assert currency is not None
        total = rules.total_of(lines)
        intent_id = checkout_payment.create_intent(ctx, params, amount=total, currency=currency,
                                                   customer=customer.id if customer else None,
                                                   return_url=return_url, metadata=metadata)
        payment = {"line_items": lines, "currency": currency, "amount_subtotal": total, "amount_total": total,
                   "submit_type": params.submit_type, "payment_status": "unpaid", "payment_intent": intent_id}
    else:
        assert customer is not None
        intent = setup_intents.create_setup_intent(ctx, SetupIntentCreate.model_validate({  # .created
            "customer": customer.id, "usage": "off_session", "payment_method_types": ["card"],
            "return_url": return_url, "metadata": metadata or None,
        }))
        assert not isinstance(intent, Declined)  # not confirmed: never Declined
        setup_intent = intent["id"]
    email = blank_to_none(params.customer_email)
    session = CheckoutSession(
        id=session_id,
        account_id=ctx.caller.account_id,
        livemode=ctx.caller.livemode,
        created=now,
        metadata=metadata,
        mode=mode,
        status=Status.OPEN,
        customer=customer.id if customer else None,
        customer_creation=creation,
        customer_email=email,
        customer_details={
            "email": customer.email if customer else email,
            "name": customer.name if customer else None,
            "phone": customer.phone if customer else None,
            "address": customer.address if customer else None,
        },
        setup_intent=setup_intent,
        success_url=success_url,
        cancel_url=cancel_url,
        client_reference_id=blank_to_none(params.client_reference_id),
        payment_method_types=types,
        expires_at=rules.expires_at(now),
        completed_at=None,
        test_clock=clock,
        **payment,
    )
    ctx.uow.checkout_sessions.add(session)
    return session


def retrieve_checkout_session(ctx: Context, session_id: str) -> CheckoutSession:
    """GET /v1/checkout/sessions/{id}"""
    return load(ctx, ctx.uow.checkout_sessions, "checkout session", session_id)


def list_checkout_sessions(ctx: Context, params: CheckoutSessionList) -> tuple[list[CheckoutSession], bool]:
    """GET /v1/checkout/sessions (newest first; customer, setup_intent, payment_intent, status, created)."""
    status = blank_to_none(params.status)
    if status is not None and status not in {s.value for s in Status}:
        raise ParameterInvalid("status", "Invalid status: must be one of open, complete, expired.")
    return page(ctx, ctx.uow.checkout_sessions, "checkout session", params,
                customer=blank_to_none(params.customer),
                setup_intent=blank_to_none(params.setup_intent),
                payment_intent=blank_to_none(params.payment_intent),
                status=status, **created_filters(params.created))


def expire_checkout_session(ctx: Context, session_id: str) -> CheckoutSession:
    """POST /v1/checkout/sessions/{id}/expire: only an open session; its intent is canceled."""
    session = settle(ctx, load(ctx, ctx.uow.checkout_sessions, "checkout session", session_id,
                               for_update=True))
    # A session whose card was saved meanwhile is complete now, not expirable: expired() says so (a 400).
    return expire_open_session(ctx, session)


# -- transitions ----------------------------------------------------------------------------------------
def expire_open_session(ctx: Context, session: CheckoutSession) -> CheckoutSession:
    """open -> expired (checkout.session.expired); the intent, unless it succeeded, is canceled."""
    expired = session.expired()
    ctx.uow.checkout_sessions.save(expired)
    intent = checkout_payment.intent_of(ctx, session)
    if intent is not None and intent["status"] not in _NOT_CANCELABLE and session.mode == "payment":
        payment_intents.cancel_payment_intent(ctx, intent["id"],
                                              PaymentIntentCancel(cancellation_reason="abandoned"))
    elif intent is not None and intent["status"] not in _NOT_CANCELABLE:
        abandoned = SetupIntentCancel(cancellation_reason="abandoned")
        setup_intents.cancel_setup_intent(ctx, intent["id"], abandoned)
    ctx.emit("checkout.session.expired", render(ctx.deps, expired), row=expired)
    return expired


def complete(ctx: Context, session: CheckoutSession, intent: Any) -> CheckoutSession:
    """The session's SetupIntent (an entity or a row: read by name) succeeded, or its PaymentIntent was paid
    or authorized: the session is complete (checkout.session.completed)."""
    details = dict(session.customer_details or {})
    pm_id = intent.get("payment_method")
    pm = ctx.uow.payment_methods.get(ctx.scope, pm_id) if pm_id else None
    if pm is not None and not details.get("name"):
        details["name"] = (pm.get("billing_details") or {}).get("name")
    paid = checkout_payment.payment_status_of(intent) if session.mode == "payment" else None
    completed = session.completed(clock_now(ctx, session.test_clock), details, paid)
    ctx.uow.checkout_sessions.save(completed)
    ctx.emit("checkout.session.completed", render(ctx.deps, completed), row=completed)
    return completed


def settle(ctx: Context, session: CheckoutSession) -> CheckoutSession:
    """Complete an open session whose SetupIntent has succeeded (PaymentIntent: paid or authorized); the
    session as it is now."""
    if session.status == Status.OPEN:
        intent = checkout_payment.intent_of(ctx, session)
        done = (checkout_payment.payment_status_of(intent) is not None if session.mode == "payment"
                else intent is not None and intent["status"] == "succeeded")
        if intent is not None and done:
            return complete(ctx, session, intent)
    return session


def on_setup_intent_succeeded(ctx: Context, event: DomainEvent) -> None:
    """The handler of `setup_intent.succeeded` (registered by bootstrap): a Checkout Session owning the intent
    completes in the same transaction (checkout.session.completed), whether the confirm came from its hosted
    page, the challenge page or the API."""
    intent = event.row if event.row is not None else event.object
    owners = ctx.uow.checkout_sessions.find(ctx.scope, setup_intent=intent["id"], status=Status.OPEN.value)
    for session in owners:
        complete(ctx, session, intent)


def on_payment_intent_paid(ctx: Context, event: DomainEvent) -> None:
    """The handler of `payment_intent.succeeded` and `.amount_capturable_updated` (registered by bootstrap): a
    Checkout Session owning the intent completes in the same transaction (checkout.session.completed)."""
    intent = event.row if event.row is not None else event.object
    owners = ctx.uow.checkout_sessions.find(ctx.scope, payment_intent=intent["id"], status=Status.OPEN.value)
    for session in owners:
        complete(ctx, session, intent)


# -- the timed job --------------------------------------------------------------------------------------
def expire_due_sessions(deps: Deps, *, batch: int = EXPIRY_BATCH, max_batches: int = 100) -> int:
    """Expire every open session whose expires_at has passed (checkout.session.expired); return how many.
    Sessions on a test clock are not these: their 24 hours are the clock's (services/test_clocks.py).

    A session whose SetupIntent succeeded is completed instead. Each session is handled in its own
    transaction, so one failure does not hold back the others; the loop is bounded.
    """
    handled = 0
    for _ in range(max_batches):
        now = deps.clock.now_ms()
        with deps.begin(write=False) as uow:
            due = uow.checkout_sessions.find(None, limit=batch, status=Status.OPEN.value, expires_at__lte=now,
                                             test_clock__isnull=True)
        for candidate in due:
            with transaction(deps, Caller(candidate.account_id, candidate.livemode)) as ctx:
                session = ctx.uow.checkout_sessions.get(ctx.scope, candidate.id, for_update=True)
                if (session is None or session.status != Status.OPEN or session.expires_at > now
                        or session.test_clock is not None):
                    continue
                session = settle(ctx, session)
                if session.status == Status.OPEN:
                    expire_open_session(ctx, session)
                    handled += 1
        if len(due) < batch:
            break
    return handled
