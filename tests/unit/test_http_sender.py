"""adapters/webhooks/http_sender.py against real receivers on loopback addresses: the address a name resolves
to is checked at the attempt, and the connection goes to that very address (no second lookup to rebind)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paykeep.adapters.webhooks.http_sender import HttpSender  # noqa: E402
from paykeep.domain.webhook_urls import parse_networks  # noqa: E402
from support.receiver import Receiver  # noqa: E402


def send(sender: HttpSender, url: str, *, livemode: bool):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        try:
            return await sender.send(url, b"{}", {"X-Test": "1"}, livemode=livemode)
        finally:
            await sender.close()

    return asyncio.run(go())


def fixed_dns(answers: dict[str, list[str]], asked: list[str]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[host]

    return resolve


def test_connects_to_the_checked_address_with_the_name_in_the_host_header() -> None:
    receiver = Receiver()
    asked: list[str] = []
    try:
        sender = HttpSender(2.0, resolver=fixed_dns({"hooks.merchant.test": ["127.0.0.1"]}, asked))
        result = send(sender, f"http://hooks.merchant.test:{receiver.port}/hooks", livemode=False)
        assert result.status_code == 200 and result.error is None
        (got,) = receiver.snapshot()
        assert got.headers["Host"] == f"hooks.merchant.test:{receiver.port}"  # unresolvable by the system
        assert asked == ["hooks.merchant.test"]  # one lookup, and the connection went where it said
    finally:
        receiver.close()


def test_live_mode_refuses_a_name_resolving_to_a_loopback_address_and_sends_nothing() -> None:
    receiver = Receiver(host="127.0.0.2")
    try:
        dns = fixed_dns({"hooks.merchant.test": ["127.0.0.2"],
                         "mixed.merchant.test": ["93.184.216.34", "169.254.169.254"]}, [])
        sender = HttpSender(2.0, resolver=dns)
        result = send(sender, f"https://hooks.merchant.test:{receiver.port}/hooks", livemode=True)
        assert result.status_code is None and result.error is not None
        assert result.error.startswith("refused:") and "loopback" in result.error
        mixed = send(HttpSender(2.0, resolver=dns), "https://mixed.merchant.test/", livemode=True)
        assert mixed.error is not None and "link-local" in mixed.error  # one bad answer refuses them all
        assert receiver.snapshot() == []
    finally:
        receiver.close()


def test_link_local_is_refused_even_in_test_mode_in_any_spelling() -> None:
    for url in ("http://169.254.169.254/latest", "http://2852039166/", "http://[::ffff:169.254.169.254]/",
                "http://0/"):
        result = send(HttpSender(1.0), url, livemode=False)
        assert result.status_code is None and (result.error or "").startswith("refused:"), (url, result)


def test_an_allowed_network_takes_plain_http_in_live_mode_but_credentials_are_never_sent() -> None:
    receiver = Receiver(host="127.0.0.2")
    try:
        allowed = parse_networks("127.0.0.2/32")
        ok = send(HttpSender(2.0, allow_networks=allowed), f"http://127.0.0.2:{receiver.port}/h",
                  livemode=True)
        assert ok.status_code == 200
        creds = send(HttpSender(2.0, allow_networks=allowed), f"http://u:p@127.0.0.2:{receiver.port}/h",
                     livemode=True)
        assert creds.status_code is None and "credentials" in (creds.error or "")
        other = send(HttpSender(2.0, allow_networks=allowed), f"http://127.0.0.1:{receiver.port}/h",
                     livemode=True)
        assert other.status_code is None and "loopback" in (other.error or "")
        name = send(HttpSender(2.0, allow_networks=allowed), "http://hooks.merchant.test/h", livemode=True)
        assert name.status_code is None and "https" in (name.error or "")
        assert len(receiver.snapshot()) == 1
        assert "Authorization" not in receiver.snapshot()[0].headers
    finally:
        receiver.close()
