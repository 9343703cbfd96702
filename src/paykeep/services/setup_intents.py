"""SetupIntents: POST/GET /v1/setup_intents[/{id}], confirm, cancel; their steps of the attempt pipeline.

Every status change goes through domain.setup_intents.next_status (the transition table). A decline is
returned as `Declined` so the failed attempt, its `last_setup_error` and its event are committed with the
402."""

from __future__ import annotations

import hmac
from typing import Any

from paykeep.domain.card_network import ThreeDS, Verdict, VerifyRequest
from paykeep.domain.cards import Cvc
from paykeep.domain.errors import (
    CardError,
    InvalidRequest,
    ParameterInvalid,
    ParameterMissing,
    PermissionDenied,
)
from paykeep.domain.ids import client_secret_for
from paykeep.domain.metadata import merge_metadata
from paykeep.domain.setup_intents import (
    AUTHENTICATION_FAILURE,
    AUTHENTICATION_FAILURE_MESSAGE,
    SetupIntentAction,
    SetupIntentStatus,
    next_status,
)
from paykeep.services import attempts, payment_methods
from paykeep.services.common import blank_to_none, load, page
from paykeep.services.customers import live_customer
from paykeep.services.ports import Context, Declined
from paykeep.wire.params import created_filters
from paykeep.wire.payment_methods import render_payment_method
from paykeep.wire.setup_intents import (
    PaymentMethodOptions,
    SetupIntentCancel,
    SetupIntentConfirm,
    SetupIntentCreate,
    SetupIntentList,
    SetupIntentUpdate,
    render_setup_intent,
)

A = SetupIntentAction
S = SetupIntentStatus
Confirmable = SetupIntentCreate | SetupIntentConfirm | SetupIntentUpdate
_THREE_DS: dict[str, ThreeDS] = {"auto": "auto", "automatic": "auto", "any": "any", "challenge": "any"}


# -- endpoints -----------------------------------------------------------------------------------------------
def create_setup_intent(ctx: Context, params: SetupIntentCreate) -> dict[str, Any] | Declined:
    """POST /v1/setup_intents (with `confirm=true`: create the PaymentMethod and confirm in one request)"""
    if params.customer is not None:
        live_customer(ctx, params.customer)
    intent_id = ctx.new_id("seti")
    row: dict[str, Any] = {
        "id": intent_id,
        "account_id": ctx.caller.account_id,
        "livemode": ctx.caller.livemode,
        "created": ctx.now_ms(),
        "metadata": merge_metadata(None, params.metadata),
        "status": S.REQUIRES_PAYMENT_METHOD.value,
        "client_secret": client_secret_for(intent_id),
        "customer": params.customer,
        "payment_method": None,
        "description": blank_to_none(params.description),
        "usage": params.usage or "off_session",
        "payment_method_types": params.payment_method_types or ["card"],
        "payment_method_options": _options(params.payment_method_options, None),
        "return_url": params.return_url,
        "next_action": None,
        "last_setup_error": None,
        "cancellation_reason": None,
    }
    if not params.confirm and (params.payment_method or params.payment_method_data):
        pm_row, _cvc = _payment_method_from(ctx, row, params)
        row["status"] = next_status(row["status"], A.ATTACH_PAYMENT_METHOD).value
        row["payment_method"] = pm_row["id"]
    ctx.uow.setup_intents.insert(row)
    _emit(ctx, "created", row)
    if params.confirm:
        return _confirm(ctx, row, params)
    return row


def retrieve_setup_intent(ctx: Context, intent_id: str, client_secret: str | None = None) -> dict[str, Any]:
    """GET /v1/setup_intents/{id}; a publishable key must present the intent's client_secret."""
    row = load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id)
    if ctx.caller.publishable:
        if not client_secret:
            raise PermissionDenied("A publishable key may retrieve a SetupIntent only with its "
                                   "client_secret.")
        _check_client_secret(row, client_secret)
    return row


def update_setup_intent(ctx: Context, intent_id: str, params: SetupIntentUpdate) -> dict[str, Any]:
    """POST /v1/setup_intents/{id}"""
    row = load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id, for_update=True)
    given = params.given()
    values: dict[str, Any] = {}
    if "metadata" in given:
        values["metadata"] = merge_metadata(row.get("metadata"), params.metadata)
    if "description" in given:
        values["description"] = blank_to_none(params.description)
    setup_fields = {"customer", "payment_method", "payment_method_data", "payment_method_options",
                    "payment_method_types"}
    if given & setup_fields:
        new_pm = params.payment_method or params.payment_method_data
        status = next_status(row["status"], A.ATTACH_PAYMENT_METHOD if new_pm else A.UPDATE)
        if params.customer is not None:
            live_customer(ctx, params.customer)
            values["customer"] = params.customer
        if params.payment_method_types is not None:
            values["payment_method_types"] = params.payment_method_types
        if params.payment_method_options is not None:
            values["payment_method_options"] = _options(params.payment_method_options, row)
        if new_pm:
            pm_row, _cvc = _payment_method_from(ctx, {**row, **values}, params)
            values["payment_method"] = pm_row["id"]
        values.update(status=status.value, next_action=None)
    row.update(values)
    ctx.uow.setup_intents.update(intent_id, values)
    return row


