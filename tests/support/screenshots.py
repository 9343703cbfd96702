"""Where browser tests save screenshots: docs/screenshots/ when PAYKEEP_UPDATE_SCREENSHOTS=1, else a temp dir.

Taking them on every run keeps the code path tested; writing them into docs/ only on request keeps a test
run from dirtying the work tree with re-encoded PNGs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def screenshot_dir() -> Path:
    if os.environ.get("PAYKEEP_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return DOCS_SCREENSHOTS
    path = Path(tempfile.gettempdir()) / "paykeep-screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
