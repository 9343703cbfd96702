"""Drop-in (API.md §10, docs/dropin.md): paykeep.js, the Stripe.js-compatible script, and the pages of its
card Elements, which merchants' pages frame.

- `GET /v3/` (also `/v3` and `/js/paykeep.js`): the script, one plain JavaScript file (no build step), cached
  for five minutes, revalidated by its ETag, loadable from any origin.
- `GET /elements/{card|cardNumber|cardExpiry|cardCvc|payment}`: the inputs of one Element. Any page may frame
  it (`frame-ancestors *`); it runs only its own script (`script-src 'self'`) and talks only to paykeep
  (`connect-src 'self'`). Its settings come in the URL's fragment, which no server sees, so the page itself is
  the same for everyone and cacheable.
- `GET /elements/frame.js`, `/elements/frame.css`: that page's script and stylesheet.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from paykeep import __version__
from paykeep.services.ports import Deps

router = APIRouter(include_in_schema=False)
_templates = Environment(
    loader=PackageLoader("paykeep.web", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)

KINDS = ("card", "cardNumber", "cardExpiry", "cardCvc", "payment")
JS_TYPE = "text/javascript; charset=utf-8"
CSS_TYPE = "text/css; charset=utf-8"
CACHE = "public, max-age=300"
# The Element's page: its own script and stylesheet only, requests to paykeep only, framable by any page (the
# merchant's); no form is ever submitted, nothing is embedded in it.
ELEMENT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "form-action 'none'; frame-ancestors *; base-uri 'none'"
)


@cache
def _asset(name: str) -> tuple[bytes, str]:
    data = resources.files("paykeep.web").joinpath("static", "dropin", name).read_bytes()
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _asset_response(request: Request, name: str, media_type: str) -> Response:
    data, etag = _asset(name)
    headers = {
        "Cache-Control": CACHE,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


@router.get("/v3/")
@router.get("/v3")
@router.get("/js/paykeep.js")
def paykeep_js(request: Request) -> Response:
    return _asset_response(request, "paykeep.js", JS_TYPE)


@router.get("/elements/frame.js")
def element_js(request: Request) -> Response:
    return _asset_response(request, "frame.js", JS_TYPE)


@router.get("/elements/frame.css")
def element_css(request: Request) -> Response:
    return _asset_response(request, "frame.css", CSS_TYPE)


@router.get("/elements/{kind}")
def element_page(kind: str, request: Request) -> Response:
    if kind not in KINDS:
        return Response(
            "Unknown Element.\n",
            status_code=404,
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
        )
    html = _element_html(kind, _path_prefix(request.app.state.deps))
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": ELEMENT_CSP,
            "Cache-Control": CACHE,
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )


@cache
def _element_html(kind: str, base: str) -> str:
    version = _asset("frame.js")[1].strip('"')[:12] + _asset("frame.css")[1].strip('"')[:12]
    return _templates.get_template("dropin/element.html").render(
        kind=kind, base=base, version=version, paykeep_version=__version__
    )


def _path_prefix(deps: Deps) -> str:
    """`/paykeep` when paykeep is served under a path (PAYKEEP_PUBLIC_URL); '' at the root."""
    return urlsplit(deps.public_url).path.rstrip("/")
