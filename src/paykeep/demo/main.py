"""`paykeep demo`: the seed guide run against a server, in a dialect: raw HTTP for WooshPay's (runner.Demo),
the official `stripe` package for Stripe's (stripe_sdk.StripeDemo). Both build on runner.py; this module picks
one, so neither imports the other's caller."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from rich.console import Console

from paykeep.demo.runner import Demo, DemoFailed, WebhookReceiver, own_server
from paykeep.domain.dialects import HEADER as DIALECT_HEADER

DIALECTS = ("wooshpay", "stripe")


def run_demo(base_url: str | None, key: str | None, console: Console | None = None,
             dialect: str = "wooshpay") -> int:
    """Exit status: 0 when every step answered as the guide says. `dialect`: one of DIALECTS (the caller
    has checked it)."""
    console = console or Console()
    if dialect == "stripe":
        try:
            from paykeep.demo import stripe_sdk
        except ImportError as exc:
            console.print("[red]demo failed:[/red] --dialect stripe needs the official `stripe` Python "
                          f"package (pip install stripe==16.1.0): {exc}")
            return 1
        receiver = WebhookReceiver(header="Stripe-Signature", verify=stripe_sdk.verify_stripe)
    else:
        receiver = WebhookReceiver()
    try:
        with _target(console, base_url, key, dialect) as (url, secret_key):
            console.print(f"paykeep demo against [bold]{url}[/bold]; webhooks to {receiver.url}")
            if dialect != "wooshpay":
                console.print(f"Every request asks for the {dialect} dialect ({DIALECT_HEADER}: {dialect}).")
            with _demo(console, url, secret_key, receiver, dialect) as demo:
                try:
                    demo.run()
                finally:
                    demo.summary()
    except DemoFailed as exc:
        console.print(f"[red]demo failed:[/red] {exc}")
        return 1
    except httpx.HTTPError as exc:
        console.print(f"[red]demo failed:[/red] could not reach the server ({type(exc).__name__}: {exc})")
        return 1
    finally:
        receiver.close()
    if demo.webhooks_missing:
        console.print(f"[yellow]{len(demo.webhooks_missing)} webhook(s) did not arrive; every API step "
                      "succeeded.[/yellow]")
    else:
        console.print("[bold green]Done:[/bold green] the cards were saved, charged later, and every step "
                      "was confirmed by a signed webhook.")
    return 0


@contextmanager
def _demo(console: Console, url: str, secret_key: str, receiver: WebhookReceiver,
          dialect: str) -> Iterator[Demo]:
    if dialect == "stripe":
        from paykeep.demo.stripe_sdk import StripeDemo

        yield StripeDemo(console, url, secret_key, receiver)
        return
    with httpx.Client(base_url=url, auth=(secret_key, ""), timeout=30,
                      headers={DIALECT_HEADER: dialect}) as api:
        yield Demo(console, api, receiver)


@contextmanager
def _target(console: Console, base_url: str | None, key: str | None,
            dialect: str = "wooshpay") -> Iterator[tuple[str, str]]:
    if base_url:
        if not key:
            raise DemoFailed("--base-url needs --key (a test secret key, sk_test_…)")
        yield base_url.rstrip("/"), key
        return
    with own_server(console, dialect) as target:
        yield target
