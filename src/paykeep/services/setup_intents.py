"""SetupIntents: POST/GET /v1/setup_intents[/{id}], confirm, cancel; their steps of the attempt pipeline.

Every status change goes through `SetupIntent.move` (the transition table in domain/setup_intents.py).
A decline is returned as `Declined` so the failed attempt, its `last_setup_error` and its event are
committed with the 402."""

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
from paykeep.domain.payment_methods import PaymentMethod
from paykeep.domain.setup_intents import (
    AUTHENTICATION_FAILURE,
    AUTHENTICATION_FAILURE_MESSAGE,
    SetupIntent,
    SetupIntentAction,
    SetupIntentStatus,
    next_status,
)
from paykeep.services import attempts, payment_methods
from paykeep.services.clock_time import clock_now
from paykeep.services.common import automatic_payment_methods, blank_to_none, load, page
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
def create_setup_intent(ctx: Context, params: SetupIntentCreate) -> SetupIntent | Declined:
    """POST /v1/setup_intents (with `confirm=true`: create the PaymentMethod and confirm in one request)"""
    owner = live_customer(ctx, params.customer) if params.customer is not None else None
    intent_id = ctx.new_id("seti")
    intent = SetupIntent(
        id=intent_id, account_id=ctx.caller.account_id, livemode=ctx.caller.livemode,
        created=clock_now(ctx, owner.test_clock if owner else None),
        metadata=merge_metadata(None, params.metadata), status=S.REQUIRES_PAYMENT_METHOD,
        client_secret=client_secret_for(intent_id), customer=params.customer,
        description=blank_to_none(params.description), usage=params.usage or "off_session",
        payment_method_types=list(params.payment_method_types or ["card"]),
        payment_method_options=_options(params.payment_method_options, None), return_url=params.return_url,
        automatic_payment_methods=automatic_payment_methods(params),
    )
    if not params.confirm and (params.payment_method or params.payment_method_data):
        pm, _cvc = _payment_method_from(ctx, intent, params)
        intent = intent.move(A.ATTACH_PAYMENT_METHOD, payment_method=pm.id)
    ctx.uow.setup_intents.add(intent)
    _emit(ctx, "created", intent)
    if params.confirm:
        return _confirm(ctx, intent, params)
    return intent


def retrieve_setup_intent(ctx: Context, intent_id: str, client_secret: str | None = None) -> SetupIntent:
    """GET /v1/setup_intents/{id}; a publishable key must present the intent's client_secret."""
    intent = load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id)
    if ctx.caller.publishable:
        if not client_secret:
            raise PermissionDenied("A publishable key may retrieve a SetupIntent only with its "
                                   "client_secret.")
        _check_client_secret(intent, client_secret)
    return intent


def update_setup_intent(ctx: Context, intent_id: str, params: SetupIntentUpdate) -> SetupIntent:
    """POST /v1/setup_intents/{id}"""
    intent = load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id, for_update=True)
    given = params.given()
    values: dict[str, Any] = {}
    if "metadata" in given:
        values["metadata"] = merge_metadata(intent.metadata, params.metadata)
    if "description" in given:
        values["description"] = blank_to_none(params.description)
    setup_fields = {"customer", "payment_method", "payment_method_data", "payment_method_options",
                    "payment_method_types"}
    action: SetupIntentAction | None = None
    if given & setup_fields:
        new_pm = params.payment_method or params.payment_method_data
        action = A.ATTACH_PAYMENT_METHOD if new_pm else A.UPDATE
        next_status(intent.status, action)  # an illegal update is refused before anything runs
        if params.customer is not None:
            live_customer(ctx, params.customer)
            values["customer"] = params.customer
        if params.payment_method_types is not None:
            values["payment_method_types"] = params.payment_method_types
        if params.payment_method_options is not None:
            values["payment_method_options"] = _options(params.payment_method_options, intent)
        if new_pm:
            pm, _cvc = _payment_method_from(ctx, intent.with_(**values), params)
            values["payment_method"] = pm.id
        values["next_action"] = None
    updated = intent.move(action, **values) if action is not None else intent.with_(**values)
    ctx.uow.setup_intents.save(updated)
    return updated


