"""The 3-D Secure challenge shared by SetupIntents and PaymentIntents (API.md §4.2).

`start_challenge` hands out `<public_url>/3ds/<token>` (the token is random, only its keyed hash is stored);
the hosted page shows it and posts the answer (`record_answer`); services/attempts.py `answer_challenge` then
moves the intent on through the attempt pipeline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from paykeep.domain.challenges import (
    LIFETIME_MS,
    TOKEN_LENGTH,
    Challenge,
    ChallengeOutcome,
    ChallengeStatus,
    ChallengeUnavailable,
)
from paykeep.domain.ids import random_token
from paykeep.services.accounts import account_name
from paykeep.services.ports import Context, Deps, UnitOfWork

INTENT_TYPES = ("setup_intent", "payment_intent")
# Intent statuses after which the cardholder is sent back with redirect_status=succeeded.
_SUCCEEDED = ("succeeded", "requires_capture", "processing")
_MAX_TOKEN = 100
_TOKEN = re.compile(rf"tds_[0-9]{{19}}_secret_[A-Za-z0-9]{{{TOKEN_LENGTH}}}")


@dataclass(frozen=True)
class ChallengeView:
    """What the challenge page shows."""

    merchant_name: str
    livemode: bool
    intent_type: str
    amount: int | None
    currency: str | None
    card_brand: str | None
    card_last4: str | None
    return_url: str
    # Where return_url sends the customer on, if we know: a hosted checkout session's success_url. The page's
    # form-action must allow it, as browsers check a form's whole redirect chain against it.
    onward_url: str | None = None


def start_challenge(ctx: Context, *, intent_type: str, intent_id: str, payment_method_id: str,
                    return_url: str, amount: int | None = None, currency: str | None = None) -> str:
    """A new challenge for the intent's current attempt (older pending ones expire); returns its URL."""
    if intent_type not in INTENT_TYPES:
        raise ValueError(f"no challenge for intent type {intent_type!r}")
    now = ctx.now_ms()
    for old in ctx.uow.challenges.find(None, intent_id=intent_id, status=ChallengeStatus.PENDING.value):
        ctx.uow.challenges.save(old.superseded())
    challenge_id = ctx.new_id("tds")
    # Shaped like a client secret so log redaction masks it wherever the URL is logged.
    token = f"{challenge_id}_secret_{random_token(TOKEN_LENGTH)}"
    ctx.uow.challenges.add(Challenge(
        id=challenge_id,
        account_id=ctx.caller.account_id,
        livemode=ctx.caller.livemode,
        created=now,
        token_hash=_token_hash(ctx.deps, token),
        intent_type=intent_type,
        intent_id=intent_id,
        payment_method_id=payment_method_id,
        return_url=return_url,
        amount=amount,
        currency=currency,
        status=ChallengeStatus.PENDING,
        expires_at=now + LIFETIME_MS,
        answered_at=None,
    ))
    return f"{ctx.deps.public_url}/3ds/{token}"


FRAME_PARAM = "frame"  # `<challenge url>?frame=1`: the variant a browser's modal frames (docs/browser-api.md)


def frame_url(url: str) -> str:
    """The framable variant of a challenge URL: answered, it tells its parent window (no redirect)."""
    return f"{url}{'&' if '?' in url else '?'}{FRAME_PARAM}=1"


def intent_of(deps: Deps, token: str) -> str | None:
    """The id of the intent a challenge is for (answered or not), or None for a link that names none."""
    with deps.begin(write=False) as uow:
        try:
            return find(uow, deps, token).intent_id
        except ChallengeUnavailable:
            return None


def view_challenge(deps: Deps, token: str) -> ChallengeView:
    """GET <challenge url>: what to show, or ChallengeUnavailable (unknown, answered, expired)."""
    with deps.begin(write=False) as uow:
        challenge = _pending(uow, deps, token)
        pm = uow.payment_methods.get_by_id(challenge.payment_method_id)
        return ChallengeView(
            merchant_name=account_name(uow, challenge.account_id),
            livemode=challenge.livemode,
            intent_type=challenge.intent_type,
            amount=challenge.amount,
            currency=challenge.currency,
            card_brand=pm["card_brand"] if pm else None,
            card_last4=pm["card_last4"] if pm else None,
            return_url=challenge.return_url,
            onward_url=_onward_url(uow, challenge),
        )


def _onward_url(uow: UnitOfWork, challenge: Challenge) -> str | None:
    if challenge.intent_type not in ("setup_intent", "payment_intent"):
        return None
    sessions = uow.checkout_sessions.find(None, limit=1, **{challenge.intent_type: challenge.intent_id})
    return sessions[0].success_url if sessions else None


def record_answer(uow: UnitOfWork, deps: Deps, token: str, outcome: str) -> Challenge:
    """The cardholder's answer (`outcome=complete|fail`) to a pending challenge, recorded under its row lock;
    returns the answered challenge. An unknown, answered or expired challenge is ChallengeUnavailable. What
    the answer does to the intent is the attempt pipeline's (services/attempts.py `answer_challenge`)."""
    if outcome not in (ChallengeOutcome.COMPLETE, ChallengeOutcome.FAIL):
        raise ChallengeUnavailable("invalid")
    found = find(uow, deps, token)
    challenge = uow.challenges.get((found.account_id, found.livemode), found.id, for_update=True)
    if challenge is None:  # deleted with its account meanwhile
        raise ChallengeUnavailable("unknown")
    answered = challenge.answered(ChallengeOutcome(outcome), deps.clock.now_ms())
    uow.challenges.save(answered)
    return answered


def return_url_with(return_url: str, intent_type: str, intent: Any, *, client_secret: bool = True) -> str:
    """`return_url` plus `<type>`, `<type>_client_secret` and `redirect_status`, after any query it has (the
    intent, an entity or a row, is read by name). Without `client_secret` (a link on a page anyone holding an
    old challenge URL can open), the secret is left out."""
    fields = {intent_type: intent["id"]}
    if client_secret:
        fields[f"{intent_type}_client_secret"] = intent["client_secret"]
    fields["redirect_status"] = "succeeded" if intent["status"] in _SUCCEEDED else "failed"
    params = urlencode(fields)
    parts = urlsplit(return_url)
    query = f"{parts.query}&{params}" if parts.query else params
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _token_hash(deps: Deps, token: str) -> str:
    return deps.secrets.keyed_hash("lookup", b"3ds:" + token.encode())


def find(uow: UnitOfWork, deps: Deps, token: str) -> Challenge:
    if len(token) > _MAX_TOKEN or not _TOKEN.fullmatch(token):
        raise ChallengeUnavailable("unknown")
    rows = uow.challenges.find(None, limit=1, token_hash=_token_hash(deps, token))
    if not rows:
        raise ChallengeUnavailable("unknown")
    return rows[0]


def _pending(uow: UnitOfWork, deps: Deps, token: str) -> Challenge:
    challenge = find(uow, deps, token)
    if challenge.status != ChallengeStatus.PENDING:
        raise ChallengeUnavailable("expired" if challenge.status == ChallengeStatus.EXPIRED else "answered")
    if deps.clock.now_ms() >= challenge.expires_at:
        raise ChallengeUnavailable("expired")
    return challenge
