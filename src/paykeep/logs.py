"""Logging with a redaction layer: card-like digit runs, API keys and secrets never reach a log line."""

from __future__ import annotations

import json
import logging
import re
import sys

_PAN = re.compile(r"(?<![\d_])(?:\d[ -]?){12,18}\d(?!\d)")
_SECRET = re.compile(r"\b(sk|pk|rk|whsec)_(test_|live_)?[A-Za-z0-9]{6,}")
_CLIENT_SECRET = re.compile(r"_secret_[A-Za-z0-9]+")
_CVC_FIELD = re.compile(r"(cvc[\"'\]=:\s]+)\d{3,4}", re.IGNORECASE)


def redact(text: str) -> str:
    text = _PAN.sub(lambda m: "[redacted-number ••••" + re.sub(r"\D", "", m.group(0))[-4:] + "]", text)
    text = _SECRET.sub(lambda m: f"{m.group(1)}_{m.group(2) or ''}[redacted]", text)
    text = _CLIENT_SECRET.sub("_secret_[redacted]", text)
    return _CVC_FIELD.sub(r"\1[redacted]", text)


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        # An access line arrives with its one client-controlled part (the path) already redacted; the rest is
        # the format, numbers and our own ids. Everything else is redacted whole.
        return line if getattr(record, "redacted", False) and not record.exc_info else redact(line)


def configure_logging(level: str = "info") -> None:
    """Every handler on the root logger and uvicorn's loggers formats through the redactor."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
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
    """One JSON object per request: method, path, status, latency_ms, request_id (the line is still redacted
    by the handler's formatter: the path is the client's)."""
    if access_log.isEnabledFor(logging.INFO):
        access_log.info('{"method":%s,"path":%s,"status":%d,"latency_ms":%.2f,"request_id":%s}',
                        _json(redact(method)), _json(redact(path)), status, latency_ms, _json(request_id),
                        extra=_REDACTED)


_REDACTED = {"redacted": True}


_json = json.JSONEncoder(ensure_ascii=False).encode
