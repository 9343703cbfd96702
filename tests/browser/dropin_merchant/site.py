"""What the paykeep.js browser tests share: the merchant's site (tests/browser/dropin_merchant/, on an
origin of its own, every request and log line it got recorded), a third origin for hostile frames, and
helpers to type a card into an Element's frame."""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
FUTURE_EXPIRY = "12 / 34"  # typed as "1234": formatted by the frame
CVC = "913"  # distinctive, so the leak test can look for it
POSTAL = "94107"


def merchant_csp(paykeep_url: str, extra_frames: str = "") -> str:
    """The CSP docs/dropin.md tells a merchant to send: paykeep.js, its frames and its API calls."""
    return (
        f"default-src 'self'; script-src 'self' {paykeep_url}; frame-src {paykeep_url} {extra_frames}; "
        f"connect-src {paykeep_url}; style-src 'self'; img-src 'self' data:; base-uri 'none'"
    ).replace("  ", " ")


class Site:
    """A static site on 127.0.0.1 (its own port). `pages` maps a path to (content type, body); any other GET
    answers a small page titled "Back at the shop" (a return_url). Every request is kept in `requests`
    (method, path with query, headers, body) and every log line in `log`."""

    def __init__(
        self, pages: dict[str, tuple[str, str]] | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.pages = pages or {}
        self.headers = headers or {}
        self.requests: list[dict[str, Any]] = []
        self.log: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                site.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": body,
                    }
                )
                path = self.path.split("?")[0]
                if path in site.pages:
                    ctype, text = site.pages[path]
                    extra = site.headers if ctype.startswith("text/html") else {}
                else:
                    ctype, extra = "text/html; charset=utf-8", {}
                    text = (
                        '<!doctype html><title>Back at the shop</title><h1 id="title">Back at the shop</h1>'
                    )
                data = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for k, v in extra.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._answer()

            def do_POST(self) -> None:  # noqa: N802
                self._answer()

            def log_message(self, fmt: str, *args: Any) -> None:
                site.log.append(fmt % args)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def everything(self) -> str:
        """Every request (line, headers, body) and log line, as one text."""
        parts = [f"{r['method']} {r['path']}\n{r['headers']}\n{r['body']}" for r in self.requests]
        return "\n".join(parts + self.log)


def shop_site(paykeep_url: str, pk: str, hostile_origin: str) -> Site:
    pages = {}
    for name in ("index.html", "shop.js", "shop.css"):
        text = (
            (HERE / name).read_text().replace("__PAYKEEP__", paykeep_url).replace("__PK__", html.escape(pk))
        )
        pages["/" + name] = (TYPES[Path(name).suffix], text)
    pages["/"] = pages["/index.html"]
    return Site(pages, {"Content-Security-Policy": merchant_csp(paykeep_url, hostile_origin)})


HOSTILE_PAGE = """<!doctype html><title>hostile</title><script>
// A frame of another origin on the merchant's page: it forges paykeep.js's messages, both ways.
var id = decodeURIComponent(location.hash.slice(1));
var forged = [
  {source: "paykeep", element: id, type: "change",
   payload: {elementType: "card", empty: false, complete: true,
                                                               brand: "amex"}},
  {source: "paykeep", element: id, type: "focus"},
  {source: "paykeep", element: id, type: "resize", height: 999}
];
forged.forEach(function (m) { parent.postMessage(m, "*"); });
for (var i = 0; i < parent.frames.length; i++) {  // to the Element's own frame: clear it, tokenise it
  try {
    var to = parent.frames[i];
    to.postMessage({source: "paykeep", element: id, type: "command", command: "clear", request: "x1"}, "*");
    to.postMessage({source: "paykeep", element: id, type: "command", command: "tokenize", request: "x2",
                                  params: {}, needs: []}, "*");
  } catch (e) {}
}
document.title = "sent";
</script>"""


def hostile_site() -> Site:
    return Site({"/hostile.html": ("text/html; charset=utf-8", HOSTILE_PAGE)})


def card_frame(page: Any, container: str = "#card-element") -> Any:
    return page.frame_locator(f"{container} iframe")


def type_card(
    page: Any,
    number: str,
    *,
    container: str = "#card-element",
    expiry: str = "1234",
    cvc: str = CVC,
    postal: str | None = POSTAL,
) -> None:
    """Type a card into a card (or payment) Element, key by key, as a cardholder does."""
    frame = card_frame(page, container)
    frame.locator('input[name="cardnumber"]').press_sequentially(number)
    frame.locator('input[name="exp-date"]').press_sequentially(expiry)
    frame.locator('input[name="cvc"]').press_sequentially(cvc)
    if postal is not None:
        frame.locator('input[name="postal"]').press_sequentially(postal)
