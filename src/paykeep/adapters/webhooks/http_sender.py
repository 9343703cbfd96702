"""Outbound webhook POSTs: no redirects followed, one overall deadline, at most 1 KB of the answer read."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import httpx

from paykeep import __version__

EXCERPT_BYTES = 1024
# httpx logs every request URL at INFO; endpoint URLs may carry tokens (our own log line names the endpoint).
logging.getLogger("httpx").setLevel(logging.WARNING)


@dataclass(frozen=True)
class SendResult:
    status_code: int | None  # None when no HTTP answer arrived (timeout, connection error)
    latency_ms: int
    error: str | None  # a short reason for a failure without a status code (never a secret)
    excerpt: str | None  # the first 1 KB of the response body, decoded leniently


class HttpSender:
    """One pooled `httpx.AsyncClient` per worker. `send` never raises for network trouble."""

    def __init__(self, timeout: float, *, max_connections: int = 64) -> None:
        self.timeout = timeout
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"User-Agent": f"paykeep-webhooks/{__version__}"},
            trust_env=True,  # HTTP(S)_PROXY / NO_PROXY: an egress proxy can police where webhooks go
        )

    async def send(self, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
        started = time.perf_counter()
        status: int | None = None
        excerpt: bytes = b""
        try:
            async with asyncio.timeout(self.timeout):
                request = self._client.build_request(
                    "POST",
                    url,
                    content=body,
                    headers={"Content-Type": "application/json; charset=utf-8", **headers},
                )
                response = await self._client.send(request, stream=True)
                try:
                    status = response.status_code
                    async for chunk in response.aiter_bytes():
                        excerpt += chunk
                        if len(excerpt) >= EXCERPT_BYTES:
                            break
                finally:
                    await response.aclose()
        except TimeoutError:
            return self._result(started, status, f"timeout after {self.timeout:g}s", excerpt)
        except httpx.TimeoutException:
            return self._result(started, status, f"timeout after {self.timeout:g}s", excerpt)
        except httpx.HTTPError as exc:
            return self._result(started, status, _describe(exc), excerpt)
        except OSError as exc:  # pragma: no cover - httpx wraps most of these
            return self._result(started, status, f"network error: {type(exc).__name__}", excerpt)
        return self._result(started, status, None, excerpt)

    @staticmethod
    def _result(started: float, status: int | None, error: str | None, excerpt: bytes) -> SendResult:
        latency = int(round((time.perf_counter() - started) * 1000))
        text = excerpt[:EXCERPT_BYTES].decode("utf-8", errors="replace") if excerpt else None
        if error is None and status is not None and 300 <= status < 400:
            error = "redirect not followed"
        return SendResult(status_code=status, latency_ms=latency, error=error, excerpt=text)

    async def close(self) -> None:
        await self._client.aclose()


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the receiver closed the connection or sent an invalid HTTP response"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "invalid URL"
    return f"HTTP error: {type(exc).__name__}"
