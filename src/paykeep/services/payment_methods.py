"""PaymentMethods: POST/GET /v1/payment_methods[/{id}], attach, detach; /v1/customers/{id}/payment_methods.

The card number goes to the vault as it arrives (ciphertext + fingerprint); the CVC is handed back to the
caller in memory only, for the confirm that uses it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paykeep.domain import test_payment_methods as stripe_test_ids
from paykeep.domain.cards import CardDetails, CardNumber, check_card, check_expiry
from paykeep.domain.errors import InvalidRequest, ParameterMissing, ResourceMissing
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.payment_methods import PaymentMethod
from paykeep.services.common import load, page
from paykeep.services.events import previous_attributes
from paykeep.services.ports import Context
from paykeep.wire.payment_methods import (
    CustomerPaymentMethodList,
    PaymentMethodAttach,
    PaymentMethodCreate,
    PaymentMethodList,
    PaymentMethodUpdate,
    render_payment_method,
)

_BILLING_FIELDS = ("email", "name", "phone")
_ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
UNEXPECTED_STATE = "payment_method_unexpected_state"


def _aad(pm_id: str) -> bytes:
    return f"payment_method:{pm_id}".encode()


def _year_month(ctx: Context) -> tuple[int, int]:
    now = datetime.fromtimestamp(ctx.now_ms() / 1000, tz=UTC)
    return now.year, now.month


def _billing_details(raw: Any, current: dict[str, Any] | None = None) -> dict[str, Any]:
    """Known billing fields only; given fields replace the current ones, `""` unsets."""
    details = dict(current or {})
    if hasattr(raw, "model_dump"):
        raw = raw.model_dump(exclude_unset=True)
    if not isinstance(raw, dict):
        return details
    for name in _BILLING_FIELDS:
        if name in raw:
            details[name] = raw[name] or None
    if "address" in raw:
        address = raw["address"]
        if hasattr(address, "model_dump"):
            address = address.model_dump(exclude_unset=True)
        if isinstance(address, dict):
            merged = dict(details.get("address") or {})
            merged.update({k: (address[k] or None) for k in _ADDRESS_FIELDS if k in address})
            details["address"] = merged
        else:
            details["address"] = None
    return details


def _card_values(card: Any, param_prefix: str) -> dict[str, Any]:
    values = card.model_dump() if hasattr(card, "model_dump") else dict(card or {})
    for name in ("number", "exp_month", "exp_year"):
        if values.get(name) is None or values.get(name) == "":
            raise ParameterMissing(f"{param_prefix}[{name}]")
    return values


# -- the helpers other slices use (SetupIntents, PaymentIntents, Checkout) -----------------------------------
def create_payment_method_from_card(
    ctx: Context, card: dict[str, Any], billing_details: dict[str, Any] | None = None, *,
    param_prefix: str = "payment_method_data[card]", metadata: Any = None, funding: str = "credit",
) -> tuple[PaymentMethod, CardDetails]:
    """Check the card's form (402 card_error naming the field), store the number in the vault and insert the
    PaymentMethod. Returns the PaymentMethod and the checked CardDetails: its Cvc lives in memory only."""
    values = _card_values(card, param_prefix)
    year, month = _year_month(ctx)
    details = check_card(values["number"], values["exp_month"], values["exp_year"], values.get("cvc"),
                         values.get("name"), year_now=year, month_now=month)
    pm_id = ctx.new_id("pm")
    ciphertext, key_version, fingerprint = ctx.deps.vault.store(details.number, _aad(pm_id), ctx.uow)
    billing = _billing_details(billing_details)
    if details.name and not billing.get("name"):
        billing["name"] = details.name
    pm = PaymentMethod(
        id=pm_id, account_id=ctx.caller.account_id, livemode=ctx.caller.livemode, created=ctx.now_ms(),
        metadata=merge_metadata(None, metadata) if metadata else {}, billing_details=billing,
        card_brand=details.brand, card_last4=details.number.last4, card_exp_month=details.exp_month,
        card_exp_year=details.exp_year, card_fingerprint=fingerprint, card_funding=funding,
        card_country="US",
        card_cvc_check="pass" if details.cvc is not None else None, card_ciphertext=ciphertext,
        card_key_version=key_version,
    )
    ctx.uow.payment_methods.add(pm)
    return pm, details


def load_payment_method(ctx: Context, pm_id: str, *, param: str = "id",
                        for_update: bool = False) -> PaymentMethod:
    """The PaymentMethod a caller names (404 resource_missing naming `param`). In test mode one of Stripe's
    test ids (`pm_card_visa`, `tok_visa`: domain/test_payment_methods.py) makes a fresh PaymentMethod of
    its test card, whose new id the caller uses from then on."""
    fresh = _fresh_test_payment_method(ctx, pm_id, param)
    if fresh is not None:
        return fresh
    return load(ctx, ctx.uow.payment_methods, "PaymentMethod", pm_id, param=param, for_update=for_update)


def _fresh_test_payment_method(ctx: Context, pm_id: str, param: str) -> PaymentMethod | None:
    """A new PaymentMethod of the test card a Stripe test id stands for, made as one from
    `payment_method_data` is (the number goes to the vault); None for any other id, or with a live key."""
    if ctx.caller.livemode:
        return None
    card = stripe_test_ids.card_for(pm_id)
    if card is None:
        reason = stripe_test_ids.unmatched(pm_id)
        if reason is not None:
            raise stripe_test_ids.NoMatchingTestCard(pm_id, reason, param)
        return None
    year, _month = _year_month(ctx)
    values = {"number": card.number, "exp_month": stripe_test_ids.EXP_MONTH,
              "exp_year": year + stripe_test_ids.EXP_YEARS_AHEAD, "cvc": card.cvc}
    pm, _details = create_payment_method_from_card(ctx, values, funding=card.funding)
    return pm


def usable_payment_method(ctx: Context, pm_id: str, *, customer_id: str | None,
                          param: str = "payment_method") -> PaymentMethod:
    """A PaymentMethod an intent of `customer_id` may use: 404 if unknown; 400 if detached, or attached to
    another customer (or to any customer when the intent has none). A Stripe test id makes a fresh one."""
    pm = load_payment_method(ctx, pm_id, param=param)
    if pm.detached:
        raise InvalidRequest(
            "This PaymentMethod was previously detached from a Customer and may not be used again.",
            code=UNEXPECTED_STATE, param=param)
    if pm.customer is not None and pm.customer != customer_id:
        message = (f"The provided PaymentMethod was previously attached to a Customer ({pm.customer}). "
                   "To use it, provide the same Customer." if customer_id is None else
                   "The provided PaymentMethod belongs to another Customer and cannot be used with this one.")
        raise InvalidRequest(message, code=UNEXPECTED_STATE, param=param)
    return pm


def attach_payment_method(ctx: Context, pm: PaymentMethod, customer_id: str) -> PaymentMethod:
    """Attach to a customer (no-op if attached to it already); emits payment_method.attached."""
    if pm.detached:
        raise InvalidRequest(
            "This PaymentMethod was previously detached from a Customer and may not be attached again.",
            code=UNEXPECTED_STATE)
    if pm.customer == customer_id:
        return pm
    if pm.customer is not None:
        raise InvalidRequest("The payment method you provided has already been attached to a customer.",
                             code=UNEXPECTED_STATE)
    if load(ctx, ctx.uow.customers, "customer", customer_id, param="customer").deleted:
        raise ResourceMissing("customer", customer_id, param="customer")
    attached = pm.with_(customer=customer_id)
    ctx.uow.payment_methods.save(attached)
    ctx.emit("payment_method.attached", render_payment_method(attached), row=attached)
    return attached


def reveal_number(ctx: Context, pm: PaymentMethod) -> CardNumber:
    """The stored card number, still masked (only the card network adapter reads its digits)."""
    number: CardNumber = ctx.deps.vault.reveal(pm.card_ciphertext, _aad(pm.id))
    return number


def mark_mandate(ctx: Context, pm: PaymentMethod) -> PaymentMethod:
    """The card was saved for off-session use through a successful setup."""
    if pm.mandate:
        return pm
    saved = pm.with_(mandate=True)
    ctx.uow.payment_methods.save(saved)
    return saved


def detach_all_for_customer(ctx: Context, customer_id: str) -> None:
    """Deleting a customer detaches its payment methods (they can no longer be used)."""
    for pm in ctx.uow.payment_methods.find(ctx.scope, customer=customer_id, detached=False):
        _detach(ctx, pm)


def _detach(ctx: Context, pm: PaymentMethod) -> PaymentMethod:
    detached = pm.with_(customer=None, detached=True)
    ctx.uow.payment_methods.save(detached)
    ctx.emit("payment_method.detached", render_payment_method(detached), {"customer": pm.customer},
             row=detached)
    return detached


# -- the endpoints -------------------------------------------------------------------------------------------
def create_payment_method(ctx: Context, params: PaymentMethodCreate) -> PaymentMethod:
    """POST /v1/payment_methods (a publishable key may call it)"""
    if params.card is None:
        raise ParameterMissing("card")
    billing = params.billing_details.model_dump(exclude_unset=True) if params.billing_details else None
    pm, _details = create_payment_method_from_card(ctx, params.card.model_dump(), billing,
                                                   param_prefix="card", metadata=params.metadata)
    return pm


def retrieve_payment_method(ctx: Context, pm_id: str) -> PaymentMethod:
    """GET /v1/payment_methods/{id}"""
    return load(ctx, ctx.uow.payment_methods, "PaymentMethod", pm_id)


def update_payment_method(ctx: Context, pm_id: str, params: PaymentMethodUpdate) -> PaymentMethod:
    """POST /v1/payment_methods/{id}: billing_details, metadata, card[exp_month|exp_year]."""
    pm = load(ctx, ctx.uow.payment_methods, "PaymentMethod", pm_id, for_update=True)
    if pm.detached:
        raise InvalidRequest("This PaymentMethod was detached from a Customer and can no longer be updated.",
                             code=UNEXPECTED_STATE)
    given = params.given()
    values: dict[str, Any] = {}
    if "billing_details" in given and params.billing_details is not None:
        values["billing_details"] = _billing_details(params.billing_details, pm.billing_details)
    if "metadata" in given:
        values["metadata"] = merge_metadata(pm.metadata, params.metadata)
    if params.card is not None and params.card.model_fields_set:
        year, month = _year_month(ctx)
        new_month, new_year = check_expiry(
            pm.card_exp_month if params.card.exp_month is None else params.card.exp_month,
            pm.card_exp_year if params.card.exp_year is None else params.card.exp_year,
            year_now=year, month_now=month)
        values.update(card_exp_month=new_month, card_exp_year=new_year)
    changed = pm.with_(**values)
    before, after = render_payment_method(pm), render_payment_method(changed)
    if before != after:
        ctx.uow.payment_methods.save(changed)
        ctx.emit("payment_method.updated", after, previous_attributes(before, after), row=changed)
    return changed


def attach_payment_method_by_id(ctx: Context, pm_id: str, params: PaymentMethodAttach) -> PaymentMethod:
    """POST /v1/payment_methods/{id}/attach (a Stripe test id attaches a fresh PaymentMethod of its card)"""
    pm = load_payment_method(ctx, pm_id, for_update=True)
    return attach_payment_method(ctx, pm, params.customer)


def detach_payment_method(ctx: Context, pm_id: str) -> PaymentMethod:
    """POST /v1/payment_methods/{id}/detach"""
    pm = load(ctx, ctx.uow.payment_methods, "PaymentMethod", pm_id, for_update=True)
    if pm.customer is None:
        raise InvalidRequest("The payment method you provided is not attached to a customer so detachment is "
                             "impossible.", code=UNEXPECTED_STATE)
    return _detach(ctx, pm)


def list_payment_methods(ctx: Context, params: PaymentMethodList) -> tuple[list[PaymentMethod], bool]:
    """GET /v1/payment_methods (`customer`, `type`)"""
    if params.customer is not None:
        load(ctx, ctx.uow.customers, "customer", params.customer, param="customer")
    return page(ctx, ctx.uow.payment_methods, "PaymentMethod", params, customer=params.customer,
                type=params.type)


def list_customer_payment_methods(ctx: Context, customer_id: str,
                                  params: CustomerPaymentMethodList) -> tuple[list[PaymentMethod], bool]:
    """GET /v1/customers/{id}/payment_methods (`type`)"""
    load(ctx, ctx.uow.customers, "customer", customer_id)
    return page(ctx, ctx.uow.payment_methods, "PaymentMethod", params, customer=customer_id, type=params.type)
