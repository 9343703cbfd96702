"""domain/webhook_urls.py: where webhooks may go, in every spelling an attacker might try (API.md §12)."""

from __future__ import annotations

import ipaddress

import pytest

from paykeep.domain.errors import ParameterInvalid
from paykeep.domain.webhook_urls import (
    UrlPolicy,
    address_refusal,
    check_webhook_url,
    parse_host_address,
    parse_networks,
)

TEST = UrlPolicy(livemode=False)
LIVE = UrlPolicy(livemode=True)

NEVER = [  # refused in both modes, whatever the allow list says
    "http://169.254.169.254/latest/meta-data/",
    "http://2852039166/",  # decimal
    "http://0xa9fea9fe/",  # hex
    "http://0xA9.0xFE.0xA9.0xFE/",
    "http://0251.0376.0251.0376/",  # octal
    "http://169.254.43518/",  # short forms
    "http://169.16689662/",
    "http://[::ffff:169.254.169.254]/",  # IPv4-mapped IPv6
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64
    "http://[::169.254.169.254]/",  # IPv4-compatible
    "http://[fe80::1]/", "http://[fe80::1%25eth0]/",
    "http://metadata.google.internal/computeMetadata/v1/", "http://METADATA.google.internal./",
    "http://metadata/", "http://instance-data/latest/",
    "http://0/", "http://0.0.0.0:8420/", "http://[::]/", "http://0x0/",
    "http://224.0.0.1/", "http://[ff02::1]/", "http://255.255.255.255/", "http://240.0.0.1/",
    "http://user:secret@example.com/hooks", "https://token@example.com/", "https://:pw@example.com/",
    "http://1.2.3.999/", "http://1.2.3.4.5/", "http://08.1.1.1/",  # numbers that are no address
    "http://%31%36%39.254.169.254/",
]
LIVE_ONLY = [  # fine for a local receiver in test mode, refused in live mode
    "http://127.0.0.1:9000/hooks", "https://127.0.0.1/", "https://127.1/", "https://2130706433/",
    "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://localhost:22/", "https://api.localhost/",
    "https://10.0.0.1/", "https://192.168.1.10/", "https://172.16.0.1/", "https://100.64.0.1/",
    "https://[fd00::1]/", "https://0x0a000001/",
    "http://merchant.example/hooks",  # plain http to a public name
]
FINE = ["https://merchant.example/hooks", "https://93.184.216.34/hooks", "https://[2606:4700::1111]/"]


def refused(url: str, policy: UrlPolicy) -> bool:
    try:
        check_webhook_url(url, policy)
    except ParameterInvalid as exc:
        assert exc.param == "url" and exc.code == "url_invalid"
        return True
    return False


@pytest.mark.parametrize("url", NEVER)
def test_never_in_any_mode_or_allow_list(url: str) -> None:
    everything = UrlPolicy(True, parse_networks("0.0.0.0/0,::/0"))
    assert refused(url, TEST) and refused(url, LIVE) and refused(url, everything)


@pytest.mark.parametrize("url", LIVE_ONLY)
def test_local_receivers_in_test_mode_only(url: str) -> None:
    assert not refused(url, TEST)
    assert refused(url, LIVE)


@pytest.mark.parametrize("url", FINE)
def test_public_https_in_both_modes(url: str) -> None:
    assert not refused(url, TEST) and not refused(url, LIVE)


def test_the_allow_list_names_networks_live_mode_may_use() -> None:
    policy = UrlPolicy(True, parse_networks(" 10.0.0.0/8 , fd00::/8,127.0.0.2"))
    assert not refused("https://10.1.2.3/h", policy) and not refused("https://[fd12::1]/", policy)
    assert not refused("http://127.0.0.2:9000/h", policy)  # http to an allowed address literal
    assert refused("http://internal.corp/h", policy)  # ... but not to a name: that needs https
    assert refused("https://192.168.0.1/", policy) and refused("https://127.0.0.3/", policy)
    with pytest.raises(ValueError, match="PAYKEEP_WEBHOOK_ALLOW_NETWORKS"):
        parse_networks("10.0.0.0/33")


def test_addresses_as_resolved_are_judged_the_same_way() -> None:
    def why(text: str, policy: UrlPolicy = LIVE) -> str | None:
        return address_refusal(ipaddress.ip_address(text), policy)

    assert "link-local" in (why("169.254.169.254", TEST) or "")
    assert "link-local" in (why("::ffff:169.254.169.254", TEST) or "")
    assert "loopback" in (why("127.0.0.2") or "") and why("127.0.0.2", TEST) is None
    assert "private" in (why("10.0.0.1") or "") and why("8.8.8.8") is None
    assert "unspecified" in (why("0.0.0.0", TEST) or "")


def test_inet_aton_spellings_read_as_the_address_they_name() -> None:
    expected = ipaddress.ip_address("169.254.169.254")
    for host in ("2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518", "169.0xfe.0xa9fe"):
        assert parse_host_address(host) == expected, host
    assert parse_host_address("127.1") == ipaddress.ip_address("127.0.0.1")
    assert parse_host_address("merchant.example") is None
    assert parse_host_address("1e100.net") is None  # a name whose last label is not a number
