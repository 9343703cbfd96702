"""The wheel a package index would get (issue 19): built from the sources, installed in a fresh venv, it
carries its licence and every file it needs at run time, and `paykeep serve` from it serves a hosted page
and its static files.

No network: the wheel is built without build isolation (`pip wheel --no-build-isolation`, with this
environment's setuptools and wheel) and installed with `--no-deps --no-index` into a venv made with
`--system-site-packages`, so its dependencies are the ones installed here. The sources are copied to a
temporary directory first, so the build leaves nothing in the work tree.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import databases
from support.server import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.sqlite_only  # packaging does not depend on the database: one pass is enough


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("sources")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    (src / "docs").mkdir()
    shutil.copy2(ROOT / "docs" / "package-readme.md", src / "docs" / "package-readme.md")
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--no-index", "-q", "-w", str(out), str(src)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = out.glob("paykeep-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(home)],
                   check=True, timeout=120)
    python = home / "bin" / "python"
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return home


def test_the_wheel_carries_its_licence_and_a_description_a_package_index_can_show(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(metadata_name))
        licence = [n for n in names if re.fullmatch(r"paykeep-[^/]+\.dist-info/(licenses/)?LICENSE", n)]
        assert licence, sorted(n for n in names if "dist-info" in n)
        assert b"MIT License" in archive.read(licence[0])
    assert metadata["License"] == "MIT" or metadata["License-Expression"] == "MIT"
    assert "License :: OSI Approved :: MIT License" in metadata.get_all("Classifier", [])
    for wanted in ("paykeep/migrations/script.py.mako", "paykeep/migrations/env.py",
                   "paykeep/web/templates/checkout.html", "paykeep/web/templates/dashboard/layout.html",
                   "paykeep/web/templates/root.html", "paykeep/web/static/checkout.css",
                   "paykeep/web/static/favicon.ico"):
        assert wanted in names, wanted
    versions = [n for n in names if n.startswith("paykeep/migrations/versions/") and n.endswith(".py")]
    assert len(versions) == len(list((ROOT / "src/paykeep/migrations/versions").glob("*.py")))
    description = metadata.get_payload()
    assert metadata["Description-Content-Type"] == "text/markdown" and "paykeep serve" in description
    # a package index shows the description alone: no image or link relative to the repository
    assert not re.search(r"\]\((?!https?://|#)[^)]+\)", description), "relative link in the description"
    assert "<img" not in description


@pytest.fixture
def served(venv: Path, tmp_path: Path) -> Iterator[str]:
    """`paykeep serve` of the venv, in an empty directory, on 127.0.0.1 and a free port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYKEEP_", "PYTHON"))}
    env["PAYKEEP_DATABASE_URL"] = databases.new_database_url(tmp_path)
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([str(venv / "bin" / "paykeep"), "serve", "--host", "127.0.0.1", "--port",
                             str(port)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "paykeep serve (from the wheel) not healthy in 60 s"
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()
        databases.drop_database(env["PAYKEEP_DATABASE_URL"])


def test_paykeep_serve_from_the_wheel_serves_a_hosted_page_and_static_files(venv: Path, served: str,
                                                                            tmp_path: Path) -> None:
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import paykeep; print(paykeep.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path, timeout=60)
    assert where.stdout.strip().startswith(str(venv)), "the venv must run the wheel, not the work tree"

    key = re.search(r"^.*test secret key:\s+(sk_test_\w+)", (tmp_path / "serve.log").read_text(), re.M)
    assert key, (tmp_path / "serve.log").read_text()
    with httpx.Client(base_url=served, timeout=20) as http:
        made = http.post("/v1/checkout/sessions/setup", auth=(key.group(1), ""),
                         json={"success_url": "https://merchant.example/done"})
        assert made.status_code == 200, made.text
        page = http.get(made.json()["url"])
        assert page.status_code == 200 and '<form method="post"' in page.text and "Save a card" in page.text
        css = http.get("/static/checkout.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert css.content == (ROOT / "src/paykeep/web/static/checkout.css").read_bytes()
        icon = http.get("/favicon.ico")
        assert icon.status_code == 200
        assert icon.content == (ROOT / "src/paykeep/web/static/favicon.ico").read_bytes()
        front = http.get("/", headers={"Accept": "text/html"})
        assert front.status_code == 200 and "paykeep is running" in front.text
        sign_in = http.get("/dashboard/sign-in")  # a template in a subfolder of the package data
        assert sign_in.status_code == 200 and "<form" in sign_in.text
