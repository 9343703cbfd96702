"""The server's front page and its small assets: `GET /` (where to go from here), `GET /test-cards`,
`/favicon.ico` and the stylesheet of these pages.

A browser asking `/` gets a small HTML page linking the dashboard, the API reference, the OpenAPI document and
the test cards; a JSON client (an Accept header without text/html: curl, SDKs) gets the same links as JSON.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from paykeep import __version__
from paykeep.services.ports import Deps
from paykeep.web.api.responses import json_response
from paykeep.web.pages.security import html_response

router = APIRouter(include_in_schema=False)
_templates = Environment(loader=PackageLoader("paykeep.web", "templates"),
                         autoescape=select_autoescape(["html"]), undefined=StrictUndefined)
_ASSETS = {"favicon.ico": "image/x-icon", "site.css": "text/css; charset=utf-8"}


def _links(deps: Deps) -> dict[str, str]:
    base = deps.public_url
    return {"api": base + "/v1", "dashboard": base + "/dashboard", "api_reference": base + "/docs",
            "openapi": base + "/openapi.json", "test_cards": base + "/test-cards"}


def wants_html(request: Request) -> bool:
    """A browser says text/html in its Accept header; curl (`*/*`), SDKs and fetch() calls for JSON do not."""
    return "text/html" in request.headers.get("accept", "").lower()


@router.get("/")
def front_page(request: Request) -> Response:
    deps: Deps = request.app.state.deps
    links = _links(deps)
    if not wants_html(request):
        return json_response({"object": "paykeep", "version": __version__, "links": links}, 200,
                             {"Vary": "Accept"})
    html = _templates.get_template("root.html").render(title="paykeep", version=__version__, links=links,
                                                       static_base=_path_prefix(deps))
    response = html_response(html)
    response.headers["Vary"] = "Accept"
    return response


@router.get("/test-cards")
def test_cards_page(request: Request) -> Response:
    deps: Deps = request.app.state.deps
    cards, form_errors = test_card_tables(deps.card_network.test_cards_markdown())
    html = _templates.get_template("test_cards.html").render(
        title="Test cards · paykeep", home=deps.public_url + "/", cards=cards, form_errors=form_errors,
        static_base=_path_prefix(deps))
    return html_response(html)


@router.get("/favicon.ico")
def favicon() -> Response:
    return _asset("favicon.ico")


@router.get("/static/site.css")
def site_css() -> Response:
    return _asset("site.css")


def _asset(name: str) -> Response:
    data = resources.files("paykeep.web").joinpath("static", name).read_bytes()
    return Response(data, media_type=_ASSETS[name],
                    headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"})


def _path_prefix(deps: Deps) -> str:
    """The public URL's path (a server behind a proxy under /pay): the pages' assets live under it."""
    from urllib.parse import urlsplit

    return urlsplit(deps.public_url).path.rstrip("/")


_CODE = re.compile(r"`([^`]*)`")


@cache
def test_card_tables(markdown: str) -> tuple[list[list[str]], list[list[str]]]:
    """The rows of docs/test-cards.md's two tables, from the simulator itself (what this server does), each
    cell as text with `code` spans kept as the only markup (escaped by the template, re-marked there)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = []
            tables.append(current)
            continue  # the header row: the template has its own
        if line.startswith("|---"):
            continue
        current.append([cell.strip() for cell in line.strip("|").split("|")])
    return tables[0], tables[1]


def code_spans(text: str) -> list[tuple[bool, str]]:
    """`a `b` c` -> [(False, "a "), (True, "b"), (False, " c")]; True parts go in <code>."""
    parts: list[tuple[bool, str]] = []
    at = 0
    for match in _CODE.finditer(text):
        if match.start() > at:
            parts.append((False, text[at:match.start()]))
        parts.append((True, match.group(1)))
        at = match.end()
    if at < len(text):
        parts.append((False, text[at:]))
    return parts


_templates.globals["code_spans"] = code_spans
