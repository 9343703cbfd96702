"""The 3-D Secure challenge's frame variant (docs/browser-api.md) in Chromium: a merchant page on another
origin frames the URL a browser's confirm got; answered in the frame, the page tells its parent with
postMessage (`{type: "paykeep:3ds-complete", intent, outcome}`, no card data) and redirects nowhere. The
full-page challenge refuses to be framed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from support.payments import RETURN_URL, card
from support.server import PaykeepServer

pytestmark = [pytest.mark.browser, pytest.mark.dialects("wooshpay", "stripe")]

THREE_DS = "4000002760003184"
PAGE = """<!doctype html><title>Shop</title>
<p id="got"></p>
<iframe id="challenge" src="%s" width="420" height="520"></iframe>
<script>
window.addEventListener("message", function (event) {
  document.getElementById("got").textContent = JSON.stringify({origin: event.origin, data: event.data});
});
</script>"""


def _browser_confirm(server: PaykeepServer, **params: Any) -> dict[str, Any]:
    with server.client() as api:
        pi = api.post("/v1/payment_intents", json={"amount": 3100, "currency": "eur"}).json()
    resp = httpx.post(f"{server.base_url}/v1/payment_intents/{pi['id']}/confirm", timeout=30, data={
        "key": server.pk, "client_secret": pi["client_secret"], "use_stripe_sdk": "true",
        **{f"payment_method_data[card][{k}]": v for k, v in card(THREE_DS).items()},
        "payment_method_data[type]": "card", **params})
    assert resp.status_code == 200 and resp.json()["status"] == "requires_action", resp.text
    return dict(resp.json())


def _frame_url(intent: dict[str, Any]) -> str:
    action = intent["next_action"]
    if action["type"] == "use_stripe_sdk":
        return str(action["use_stripe_sdk"]["stripe_js"])
    return str(action[action["type"]]["url"]) + "?frame=1"


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    """The merchant's origin (another port of 127.0.0.1): GET /checkout?src=<url> frames <url>."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            src = parse_qs(urlsplit(self.path).query).get("src", [""])[0]
            body = (PAGE % src.replace('"', "%22")).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_address[1]}"  # localhost: another origin than paykeep's 127.0.0.1
    httpd.shutdown()
    httpd.server_close()


def _open_shop(page: Any, shop: str, src: str) -> str:
    from urllib.parse import urlencode

    url = f"{shop}/checkout?{urlencode({'src': src})}"
    page.goto(url)
    return url


@pytest.mark.parametrize("outcome", ["complete", "fail"])
def test_the_framed_challenge_tells_the_merchant_page(page: Any, server: PaykeepServer, shop: str,
                                                     outcome: str) -> None:
    intent = _browser_confirm(server)
    shop_url = _open_shop(page, shop, _frame_url(intent))
    frame = page.frame_locator("#challenge")
    button = "Complete authentication" if outcome == "complete" else "Fail authentication"
    frame.get_by_role("button", name=button).click()
    page.wait_for_function("document.getElementById('got').textContent.length > 0")
    got = json.loads(page.locator("#got").text_content())
    assert got == {"origin": server.base_url,
                   "data": {"type": "paykeep:3ds-complete", "intent": intent["id"], "outcome": outcome}}
    assert page.url == shop_url  # the merchant's page stayed where it was
    assert frame.locator("#done").get_attribute("data-outcome") == outcome
    with server.client() as api:
        status = api.get(f"/v1/payment_intents/{intent['id']}").json()["status"]
    assert status == ("succeeded" if outcome == "complete" else "requires_payment_method")


def test_the_full_page_challenge_refuses_to_be_framed(page: Any, server: PaykeepServer, shop: str) -> None:
    with server.client() as api:
        made = api.post("/v1/payment_intents", json={
            "amount": 3100, "currency": "eur", "confirm": True, "return_url": RETURN_URL,
            "payment_method_data": {"type": "card", "card": card(THREE_DS)}}).json()
    url = _frame_url(made).removesuffix("?frame=1")
    _open_shop(page, shop, url)
    page.wait_for_timeout(500)
    challenge = next(f for f in page.frames if f is not page.main_frame)
    assert challenge.locator("button").count() == 0  # Chromium refused to show it
    with server.client() as api:
        assert api.get(f"/v1/payment_intents/{made['id']}").json()["status"] == "requires_action"
