"""`paykeep demo --dialect stripe`: the seed guide with the official `stripe` Python package.

The same steps as the WooshPay demo (runner.Demo), made the way an integration written for Stripe makes them:
`stripe.StripeClient(key, base_addresses={"api": <paykeep>})` and its typed services, Stripe's objects back
(seconds in `created`, `usd`, `next_action.redirect_to_url`), a decline raised as `stripe.error.CardError`,
and webhooks checked by `stripe.Webhook.construct_event` on their `Stripe-Signature` header. Every request
carries `Paykeep-Dialect: stripe`, so the account's default dialect does not matter.

Imported only when that dialect is asked for: `stripe` is not one of paykeep's own dependencies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import stripe
from rich.console import Console
from rich.table import Table

from paykeep.demo.runner import RETURN_URL, Demo, DemoFailed, WebhookReceiver
from paykeep.domain.dialects import HEADER as DIALECT_HEADER
from paykeep.domain.money import format_amount

DECLINED_CARD = "4000000000009995"  # declined card_declined / insufficient_funds (TEST_CARDS)


def verify_stripe(body: bytes, signature: str | None, secret: str) -> dict[str, Any] | None:
    """The event, if `Stripe-Signature` verifies: Stripe's own `stripe.Webhook.construct_event`."""
    try:
        event = stripe.Webhook.construct_event(body, signature, secret)
    except (stripe.error.SignatureVerificationError, ValueError):
        return None
    data: dict[str, Any] = event.to_dict()
    return data


