"""One attempt pipeline for every intent: SetupIntents, PaymentIntents, and Checkout through its SetupIntent.

An attempt runs in fixed steps, the same for both intents:
1. `payment_method_for`: the attempt's PaymentMethod: new from `payment_method_data` (its CVC kept in memory
   for this attempt only), or an existing one that is usable and belongs to the intent's customer;
2. the intent moves to `processing` through its transition table (`IntentFlow.begin`);
3. the card network is asked (`IntentFlow.ask`: verify a card to save, or authorize a payment);
4. the verdict is mapped to the intent's transition: approved (`IntentFlow.approve`), challenge
   (`start_challenge`, then `IntentFlow.require_action` with the `next_action`), declined
   (`IntentFlow.decline`, a 402 that commits the failed attempt);
5. completing a challenge (`complete_authentication`) runs steps 2-4 again with `authenticated=True`, or
   fails the attempt (`IntentFlow.fail_authentication`).

The intent-specific parts are the small `IntentFlow` strategies in services/setup_intents.py and
services/payment_intents_confirm.py, registered by intent type in `Deps.intent_flows` by bootstrap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from paykeep.domain.card_network import Approved, ChallengeRequired, Verdict
from paykeep.domain.card_network import Declined as NetworkDeclined
from paykeep.domain.cards import Cvc
from paykeep.domain.challenges import ChallengeOutcome, ChallengeUnavailable
from paykeep.domain.dialects import Dialect
from paykeep.domain.errors import CardError, InvalidRequest, ParameterMissing, ResourceMissing
from paykeep.domain.ids import dialect_of
from paykeep.domain.payment_intents import PaymentIntent
from paykeep.domain.payment_methods import PaymentMethod
from paykeep.domain.setup_intents import SetupIntent
from paykeep.services import challenges, payment_methods
from paykeep.services.challenges import frame_url, start_challenge
from paykeep.services.ports import Caller, Context, Declined, Deps
from paykeep.services.transactions import transaction

I = TypeVar("I", SetupIntent, PaymentIntent)  # noqa: E741 - the intent type of an attempt


@dataclass
class Attempt(Generic[I]):
    """One attempt at the card network: the intent as it stands (each step returns the next one; the flow
    stores it), its PaymentMethod and, for a card sent in this very request, its CVC."""

    intent: I
    payment_method: PaymentMethod
    cvc: Cvc | None = None
    authenticated: bool = False  # the cardholder has just passed a challenge for this attempt
    use_stripe_sdk: bool = False  # asked for by the confirm: in the Stripe dialect, a challenge comes as such
    error_on_requires_action: bool = False  # asked for by the confirm: a challenge fails the attempt instead


class IntentFlow(Protocol[I]):
    """What differs between the intents; everything else is the pipeline's."""

    intent_type: str  # "setup_intent" | "payment_intent": the challenge's intent_type
    authentication_failure: str  # the error code of a failed authentication
    authentication_failure_message: str
    return_url_missing: str  # the 400's message when a challenge is needed and there is no return_url

    def load(self, ctx: Context, intent_id: str) -> I:
        """The intent under its row lock (404 resource_missing)."""

    def begin(self, intent: I, *, authenticated: bool) -> I:
        """The intent in processing (confirm, or authenticate after a challenge)."""

    def ask(self, ctx: Context, attempt: Attempt[I]) -> Verdict:
        """Ask the card network: verify (save a card) or authorize (take a payment)."""

    def challenge_amount(self, intent: I) -> tuple[int | None, str | None]:
        """What the challenge page shows the cardholder: (amount, currency), or (None, None)."""

    def approve(self, ctx: Context, attempt: Attempt[I]) -> I: ...

    def require_action(self, ctx: Context, attempt: Attempt[I], next_action: dict[str, Any]) -> I: ...

    def decline(self, ctx: Context, attempt: Attempt[I], error: CardError) -> Declined: ...

    def await_confirmation(self, ctx: Context, intent: I) -> I | None:
        """The cardholder passed the challenge: the intent waiting for the server's confirm, or None to
        attempt again at once (all but a PaymentIntent with confirmation_method=manual)."""

    def fail_authentication(self, ctx: Context, intent: I, payment_method: PaymentMethod | None) -> I:
        """The cardholder failed (or abandoned) the challenge: the attempt ends without asking the network."""


# -- step 1 ----------------------------------------------------------------------------------------------
def payment_method_for(ctx: Context, *, payment_method: str | None, payment_method_data: Any,
                       customer: str | None) -> tuple[PaymentMethod, Cvc | None]:
    """The attempt's PaymentMethod: created from `payment_method_data` (402 card_error when the card fails
    its form checks), else the existing `payment_method`, which must be usable and the customer's."""
    if payment_method_data is not None:
        data = payment_method_data
        pm_row, details = payment_methods.create_payment_method_from_card(
            ctx, data.card.model_dump() if data.card is not None else {},
            data.billing_details.model_dump(exclude_unset=True) if data.billing_details is not None else None,
            metadata=data.metadata)
        return pm_row, details.cvc
    if payment_method is None:
        raise ParameterMissing("payment_method")
    return payment_methods.usable_payment_method(ctx, payment_method, customer_id=customer), None