def confirm_setup_intent(ctx: Context, intent_id: str,
                         params: SetupIntentConfirm) -> dict[str, Any] | Declined:
    """POST /v1/setup_intents/{id}/confirm"""
    row = load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id, for_update=True)
    if params.client_secret is not None:
        _check_client_secret(row, params.client_secret)
    return _confirm(ctx, row, params)


def cancel_setup_intent(ctx: Context, intent_id: str, params: SetupIntentCancel) -> dict[str, Any]:
    """POST /v1/setup_intents/{id}/cancel"""
    row = load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id, for_update=True)
    status = next_status(row["status"], A.CANCEL)
    _save(ctx, row, status=status.value, cancellation_reason=params.cancellation_reason, next_action=None)
    _emit(ctx, "canceled", row)
    return row


def list_setup_intents(ctx: Context, params: SetupIntentList) -> tuple[list[dict[str, Any]], bool]:
    """GET /v1/setup_intents (`customer`, `payment_method`, `created`)"""
    return page(ctx, ctx.uow.setup_intents, "setup_intent", params, customer=params.customer,
                payment_method=params.payment_method, **created_filters(params.created))


# -- confirming: the attempt pipeline (services/attempts.py) with the SetupIntent's own steps ---------------
def _confirm(ctx: Context, row: dict[str, Any], params: Confirmable) -> dict[str, Any] | Declined:
    next_status(row["status"], A.CONFIRM)  # an illegal confirm is refused before anything runs
    values: dict[str, Any] = {}
    if getattr(params, "return_url", None) is not None:
        values["return_url"] = params.return_url  # type: ignore[union-attr]
    if getattr(params, "usage", None) is not None:
        values["usage"] = params.usage  # type: ignore[union-attr]
    if params.payment_method_options is not None:
        values["payment_method_options"] = _options(params.payment_method_options, row)
    row.update(values)
    try:
        pm_row, cvc = _payment_method_from(ctx, row, params, required=True)
    except CardError as err:  # the card failed its form checks: this attempt fails like a decline
        FLOW.begin(row, authenticated=False)
        return _fail(ctx, row, err, None)
    return attempts.run(ctx, FLOW, attempts.Attempt(row, pm_row, cvc))


def _payment_method_from(ctx: Context, row: dict[str, Any], params: Confirmable,
                         *, required: bool = False) -> tuple[dict[str, Any], Cvc | None]:
    """The PaymentMethod of this attempt: new from payment_method_data (with its CVC, in memory only), or a
    usable existing one (`payment_method`, else the intent's)."""
    if params.payment_method and params.payment_method_data:
        raise ParameterInvalid("payment_method_data",
                               "You may not specify both payment_method and payment_method_data.")
    if params.payment_method_data is not None and params.payment_method_data.card is None:
        raise ParameterMissing("payment_method_data[card]")
    pm_id = params.payment_method or row.get("payment_method")
    if pm_id is None and params.payment_method_data is None and required:
        raise ParameterMissing("payment_method", "You cannot confirm this SetupIntent because it's missing a "
                               "payment method. Pass payment_method or payment_method_data.")
    return attempts.payment_method_for(ctx, payment_method=pm_id,
                                       payment_method_data=params.payment_method_data,
                                       customer=row.get("customer"))


