"""Where webhooks may be sent (API.md §12): the URL rules at creation and the address rules at each attempt.

Pure policy (stdlib `ipaddress` only); resolving names and connecting are adapters/webhooks/http_sender.py's.

- Never, in either mode and whatever PAYKEEP_WEBHOOK_ALLOW_NETWORKS says: credentials in the URL, cloud
  metadata names, unspecified (`0.0.0.0/8`, `::`), link-local (`169.254.0.0/16`, `fe80::/10`), multicast,
  broadcast and reserved (`240.0.0.0/4`) addresses; an IPv6 address carrying an IPv4 one (IPv4-mapped
  `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4, Teredo) is judged by both.
- Live mode: `https` only, and public addresses only, unless the address is in an allowed network
  (PAYKEEP_WEBHOOK_ALLOW_NETWORKS, comma-separated CIDRs). `http` is accepted in live mode only for a URL
  whose host is an address literal inside an allowed network (an internal receiver named by its address).
- Test mode: loopback and private addresses too (local receivers), over http or https.

An address may be spelled in any of the forms inet_aton(3) accepts (`2852039166`, `0xa9fea9fe`,
`0251.0376.0251.0376`, `169.254.43518`, `127.1`): such a host is read as the address it names. A host whose
last label is a number but that is no valid address is refused rather than guessed at.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from paykeep.domain.errors import ParameterInvalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
URL_INVALID = "url_invalid"  # Stripe's code for a URL it will not use

# Names of cloud metadata services (GCP, AWS, Azure, Alibaba, OpenStack...), refused whatever they resolve to.
METADATA_NAMES = frozenset({
    "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    "metadata.azure.internal", "metadata.tencentyun.com", "metadata.platformequinix.com",
})
_NUMERIC_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_RESERVED_V4 = ipaddress.IPv4Network("240.0.0.0/4")  # includes 255.255.255.255


@dataclass(frozen=True)
class UrlPolicy:
    livemode: bool
    allow_networks: tuple[IPNetwork, ...] = ()

    def allowed(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.allow_networks)


def parse_networks(raw: str | Iterable[str] | None) -> tuple[IPNetwork, ...]:
    """PAYKEEP_WEBHOOK_ALLOW_NETWORKS: `10.0.0.0/8, fd00::/8` (a bare address is a /32 or /128)."""
    if raw is None:
        return ()
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    networks: list[IPNetwork] = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError as exc:
            raise ValueError(f"PAYKEEP_WEBHOOK_ALLOW_NETWORKS: {part!r} is not a network "
                             "(e.g. 10.0.0.0/8)") from exc
    return tuple(networks)


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """`host` read the way inet_aton(3) (and so getaddrinfo) reads it: 1 to 4 parts, each decimal, octal
    (leading 0) or hex (0x); the last part fills the remaining bytes. None when it is not such a number;
    ValueError when it looks like one but names no address (e.g. `1.2.3.999`)."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts = parts[:-1]  # a trailing dot
    if not _NUMERIC_PART.match(parts[-1]):
        return None
    if len(parts) > 4 or not all(_NUMERIC_PART.match(p) for p in parts):
        raise ValueError("not an address")
    values = []
    for part in parts:
        if part[:2].lower() == "0x":
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part[0] == "0":
            if any(c in "89" for c in part):
                raise ValueError("not an octal number")
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        raise ValueError("a part is out of range")
    number = last
    for index, value in enumerate(head):
        number += value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def parse_host_address(host: str) -> IPAddress | None:
    """The address an URL's host names literally (any IPv4 spelling, IPv6 with or without brackets and a
    zone), or None for a name. ValueError for a host that looks like an address but is none."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        text = unquote(text)  # a zone written %25eth0 in a URL
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            raise ValueError("not an IPv6 address") from None
    return parse_ipv4(text)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if int(address) >> 32 == 0 and int(address) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        found.append(ipaddress.IPv4Address(int(address)))
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    return found


def address_refusal(address: IPAddress, policy: UrlPolicy) -> str | None:
    """Why a webhook must not go to `address` under `policy`, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
        for inner in _embedded_ipv4(address):
            reason = _refusal(inner, policy)
            if reason:
                return reason
    return _refusal(address, policy)


def _refusal(address: IPAddress, policy: UrlPolicy) -> str | None:
    if address.is_unspecified or (address.version == 4 and address in _THIS_NETWORK):
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if address.is_multicast:
        return "a multicast address"
    if address.version == 4 and address in _RESERVED_V4:
        return "a reserved or broadcast address"
    if not policy.livemode or policy.allowed(address):
        return None
    if address.is_loopback:
        return "a loopback address (live mode delivers only to public addresses)"
    if not address.is_global:
        return "a private or non-public address (live mode delivers only to public addresses)"
    return None


def host_refusal(host: str, policy: UrlPolicy) -> str | None:
    """Why the host of an URL is refused before any resolution (names and address literals)."""
    name = host.strip().lower().rstrip(".")
    if not name:
        return "the URL must name a host."
    if "%" in name and ":" not in name:
        return "the host must not be percent-encoded."
    if name in METADATA_NAMES or name.endswith(".metadata.google.internal"):
        return "the host is a cloud metadata service."
    try:
        address = parse_host_address(name)
    except ValueError:
        return "the host looks like an IP address but is not a valid one."
    if address is None:
        if policy.livemode and (name == "localhost" or name.endswith(".localhost")):
            return "the host is this machine (live mode delivers only to public addresses)."
        return None
    reason = address_refusal(address, policy)
    return f"the host is {reason}." if reason else None


def check_webhook_url(url: str, policy: UrlPolicy, *, param: str = "url") -> str:
    """The webhook URL rules at creation and update: raises 400 `url_invalid` with `param`."""
    problem = _url_problem(url, policy)
    if problem:
        raise ParameterInvalid(param, f"Invalid URL: {problem}", code=URL_INVALID)
    return url


def _url_problem(url: str, policy: UrlPolicy) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the URL could not be parsed (check the host and port)."
    netloc = parts.netloc
    if "@" in netloc:
        return "the URL must not contain a user name or password (authenticate with the signature)."
    if "\\" in netloc:
        return "the URL's host must not contain a backslash."
    host = parts.hostname or ""
    reason = host_refusal(host, policy)
    if reason:
        return reason
    if policy.livemode and parts.scheme.lower() != "https":
        address = parse_host_address(host)
        if address is None or not policy.allowed(address):
            return "live mode webhooks must use https://."
    return None
