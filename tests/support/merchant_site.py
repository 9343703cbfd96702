"""A merchant's web pages on 127.0.0.1 for the browser tests: where hosted pages send the customer back to
(Checkout's success and cancel pages, a challenge's return_url)."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class MerchantSite:
    """Every GET answers a small page whose `<h1 id="title">` (and `<title>`) is `title_for(path)`, and is
    recorded in `visits` (path with query)."""

    def __init__(self, title_for: Callable[[str], str] = lambda _path: "Back at the shop") -> None:
        self.visits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                site.visits.append(self.path)
                title = html.escape(title_for(self.path))
                body = f'<!doctype html><title>{title}</title><h1 id="title">{title}</h1>'.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