def confirm_setup_intent(ctx: Context, intent_id: str, params: SetupIntentConfirm) -> SetupIntent | Declined:
    """POST /v1/setup_intents/{id}/confirm"""
    intent = load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id, for_update=True)
    if ctx.caller.publishable and not params.client_secret:  # a browser's confirm (docs/browser-api.md)
        raise ParameterMissing("client_secret", "A publishable key may confirm a SetupIntent only together "
                                                "with its client_secret.")
    if params.client_secret is not None:
        _check_client_secret(intent, params.client_secret)
    return _confirm(ctx, intent, params)


def cancel_setup_intent(ctx: Context, intent_id: str, params: SetupIntentCancel) -> SetupIntent:
    """POST /v1/setup_intents/{id}/cancel"""
    intent = load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id, for_update=True)
    canceled = intent.move(A.CANCEL, cancellation_reason=params.cancellation_reason, next_action=None)
    ctx.uow.setup_intents.save(canceled)
    _emit(ctx, "canceled", canceled)
    return canceled


def list_setup_intents(ctx: Context, params: SetupIntentList) -> tuple[list[SetupIntent], bool]:
    """GET /v1/setup_intents (`customer`, `payment_method`, `created`)"""
    return page(ctx, ctx.uow.setup_intents, "setup_intent", params, customer=params.customer,
                payment_method=params.payment_method, **created_filters(params.created))


# -- confirming: the attempt pipeline (services/attempts.py) with the SetupIntent's own steps ---------------
def _confirm(ctx: Context, intent: SetupIntent, params: Confirmable) -> SetupIntent | Declined:
    next_status(intent.status, A.CONFIRM)  # an illegal confirm is refused before anything runs
    values: dict[str, Any] = {}
    if getattr(params, "return_url", None) is not None:
        values["return_url"] = params.return_url  # type: ignore[union-attr]
    if getattr(params, "usage", None) is not None:
        values["usage"] = params.usage  # type: ignore[union-attr]
    if params.payment_method_options is not None:
        values["payment_method_options"] = _options(params.payment_method_options, intent)
    intent = intent.with_(**values)
    try:
        pm, cvc = _payment_method_from(ctx, intent, params, required=True)
    except CardError as err:  # the card failed its form checks: this attempt fails like a decline
        return _fail(ctx, FLOW.begin(intent, authenticated=False), err, None)
    sdk = bool(getattr(params, "use_stripe_sdk", None))
    return attempts.run(ctx, FLOW, attempts.Attempt(intent, pm, cvc, use_stripe_sdk=sdk))


def _payment_method_from(ctx: Context, intent: SetupIntent, params: Confirmable,
                         *, required: bool = False) -> tuple[PaymentMethod, Cvc | None]:
    """The PaymentMethod of this attempt: new from payment_method_data (with its CVC, in memory only), or a
    usable existing one (`payment_method`, else the intent's)."""
    if params.payment_method and params.payment_method_data:
        raise ParameterInvalid("payment_method_data",
                               "You may not specify both payment_method and payment_method_data.")
    if params.payment_method_data is not None and params.payment_method_data.card is None:
        raise ParameterMissing("payment_method_data[card]")
    pm_id = params.payment_method or intent.payment_method
    if pm_id is None and params.payment_method_data is None and required:
        raise ParameterMissing("payment_method", "You cannot confirm this SetupIntent because it's missing a "
                               "payment method. Pass payment_method or payment_method_data.")
    return attempts.payment_method_for(ctx, payment_method=pm_id,
                                       payment_method_data=params.payment_method_data,
                                       customer=intent.customer)


