"""Outbound webhook POSTs: no redirects followed, one overall deadline, at most 1 KB of the answer read.

Where a webhook may go (domain/webhook_urls.py) is checked here again at every attempt, on the addresses the
host resolves to at that moment: the connection is opened by `GuardedBackend` to the very address it
checked (the URL keeps its name, so the Host header, SNI and certificate check are the name's), so a DNS
answer that changes between the check and the connection (rebinding) cannot move it. A refused attempt sends
nothing and is recorded as a failed attempt with the reason. Test and live mode have separate connection
pools, so a live-mode attempt never reuses a connection opened under test mode's wider rules.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpcore
import httpx

from paykeep import __version__
from paykeep.domain.webhook_urls import IPNetwork, UrlPolicy, address_refusal

Resolver = Callable[[str, int], Awaitable[list[str]]]  # (host, port) -> addresses, as getaddrinfo gives them

EXCERPT_BYTES = 1024
# httpx logs every request URL at INFO; endpoint URLs may carry tokens (our own log line names the endpoint).
logging.getLogger("httpx").setLevel(logging.WARNING)


@dataclass(frozen=True)
class SendResult:
    status_code: int | None  # None when no HTTP answer arrived (timeout, connection error)
    latency_ms: int
    error: str | None  # a short reason for a failure without a status code (never a secret)
    excerpt: str | None  # the first 1 KB of the response body, decoded leniently


class AddressRefused(Exception):
    """The host resolved to an address webhooks must not go to (the message is shown to the merchant)."""


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to an address the policy allows: resolve, check every
    address the name has (a mixed answer is refused whole), connect to the first one."""

    def __init__(self, policy: UrlPolicy, resolver: Resolver) -> None:
        self.policy = policy
        self.resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.resolver(host, port)
        except OSError:
            raise AddressRefused("could not resolve the host") from None
        if not addresses:
            raise AddressRefused("could not resolve the host")
        for text in addresses:
            reason = address_refusal(ipaddress.ip_address(text), self.policy)
            if reason:
                raise AddressRefused(f"refused: the host resolves to {reason}; nothing was sent")
        return await self._inner.connect_tcp(addresses[0], port, timeout=timeout, local_address=local_address,
                                             socket_options=socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: typing.Iterable[typing.Any] | None = None
                                  ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - never a socket file
        raise AddressRefused("refused: not a TCP address")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose every connection goes through `GuardedBackend`.
    No proxy from the environment: the address rules are the egress policy (a proxy would hide the
    address)."""

    def __init__(self, backend: GuardedBackend, limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


class HttpSender:
    """One pooled `httpx.AsyncClient` per mode per worker. `send` never raises for network trouble."""

    def __init__(self, timeout: float, *, max_connections: int = 64,
                 allow_networks: tuple[IPNetwork, ...] = (), resolver: Resolver | None = None) -> None:
        self.timeout = timeout
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self._policies = {livemode: UrlPolicy(livemode, allow_networks) for livemode in (False, True)}
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        for livemode in (False, True):
            backend = GuardedBackend(self._policies[livemode], resolver or system_resolver)
            self._clients[livemode] = httpx.AsyncClient(
                transport=GuardedTransport(backend, limits),
                follow_redirects=False,
                timeout=httpx.Timeout(timeout),
                headers={"User-Agent": f"paykeep-webhooks/{__version__}"},
                trust_env=False,
            )

    async def send(self, url: str, body: bytes, headers: dict[str, str], *, livemode: bool) -> SendResult:
        started = time.perf_counter()
        status: int | None = None
        excerpt: bytes = b""
        client = self._clients[bool(livemode)]
        refused = _url_refusal(url, self._policies[bool(livemode)])
        if refused:
            return self._result(started, None, refused, b"")
        try:
            async with asyncio.timeout(self.timeout):
                request = client.build_request(
                    "POST",
                    url,
                    content=body,
                    headers={"Content-Type": "application/json; charset=utf-8", **headers},
                )
                response = await client.send(request, stream=True)
                try:
                    status = response.status_code
                    async for chunk in response.aiter_bytes():
                        excerpt += chunk
                        if len(excerpt) >= EXCERPT_BYTES:
                            break
                finally:
                    await response.aclose()
        except AddressRefused as exc:
            return self._result(started, None, str(exc), b"")
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
        for client in self._clients.values():
            await client.aclose()


def _url_refusal(url: str, policy: UrlPolicy) -> str | None:
    """What is refused before any connection, for URLs stored before today's rules (read as httpx reads
    them): credentials (never sent as Basic auth), an address literal the policy refuses, and plain http in
    live mode except to an allowed address literal."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return "invalid URL"
    if parsed.userinfo:
        return "refused: the URL contains credentials; nothing was sent"
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(parsed.host)
    except ValueError:
        literal = None  # a name: its addresses are checked when it is resolved (GuardedBackend)
    reason = address_refusal(literal, policy) if literal is not None else None
    if reason:
        return f"refused: the host is {reason}; nothing was sent"
    if policy.livemode and parsed.scheme != "https" and not (literal is not None and policy.allowed(literal)):
        return "refused: live mode webhooks must use https; nothing was sent"
    return None


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "connection failed"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the receiver closed the connection or sent an invalid HTTP response"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "invalid URL"
    return f"HTTP error: {type(exc).__name__}"
