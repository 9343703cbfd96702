"""Headers for every hosted HTML page (3-D Secure challenge, checkout, dashboard): a CSP without scripts or
external assets, no framing, no referrer (the URL holds a secret token), no caching."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse, RedirectResponse

DEFAULT_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")

SECURITY_HEADERS = {
    "Content-Security-Policy": DEFAULT_CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def style_hash(css: str) -> str:
    """The CSP source allowing exactly this inline `<style>` block."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii") + "'"


def origin_of(url: str) -> str | None:
    """`https://shop.example:8443` for a web URL, `myapp:` for an app's own scheme; None if not absolute."""
    parts = urlsplit(url)
    if not parts.scheme:
        return None
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None
    return f"{parts.scheme}:"


def content_security_policy(*, inline_styles: Iterable[str] = (), form_targets: Iterable[str] = (),
                            inline_scripts: Iterable[str] = (), framable: bool = False) -> str:
    """No script but the given inline blocks (by hash; none by default); styles from 'self' or the given
    inline blocks (by hash); forms post to 'self' and to the origins of `form_targets` (a form's 303 redirect
    must be allowed by form-action too). `framable`: any page may frame it (only the 3-D Secure challenge's
    frame variant, docs/browser-api.md); every other page refuses to be framed."""
    styles = " ".join(["'self'", *(style_hash(css) for css in inline_styles)])
    origins = [o for o in (origin_of(url) for url in form_targets) if o and all(c not in o for c in " ;,'")]
    form_action = " ".join(["'self'", *dict.fromkeys(origins)])
    scripts = " ".join(style_hash(js) for js in inline_scripts)  # the same sha256 source form
    script_src = f"script-src {scripts}; " if scripts else ""
    ancestors = "*" if framable else "'none'"
    return (f"default-src 'none'; {script_src}style-src {styles}; img-src 'self' data:; "
            f"form-action {form_action}; frame-ancestors {ancestors}; base-uri 'none'")


def page_headers(*, inline_styles: Iterable[str] = (), form_targets: Iterable[str] = (),
                 inline_scripts: Iterable[str] = (), framable: bool = False) -> dict[str, str]:
    headers = {**SECURITY_HEADERS,
               "Content-Security-Policy": content_security_policy(
                   inline_styles=inline_styles, form_targets=form_targets, inline_scripts=inline_scripts,
                   framable=framable)}
    if framable:
        del headers["X-Frame-Options"]
    return headers


def html_response(html: str, status: int = 200, *, inline_styles: Iterable[str] = (),
                  form_targets: Iterable[str] = (), inline_scripts: Iterable[str] = (),
                  framable: bool = False) -> HTMLResponse:
    return HTMLResponse(html, status_code=status,
                        headers=page_headers(inline_styles=inline_styles, form_targets=form_targets,
                                             inline_scripts=inline_scripts, framable=framable))


def redirect_response(url: str, status: int = 303) -> RedirectResponse:
    """A redirect out of a hosted page: no caching, and no Referer carrying the page's secret URL."""
    return RedirectResponse(url, status_code=status, headers=dict(SECURITY_HEADERS))