class StripeDemo(Demo):
    dialect = "stripe"
    currency = "usd"
    next_action = "redirect_to_url"
    verified_by = "Stripe-Signature verified by stripe.Webhook.construct_event"

    def __init__(self, console: Console, base_url: str, key: str, receiver: WebhookReceiver) -> None:
        super().__init__(console, None, receiver)
        # What a Stripe integration changes to use paykeep: the base address (and the key).
        self.client = stripe.StripeClient(key, base_addresses={"api": base_url}, max_network_retries=0)
        self.options: stripe.RequestOptions = {"headers": {DIALECT_HEADER: "stripe"}}
        self.declines: list[dict[str, Any]] = []
        self._version_shown = False

    def sdk(self, code: str, route: str, params: dict[str, Any] | None, request: Callable[[], Any],
            show: tuple[str, ...] = ()) -> dict[str, Any]:
        """One SDK call, printed as written (`code`) with the HTTP request it makes (`route`)."""
        self.show_request(f"{code}  [dim]# {route}[/dim]", params)
        try:
            obj = request()
        except stripe.error.StripeError as exc:
            raise DemoFailed(f"{code} raised {type(exc).__name__} (HTTP {exc.http_status}): "
                             f"{json.dumps(exc.json_body)[:800]}") from exc
        data: dict[str, Any] = obj.to_dict()
        response = obj.last_response
        self.show_response(f"{response.code} {type(obj).__name__}", data, show)
        if not self._version_shown:
            self._version_shown = True
            self.console.print(f"   Stripe-Version: {response.headers.get('Stripe-Version')} "
                               "(the SDK's version, echoed)")
        return data

    # -- the API, through the SDK ---------------------------------------------------------------------------
    def create_webhook_endpoint(self, params: dict[str, Any], show: tuple[str, ...]) -> dict[str, Any]:
        return self.sdk("client.v1.webhook_endpoints.create(params)", "POST /v1/webhook_endpoints", params,
                        lambda: self.client.v1.webhook_endpoints.create(params=params,  # type: ignore[arg-type]
                                                                        options=self.options),
                        (*show, "api_version"))

    def create_customer(self, params: dict[str, Any], show: tuple[str, ...]) -> dict[str, Any]:
        customer = self.sdk("client.v1.customers.create(params)", "POST /v1/customers", params,
                            lambda: self.client.v1.customers.create(params=params,  # type: ignore[arg-type]
                                                                    options=self.options),
                            (*show, "created"))
        when = datetime.fromtimestamp(customer["created"]).isoformat(sep=" ", timespec="seconds")
        self.console.print(f"   datetime.fromtimestamp(customer.created) = {when}  (Unix seconds)")
        return customer

    def create_setup_intent(self, params: dict[str, Any], show: tuple[str, ...]) -> dict[str, Any]:
        return self.sdk("client.v1.setup_intents.create(params)", "POST /v1/setup_intents", params,
                        lambda: self.client.v1.setup_intents.create(params=params,  # type: ignore[arg-type]
                                                                    options=self.options),
                        show)

    def retrieve_setup_intent(self, seti: str) -> dict[str, Any]:
        obj = self.client.v1.setup_intents.retrieve(seti, options=self.options)
        data: dict[str, Any] = obj.to_dict()
        return data

    def list_payment_methods(self, customer: str, show: tuple[str, ...]) -> dict[str, Any]:
        return self.sdk("client.v1.customers.payment_methods.list(customer)",
                        f"GET /v1/customers/{customer}/payment_methods", None,
                        lambda: self.client.v1.customers.payment_methods.list(customer, options=self.options),
                        show)

    def create_payment_intent(self, params: dict[str, Any], show: tuple[str, ...]) -> dict[str, Any]:
        return self.sdk("client.v1.payment_intents.create(params)", "POST /v1/payment_intents", params,
                        lambda: self.client.v1.payment_intents.create(params=params,  # type: ignore[arg-type]
                                                                      options=self.options),
                        show)

    def retrieve_payment_intent(self, pi: str) -> dict[str, Any]:
        obj = self.client.v1.payment_intents.retrieve(pi, options=self.options)
        data: dict[str, Any] = obj.to_dict()
        return data

    def delete_webhook_endpoint(self, endpoint: str, show: tuple[str, ...]) -> dict[str, Any]:
        return self.sdk("client.v1.webhook_endpoints.delete(id)", f"DELETE /v1/webhook_endpoints/{endpoint}",
                        None, lambda: self.client.v1.webhook_endpoints.delete(endpoint, options=self.options),
                        show)

    # -- the Stripe demo's own step --------------------------------------------------------------------------
    def more_steps(self) -> None:
        self.title("A card the issuer declines",
                   "The SDK raises stripe.error.CardError (HTTP 402) with the code, the decline_code and the "
                   "PaymentIntent, which waits in requires_payment_method for another card.")
        cus = self.customer["id"]
        params: dict[str, Any] = {
            "amount": 2500, "currency": self.currency, "confirm": True, "customer": cus,
            "payment_method_data": {"type": "card", "card": {"exp_month": "04", "exp_year": "2034",
                                                             "number": DECLINED_CARD, "cvc": "022"}},
            "return_url": RETURN_URL,
        }
        self.show_request("client.v1.payment_intents.create(params)  [dim]# POST /v1/payment_intents[/dim]",
                          params)
        try:
            pi = self.client.v1.payment_intents.create(params=params,  # type: ignore[arg-type]
                                                       options=self.options)
        except stripe.error.CardError as exc:
            error = exc.error
            if error is None or error.payment_intent is None:
                raise DemoFailed(f"the CardError carries no payment_intent: {json.dumps(exc.json_body)[:800]}"
                                 ) from exc
            intent = error.payment_intent
            self.console.print(f"[red]← {exc.http_status} stripe.error.CardError[/red] code={exc.code} "
                               f"decline_code={error.decline_code} message={exc.user_message!r}")
            self.console.print(f"   e.error.payment_intent: {intent.id} status={intent.status}")
            if exc.code != "card_declined" or intent.status != "requires_payment_method":
                raise DemoFailed(f"expected card_declined and requires_payment_method, got {exc.code} and "
                                 f"{intent.status}") from exc
            self.declines.append({"id": intent.id, "amount": intent.amount, "currency": intent.currency,
                                  "decline_code": error.decline_code, "status": intent.status})
            self.webhook("payment_intent.payment_failed", intent.id)
            return
        raise DemoFailed(f"the declining card was not declined: {pi.id} is {pi.status}")

    def more_rows(self, table: Table) -> None:
        for pi in self.declines:
            amount = format_amount(pi["amount"], pi["currency"].upper())
            table.add_row("Declined",
                          f"{pi['id']}  {amount}  {pi['status']}  decline_code={pi['decline_code']}")
