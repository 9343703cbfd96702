"""Logging with a redaction layer: card-like digit runs, API keys and secrets never reach a log line."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import TextIO

from paykeep.domain.cards import luhn_valid

# A card number's shape: 12-19 digits in one run, or groups of 4-8 then 2-8 digits (spaces or hyphens between
# them), standing on its own. A run glued to a word (`cus_…`, `paykeep-wake-…`, `a1234…`) is an identifier,
# not a card number. 12-14 digits that fail the Luhn check are not a card number (a millisecond timestamp is
# 13 digits); 15-19 digits are masked whether or not they pass it: a card number mistyped by one digit still
# shows the other fifteen.
_PAN = re.compile(r"(?<!\w)(?<![A-Za-z0-9]-)(?:\d{12,19}|\d{4,8}(?:[ -]\d{2,8}){1,4})(?!\d)")
_ALWAYS_MASKED = 15  # digits from which a card-shaped run is masked even when it fails the Luhn check
_GROUP_END = re.compile(r"\d(?=[ -]|$)")
_SECRET = re.compile(r"\b(sk|pk|rk|whsec)_(test_|live_)?[A-Za-z0-9]{6,}")
_CLIENT_SECRET = re.compile(r"_secret_[A-Za-z0-9]+")
_CVC_FIELD = re.compile(r"(cvc[\"'\]=:\s]+)\d{3,4}", re.IGNORECASE)


def redact(text: str) -> str:
    text = _PAN.sub(_mask_pan, text)
    # The other three cannot match without their literal part; looking for it first is ~40x cheaper.
    if "k_" in text or "whsec_" in text:
        text = _SECRET.sub(lambda m: f"{m.group(1)}_{m.group(2) or ''}[redacted]", text)
    if "_secret_" in text:
        text = _CLIENT_SECRET.sub("_secret_[redacted]", text)
    if "cvc" in text.lower():
        text = _CVC_FIELD.sub(r"\1[redacted]", text)
    return text


def _mask_pan(match: re.Match[str]) -> str:
    """The longest part of the run, from its start to the end of one of its groups, that may be a card number
    (12-19 digits: Luhn-valid, or 15 and more) is masked, keeping its last four digits; the rest of the run
    stays as it was. (`4242 4242 4242 4242 12`: the card, then a number.)"""
    run = match.group(0)
    ends = list(reversed([m.end() for m in _GROUP_END.finditer(run)]))
    for may_be_card in (luhn_valid, lambda digits: len(digits) >= _ALWAYS_MASKED):
        for end in ends:
            digits = re.sub(r"\D", "", run[:end])
            if 12 <= len(digits) <= 19 and may_be_card(digits):
                return "[redacted-number ••••" + digits[-4:] + "]" + run[end:]
    return run


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # An access line arrives with its one client-controlled part (the path) already redacted; the rest is
        # the format, numbers and our own ids. Everything else is redacted whole.
        return line if getattr(record, "redacted", False) and not record.exc_info else redact(line)


LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class ServerHandler(logging.StreamHandler[TextIO]):
    """The handler `configure_logging` installs (stderr, redacting formatter). Access lines, when this is
    where they would end up anyway, are written to it directly (`log_request`)."""

    def write_line(self, line: str) -> None:
        self.acquire()
        try:
            self.stream.write(line + self.terminator)
            self.flush()
        finally:
            self.release()


_server_handler: ServerHandler | None = None


def configure_logging(level: str = "info") -> None:
    """Every handler on the root logger and uvicorn's loggers formats through the redactor."""
    global _server_handler
    handler = _server_handler = ServerHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(LINE_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    logging.getLogger("uvicorn.access").disabled = True


access_log = logging.getLogger("paykeep.access")


def log_request(method: str, path: str, status: int, latency_ms: float, request_id: str) -> None:
    """One JSON object per request: method, path, status, latency_ms, request_id. The path is the client's and
    is redacted here; the rest is ours.

    When the line would go nowhere but to the server's own handler, it is formatted here (the same
    `LINE_FORMAT`) and written to that handler directly: a LogRecord, its formatting and the handler chain
    cost ~40 us of a ~250 us GET. Anywhere else (a level, filter or handler of someone's own, pytest's
    caplog) it goes through `logging` as any other line."""
    if not access_log.isEnabledFor(logging.INFO):
        return
    if method not in HTTP_METHODS:
        method = redact(method)
    message = (f'{{"method":{_json(method)},"path":{_json(redact(path))},"status":{status:d},'
               f'"latency_ms":{latency_ms:.2f},"request_id":{_json(request_id)}}}')
    handler = _direct_handler()
    if handler is None:
        access_log.info("%s", message, extra=_REDACTED)
    else:
        handler.write_line(f"{_timestamp()} INFO {access_log.name} {message}")


_REDACTED = {"redacted": True}
# The methods a line or a metric label may name as they are; any other is the client's text.
HTTP_METHODS = frozenset({"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"})


def _direct_handler() -> ServerHandler | None:
    """The server's handler if an access line would reach it and nothing else, unchanged."""
    handler = _server_handler
    if handler is None or handler.filters or handler.level > logging.INFO:
        return None
    logger: logging.Logger | None = access_log
    while logger is not None:
        if logger.filters or (logger.handlers and logger.handlers != [handler]):
            return None
        if logger.handlers:
            return handler if logger is logging.root else None
        logger = logger.parent if logger.propagate else None
    return None


_second = -1
_second_text = ""


def _timestamp() -> str:
    """`logging.Formatter`'s default asctime ("2026-11-26 09:10:08,123"); the seconds formatted once."""
    global _second, _second_text
    now = time.time()
    second = int(now)
    if second != _second:
        _second_text, _second = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second)), second
    return f"{_second_text},{int((now - second) * 1000):03d}"


_json = json.JSONEncoder(ensure_ascii=False).encode