# -- steps 2-4 -------------------------------------------------------------------------------------------
def run(ctx: Context, flow: IntentFlow[I], attempt: Attempt[I]) -> I | Declined:
    """One attempt, from processing to the status the network's verdict leads to."""
    attempt.intent = flow.begin(attempt.intent, authenticated=attempt.authenticated)
    verdict = flow.ask(ctx, attempt)
    if isinstance(verdict, Approved):
        return flow.approve(ctx, attempt)
    if isinstance(verdict, ChallengeRequired) and not attempt.authenticated:
        if not attempt.error_on_requires_action:
            return flow.require_action(ctx, attempt, _challenge(ctx, flow, attempt))
        error = CardError(AUTHENTICATION_REQUIRED_MESSAGE, code="authentication_required",
                          decline_code="authentication_required")
    elif isinstance(verdict, NetworkDeclined):
        error = CardError(verdict.message, code=verdict.code, decline_code=verdict.decline_code)
    else:  # a challenge asked for again right after one was passed: the authentication did not count
        error = CardError(flow.authentication_failure_message, code=flow.authentication_failure)
    return flow.decline(ctx, attempt, error)


AUTHENTICATION_REQUIRED_MESSAGE = "Your card was declined. This transaction requires authentication."


def _challenge(ctx: Context, flow: IntentFlow[I], attempt: Attempt[I]) -> dict[str, Any]:
    """A 3-D Secure challenge for this attempt; its `next_action`. Without a return_url: in the WooshPay
    dialect the whole request is refused (400, rolled back: nothing was saved or charged); in Stripe's the
    intent waits with `next_action.type = use_stripe_sdk`, for a Stripe.js-style client (paykeep.js) to
    open the challenge page in a frame, as Stripe does."""
    intent = attempt.intent
    return_url = intent.return_url
    stripe = ctx.caller.dialect is Dialect.STRIPE
    # a browser's confirm (publishable key) opens the challenge in a frame: no return_url needed in either
    # dialect (docs/browser-api.md); a server's confirm in WooshPay's needs one, as the seed says
    if not return_url and not stripe and not ctx.caller.publishable:
        raise ParameterMissing("return_url", flow.return_url_missing)
    sdk = stripe and (not return_url or attempt.use_stripe_sdk)
    amount, currency = flow.challenge_amount(intent)
    # a challenge with no page to go back to: answered, it says so (the client reads the intent)
    url = start_challenge(ctx, intent_type=flow.intent_type, intent_id=intent.id,
                          payment_method_id=attempt.payment_method.id,
                          return_url="" if sdk or not return_url else str(return_url), amount=amount,
                          currency=currency)
    if sdk:  # what a Stripe.js-style client opens in its modal: the challenge page's framable variant
        return {"type": "use_stripe_sdk",
                "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": frame_url(url)}}
    return {"type": "challenge_redirect", "challenge_redirect": {"url": url, "return_url": return_url}}


# -- step 5 ----------------------------------------------------------------------------------------------
def complete_authentication(ctx: Context, intent_type: str, intent_id: str,
                            succeeded: bool) -> SetupIntent | PaymentIntent:
    """The cardholder answered the challenge page: attempt again as authenticated, or fail the attempt.
    Returns the intent as it now stands (a declined attempt is committed, not raised)."""
    flow = flow_for(ctx, intent_type)
    intent: SetupIntent | PaymentIntent = _complete(ctx, flow, flow.load(ctx, intent_id), succeeded)
    return intent


def _complete(ctx: Context, flow: IntentFlow[I], intent: I, succeeded: bool) -> I:
    pm = ctx.uow.payment_methods.get(ctx.scope, intent.payment_method) if intent.payment_method else None
    if not succeeded or pm is None:
        return flow.fail_authentication(ctx, intent, pm)
    pm = payment_methods.usable_payment_method(ctx, pm.id, customer_id=intent.customer)
    waiting = flow.await_confirmation(ctx, intent)
    if waiting is not None:
        return waiting
    result = run(ctx, flow, Attempt(intent, pm, None, authenticated=True))
    found: I = result.row if isinstance(result, Declined) else result
    return found


def answer_challenge(deps: Deps, token: str, outcome: str, *, request_id: str | None = None) -> str:
    """POST <challenge url> (`outcome=complete|fail`): records the answer and moves the intent on, in one
    transaction; returns the return_url to redirect to (with the intent id, its client secret and
    redirect_status). A refused answer changes nothing."""
    with deps.begin(write=False) as uow:  # whose challenge it is: the transaction below is that account's
        found = challenges.find(uow, deps, token)
    # what the answer makes (a charge, events) takes the id form of the intent the challenge is for
    dialect = dialect_of(found["intent_id"])
    caller = Caller(account_id=found["account_id"], livemode=found["livemode"], request_id=request_id,
                    dialect=dialect)
    with transaction(deps, caller) as ctx:
        challenge = challenges.record_answer(ctx.uow, deps, token, outcome)
        try:
            intent = complete_authentication(ctx, challenge["intent_type"], challenge["intent_id"],
                                             outcome == ChallengeOutcome.COMPLETE)
        except InvalidRequest:  # the intent moved on (canceled, confirmed again...): roll everything back
            raise ChallengeUnavailable("superseded") from None
    if not challenge["return_url"]:  # use_stripe_sdk: no page to go back to; the client polls the intent
        return ""
    return challenges.return_url_with(challenge["return_url"], challenge["intent_type"], intent)


def flow_for(ctx: Context, intent_type: str) -> IntentFlow[Any]:
    flow: IntentFlow[Any] | None = ctx.deps.intent_flows.get(intent_type)
    if flow is None:
        raise ResourceMissing(intent_type, intent_type)
    return flow
