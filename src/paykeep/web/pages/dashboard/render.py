"""Turning dashboard pages into HTML: the Jinja2 environment, its filters and the security headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from paykeep.domain.money import CURRENCY_EXPONENTS
from paykeep.web.pages.security import page_headers

# Id prefix -> the dashboard page showing that object ("every id links to its detail page").
DETAIL_PAGES = {
    "cus": "/dashboard/customers/",
    "seti": "/dashboard/setup_intents/",
    "pi": "/dashboard/payment_intents/",
    "evt": "/dashboard/events/",
    "we": "/dashboard/webhooks/",
    "pm": "/dashboard/objects/",  # web/pages/dashboard/objects.py
    "ch": "/dashboard/objects/",
    "re": "/dashboard/objects/",
    "cs": "/dashboard/objects/",
    "prod": "/dashboard/objects/",
    "price": "/dashboard/objects/",
    "req": "/dashboard/logs/",  # web/pages/dashboard/logs.py: a request's log
}


def security_headers() -> dict[str, str]:
    """The hosted pages' headers (web/pages/security.py): a CSP without script, no framing, no caching."""
    return page_headers()


def when(ms: int | None) -> str:
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def money(amount: int | None, currency: str | None) -> str:
    if amount is None:
        return "—"
    code = (currency or "").upper()
    exponent = CURRENCY_EXPONENTS.get(code, 2)
    if exponent == 0:
        return f"{amount:,} {code}".strip()
    value = f"{abs(amount) // 10**exponent:,}.{abs(amount) % 10**exponent:0{exponent}d}"
    return f"{'-' if amount < 0 else ''}{value} {code}".strip()


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


def detail_url(object_id: Any) -> str | None:
    if not isinstance(object_id, str) or "_" not in object_id:
        return None
    base = DETAIL_PAGES.get(object_id.split("_", 1)[0])
    return base + object_id if base else None


def id_link(object_id: Any) -> Markup:
    """An id as a link to its page (plain text when the dashboard has no page for it)."""
    if object_id is None or object_id == "":
        return Markup("—")
    if isinstance(object_id, dict):  # an expanded object
        object_id = object_id.get("id")
    url = detail_url(object_id)
    text = escape(str(object_id))
    if url is None:
        return Markup('<code>{}</code>').format(text)
    return Markup('<a class="id" href="{}">{}</a>').format(url, text)


def card_line(card: dict[str, Any] | None) -> str:
    """`visa •••• 4242 · 12/2034`: never more than the last four digits."""
    if not card:
        return "—"
    brand = card.get("brand") or "card"
    month, year = card.get("exp_month"), card.get("exp_year")
    expiry = f" · {int(month):02d}/{year}" if month and year else ""
    return f"{brand} •••• {card.get('last4') or '????'}{expiry}"


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("paykeep", "web/templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, money=money, pretty_json=pretty_json, card=card_line)
    env.globals.update(id_link=id_link, detail_url=detail_url)
    return env


ENV = _environment()


def html(template: str, values: dict[str, Any], status: int = 200,
         headers: dict[str, str] | None = None) -> HTMLResponse:
    body = ENV.get_template(f"dashboard/{template}").render(**values)
    return HTMLResponse(body, status_code=status, headers={**security_headers(), **(headers or {})})
