"""paykeep.logs: the redaction layer every log line goes through, and the one-line access log."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from paykeep.logs import RedactingFormatter, configure_logging, log_request, redact

CARDS = [
    "4242424242424242",
    "4242 4242 4242 4242",
    "4242-4242-4242-4242",
    "378282246310005",
    "3782 822463 10005",
    "6011111111111117",
    "4000002760003184",
    "5555555555554444",
    "4222222222222",
    "6200000000000000000",
]


@pytest.mark.parametrize("card", CARDS)
def test_card_numbers_are_masked_with_or_without_separators(card: str) -> None:
    digits = card.replace(" ", "").replace("-", "")
    for line in (
        f"number={card}",
        f'{{"card": {{"number": "{card}"}}}}',
        f"card[number]={card}&x=1",
        f"charging {card} now",
        f"/v1/customers/{card}",
    ):
        out = redact(line)
        assert digits not in out.replace(" ", "").replace("-", ""), out
        assert digits[:6] not in out, out
        assert digits[-4:] in out, "the last four digits stay, as on a receipt"


@pytest.mark.parametrize(
    "secret",
    [
        "sk_test_" + "a1B2c3D4" * 6,
        "sk_live_" + "Z9y8X7w6" * 6,
        "pk_test_" + "q" * 48,
        "pk_live_" + "Q1" * 24,
        "rk_test_" + "r" * 30,
        "whsec_" + "w1" * 16,
    ],
)
def test_api_keys_and_webhook_secrets_are_masked(secret: str) -> None:
    for line in (
        f"Authorization: Bearer {secret}",
        f"key={secret}",
        f'{{"secret": "{secret}"}}',
        f"invalid key {secret}.",
    ):
        out = redact(line)
        assert secret not in out, out
        assert secret.split("_")[-1][:6] not in out, out


@pytest.mark.parametrize(
    "client_secret",
    [
        "seti_1838767497487056896_secret_abcdefghijklmnopqrstuvwx",
        "pi_1838767497487056896_secret_ABCDEFGHIJKLMNOPQRSTUVWX1234",
    ],
)
def test_client_secrets_are_masked(client_secret: str) -> None:
    out = redact(f"GET /v1/setup_intents?client_secret={client_secret}")
    assert client_secret not in out
    assert client_secret.rsplit("_", 1)[1] not in out
    assert client_secret.split("_secret_")[0] in out, "the intent id itself stays readable"


@pytest.mark.parametrize("line", ['"cvc": "123"', "card[cvc]=4567", "cvc=123", "CVC: 999"])
def test_cvc_fields_are_masked(line: str) -> None:
    digits = line.rstrip('"')[-3:]
    assert digits not in redact(line)


@pytest.mark.parametrize(
    "object_id",
    [
        "cus_1838767497487056896",
        "pm_1838767497487056896",
        "seti_1838767497487056896",
        "pi_1838767497487056896",
        "evt_1838767497487056896",
        "req_1838767497487056896",
        "acct_1838767497487056896",
        "we_1838767497487056896",
    ],
)
def test_ids_are_not_masked(object_id: str) -> None:
    for line in (
        f"GET /v1/customers/{object_id}",
        f'{{"id": "{object_id}", "status": 200}}',
        f"request_id={object_id}",
    ):
        assert redact(line) == line


@pytest.mark.parametrize(
    "line",
    [
        # the SQLite wake-up socket (adapters/db/outbox_signal.py), whatever digits its name happens to hold
        "listening on @paykeep-wake-1234567890123456",
        "listening on @paykeep-wake-4242424242424242-81234-4242424242424242",
        "wake-up sent to @paykeep-wake-6011111111111117",
        # digit runs that are not card numbers: 12-14 digits failing the Luhn check, too long, or glued to a
        # word (a Luhn-invalid run of 15-19 digits is masked: it may be a mistyped card number)
        "order 12345678901234 shipped",
        "timestamp_ns=17648273640123456789 elapsed=1234567890123",
        "sha a4242424242424242f /tmp/x4242424242424242",
        "2026-11-26 09:10:08,123 INFO paykeep.worker 3 deliveries in 0.123456789012 s",
    ],
)
def test_socket_names_and_other_digit_runs_are_left_alone(line: str) -> None:
    assert redact(line) == line


@pytest.mark.parametrize(("line", "masked"), [
    ("number=4242424242424241", "number=[redacted-number ••••4241]"),  # one digit mistyped: no Luhn check
    ("order 1234567890123456 shipped", "order [redacted-number ••••3456] shipped"),
    ("42424242 42424242", "[redacted-number ••••4242]"),  # grouped in eights
    ("created 1795693099478", "created 1795693099478"),  # a millisecond timestamp stays readable
])
def test_card_shaped_runs_of_15_digits_and_more_are_masked_even_when_they_fail_the_luhn_check(
        line: str, masked: str) -> None:
    assert redact(line) == masked


def test_a_card_number_followed_by_another_number_is_masked_alone() -> None:
    assert redact("4242 4242 4242 4242 12") == "[redacted-number ••••4242] 12"
    assert redact("card=4242-4242-4242-4242-99 x") == "card=[redacted-number ••••4242]-99 x"


def test_ordinary_text_is_untouched() -> None:
    line = '{"method":"POST","path":"/v1/customers","status":402,"latency_ms":12.5,"request_id":"req_1"}'
    assert redact(line) == line
    assert redact("amount=2000 currency=usd exp_month=12 exp_year=2030 last4=4242") == (
        "amount=2000 currency=usd exp_month=12 exp_year=2030 last4=4242"
    )


def logger_with_buffer(name: str) -> tuple[logging.Logger, io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, buffer


def test_the_formatter_redacts_messages_arguments_and_tracebacks() -> None:
    logger, buffer = logger_with_buffer("paykeep.test.redaction")
    logger.info("card %s key %s", "4242424242424242", "sk_test_" + "k" * 40)
    try:
        raise ValueError("bad card 5555 5555 5555 4444 for seti_1_secret_abcdefghijklmnop")
    except ValueError:
        logger.exception("failed")
    out = buffer.getvalue()
    assert "4242424242424242" not in out and "k" * 40 not in out
    assert "5555 5555 5555 4444" not in out and "abcdefghijklmnop" not in out
    assert "Traceback" in out and "ValueError" in out


def test_access_log_is_one_json_line_per_request(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="paykeep.access"):
        log_request("POST", "/v1/customers", 200, 3.14159, "req_1838767497487056896")
    records = [r for r in caplog.records if r.name == "paykeep.access"]
    assert len(records) == 1
    entry = json.loads(records[0].getMessage())
    assert entry == {
        "method": "POST",
        "path": "/v1/customers",
        "status": 200,
        "latency_ms": 3.14,
        "request_id": "req_1838767497487056896",
    }


def test_an_access_line_with_a_card_number_or_key_in_its_path_is_redacted() -> None:
    # The access line's path is redacted before the line is built (the formatter then skips the whole-line
    # pass for it): a card number or key a client put in the URL must still never reach the output.
    logger, buffer = logger_with_buffer("paykeep.access")
    try:
        log_request("GET", "/v1/customers/4242 4242 4242 4242", 404, 1.0, "req_1838767497487056896")
        log_request("GET", "/v1/x?key=sk_test_" + "k" * 40 + "&cvc=123", 404, 1.0, "req_1838767497487056896")
    finally:
        logger.handlers[:] = []
        logger.propagate = True
    out = buffer.getvalue()
    assert "4242 4242 4242 4242" not in out and "k" * 40 not in out and "cvc=123" not in out
    assert "req_1838767497487056896" in out and out.count("\n") == 2
    for line in out.splitlines():
        json.loads(line.split(" ", 2)[2])  # still one JSON object per line


def test_the_servers_access_line_has_the_format_of_every_other_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Under `paykeep serve` an access line is written straight to the server's handler (no LogRecord); it must
    # read exactly like a line that went through logging, and still be redacted.
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("info")
        log_request("GET", "/v1/customers/4242424242424242", 404, 0.5, "req_1838767497487056896")
        logging.getLogger("paykeep.other").info("through logging")
    finally:
        root.handlers[:], root.level = saved
    direct, through_logging = capsys.readouterr().err.splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"
    assert re.fullmatch(stamp + r" INFO paykeep\.access \{.*\}", direct), direct
    assert re.fullmatch(stamp + r" INFO paykeep\.other through logging", through_logging), through_logging
    entry = json.loads(direct.split(" ", 4)[4])
    assert entry["path"] == "/v1/customers/[redacted-number ••••4242]" and entry["status"] == 404
    assert entry["latency_ms"] == 0.5 and entry["request_id"] == "req_1838767497487056896"