class SetupIntentFlow:
    """A SetupIntent's steps of an attempt: verify the card (no money moves); on approval attach it to the
    customer and mark its mandate for later off-session payments."""

    intent_type = "setup_intent"
    authentication_failure = AUTHENTICATION_FAILURE
    authentication_failure_message = AUTHENTICATION_FAILURE_MESSAGE
    return_url_missing = ("This card requires 3-D Secure authentication: pass return_url (where the "
                          "cardholder is sent back after the challenge).")

    def load(self, ctx: Context, intent_id: str) -> SetupIntent:
        return load(ctx, ctx.uow.setup_intents, "setup_intent", intent_id, for_update=True)

    def begin(self, intent: SetupIntent, *, authenticated: bool) -> SetupIntent:
        return intent.move(A.AUTHENTICATE if authenticated else A.CONFIRM)

    def ask(self, ctx: Context, attempt: attempts.Attempt[SetupIntent]) -> Verdict:
        card_options = (attempt.intent.payment_method_options or {}).get("card") or {}
        three_d_secure: ThreeDS = _THREE_DS.get(str(card_options.get("request_three_d_secure")), "auto")
        request = VerifyRequest(livemode=ctx.caller.livemode, authenticated=attempt.authenticated,
                                three_d_secure=three_d_secure)
        number = payment_methods.reveal_number(ctx, attempt.payment_method)
        verdict: Verdict = ctx.deps.card_network.verify(number, attempt.cvc, request)
        return verdict

    def challenge_amount(self, intent: SetupIntent) -> tuple[int | None, str | None]:
        return None, None

    def approve(self, ctx: Context, attempt: attempts.Attempt[SetupIntent]) -> SetupIntent:
        intent, pm = attempt.intent, attempt.payment_method
        if intent.customer:
            pm = payment_methods.attach_payment_method(ctx, pm, intent.customer)
        payment_methods.mark_mandate(ctx, pm)
        succeeded = intent.move(A.SUCCEED, payment_method=pm.id, next_action=None, last_setup_error=None)
        ctx.uow.setup_intents.save(succeeded)
        _emit(ctx, "succeeded", succeeded)  # a Checkout Session owning the intent completes (a handler)
        return succeeded

    def require_action(self, ctx: Context, attempt: attempts.Attempt[SetupIntent],
                       next_action: dict[str, Any]) -> SetupIntent:
        waiting = attempt.intent.move(A.REQUIRE_ACTION, payment_method=attempt.payment_method.id,
                                      next_action=next_action, last_setup_error=None)
        ctx.uow.setup_intents.save(waiting)
        _emit(ctx, "requires_action", waiting)
        return waiting

    def decline(self, ctx: Context, attempt: attempts.Attempt[SetupIntent], error: CardError) -> Declined:
        return _fail(ctx, attempt.intent, error, attempt.payment_method)

    def await_confirmation(self, ctx: Context, intent: SetupIntent) -> SetupIntent | None:
        return None  # a SetupIntent goes on at once after a passed challenge

    def fail_authentication(self, ctx: Context, intent: SetupIntent,
                            payment_method: PaymentMethod | None) -> SetupIntent:
        error: dict[str, Any] = {"type": "invalid_request_error", "code": AUTHENTICATION_FAILURE,
                                 "message": AUTHENTICATION_FAILURE_MESSAGE}
        if payment_method is not None:
            error["payment_method"] = render_payment_method(payment_method)
        failed = intent.move(A.FAIL_AUTHENTICATION, payment_method=None, next_action=None,
                             last_setup_error=error)
        ctx.uow.setup_intents.save(failed)
        _emit(ctx, "setup_failed", failed)
        return failed


FLOW = SetupIntentFlow()


def _fail(ctx: Context, intent: SetupIntent, error: CardError, pm: PaymentMethod | None) -> Declined:
    """The attempt failed: back to requires_payment_method with last_setup_error = the 402's error."""
    if pm is not None:
        error.extra["payment_method"] = render_payment_method(pm)
    last_error = error.to_dict()
    if error.type == "card_error" and error.code != AUTHENTICATION_FAILURE:
        last_error["payment_method_type"] = "card"
    failed = intent.move(A.FAIL, payment_method=None, next_action=None, last_setup_error=last_error)
    ctx.uow.setup_intents.save(failed)
    _emit(ctx, "setup_failed", failed)
    return Declined(failed, error, "setup_intent")


# -- helpers -------------------------------------------------------------------------------------------------
def _emit(ctx: Context, event: str, intent: SetupIntent) -> None:
    ctx.emit(f"setup_intent.{event}", render_setup_intent(intent), row=intent)


def _options(options: PaymentMethodOptions | None, intent: SetupIntent | None) -> dict[str, Any]:
    current = dict(intent.payment_method_options or {}) if intent is not None else {}
    card = dict(current.get("card") or {"request_three_d_secure": "auto"})
    if options is not None and options.card is not None and options.card.request_three_d_secure is not None:
        card["request_three_d_secure"] = options.card.request_three_d_secure
    return {**current, "card": card}


def _check_client_secret(intent: SetupIntent, client_secret: str) -> None:
    if not hmac.compare_digest(intent.client_secret.encode(), client_secret.encode()):
        raise InvalidRequest("The client_secret provided does not match the client_secret associated with "
                             "the SetupIntent.", code="parameter_invalid", param="client_secret")