class SetupIntentFlow:
    """A SetupIntent's steps of an attempt: verify the card (no money moves); on approval attach it to the
    customer and mark its mandate for later off-session payments."""

    intent_type = "setup_intent"
    authentication_failure = AUTHENTICATION_FAILURE
    authentication_failure_message = AUTHENTICATION_FAILURE_MESSAGE
    return_url_missing = ("This card requires 3-D Secure authentication: pass return_url (where the "
                          "cardholder is sent back after the challenge).")

    def load(self, ctx: Context, intent_id: str) -> dict[str, Any]:
        return load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id, for_update=True)

    def begin(self, intent: dict[str, Any], *, authenticated: bool) -> None:
        intent["status"] = next_status(intent["status"], A.AUTHENTICATE if authenticated else A.CONFIRM).value

    def ask(self, ctx: Context, attempt: attempts.Attempt) -> Verdict:
        card_options = (attempt.intent.get("payment_method_options") or {}).get("card") or {}
        three_d_secure: ThreeDS = _THREE_DS.get(str(card_options.get("request_three_d_secure")), "auto")
        request = VerifyRequest(livemode=ctx.caller.livemode, authenticated=attempt.authenticated,
                                three_d_secure=three_d_secure)
        number = payment_methods.reveal_number(ctx, attempt.payment_method)
        verdict: Verdict = ctx.deps.card_network.verify(number, attempt.cvc, request)
        return verdict

    def challenge_amount(self, intent: dict[str, Any]) -> tuple[int | None, str | None]:
        return None, None

    def approve(self, ctx: Context, attempt: attempts.Attempt) -> dict[str, Any]:
        row, pm_row = attempt.intent, attempt.payment_method
        status = next_status(row["status"], A.SUCCEED)
        if row.get("customer"):
            payment_methods.attach_payment_method(ctx, pm_row, row["customer"])
        payment_methods.mark_mandate(ctx, pm_row)
        _save(ctx, row, status=status.value, payment_method=pm_row["id"], next_action=None,
              last_setup_error=None)
        _emit(ctx, "succeeded", row)  # a Checkout Session owning the intent completes (a handler)
        return row

    def require_action(self, ctx: Context, attempt: attempts.Attempt,
                       next_action: dict[str, Any]) -> dict[str, Any]:
        row = attempt.intent
        status = next_status(row["status"], A.REQUIRE_ACTION)
        _save(ctx, row, status=status.value, payment_method=attempt.payment_method["id"],
              next_action=next_action, last_setup_error=None)
        _emit(ctx, "requires_action", row)
        return row

    def decline(self, ctx: Context, attempt: attempts.Attempt, error: CardError) -> Declined:
        return _fail(ctx, attempt.intent, error, attempt.payment_method)

    def fail_authentication(self, ctx: Context, intent: dict[str, Any],
                            payment_method: dict[str, Any] | None) -> dict[str, Any]:
        status = next_status(intent["status"], A.FAIL_AUTHENTICATION)
        error: dict[str, Any] = {"type": "invalid_request_error", "code": AUTHENTICATION_FAILURE,
                                 "message": AUTHENTICATION_FAILURE_MESSAGE}
        if payment_method is not None:
            error["payment_method"] = render_payment_method(payment_method)
        _save(ctx, intent, status=status.value, payment_method=None, next_action=None, last_setup_error=error)
        _emit(ctx, "setup_failed", intent)
        return intent


FLOW = SetupIntentFlow()


def _fail(ctx: Context, row: dict[str, Any], error: CardError, pm_row: dict[str, Any] | None) -> Declined:
    """The attempt failed: back to requires_payment_method with last_setup_error = the 402's error."""
    status = next_status(row["status"], A.FAIL)
    if pm_row is not None:
        error.extra["payment_method"] = render_payment_method(pm_row)
    last_error = error.to_dict()
    if error.type == "card_error" and error.code != AUTHENTICATION_FAILURE:
        last_error["payment_method_type"] = "card"
    _save(ctx, row, status=status.value, payment_method=None, next_action=None, last_setup_error=last_error)
    _emit(ctx, "setup_failed", row)
    return Declined(row, error, "setup_intent")


# -- helpers -------------------------------------------------------------------------------------------------
def _emit(ctx: Context, event: str, row: dict[str, Any]) -> None:
    ctx.emit(f"setup_intent.{event}", render_setup_intent(row), row=row)


def _save(ctx: Context, row: dict[str, Any], **values: Any) -> None:
    row.update(values)
    ctx.uow.setup_intents.update(row["id"], {**values, "return_url": row.get("return_url"),
                                             "usage": row["usage"],
                                             "payment_method_options": row["payment_method_options"]})


def _options(options: PaymentMethodOptions | None, row: dict[str, Any] | None) -> dict[str, Any]:
    current = dict((row or {}).get("payment_method_options") or {})
    card = dict(current.get("card") or {"request_three_d_secure": "auto"})
    if options is not None and options.card is not None and options.card.request_three_d_secure is not None:
        card["request_three_d_secure"] = options.card.request_three_d_secure
    return {**current, "card": card}


def _check_client_secret(row: dict[str, Any], client_secret: str) -> None:
    if not hmac.compare_digest(row["client_secret"].encode(), client_secret.encode()):
        raise InvalidRequest("The client_secret provided does not match the client_secret associated with "
                             "the SetupIntent.", code="parameter_invalid", param="client_secret")
