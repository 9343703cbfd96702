"""`paykeep demo` is a client of the API: no module the server loads imports it (only `paykeep demo` does)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import paykeep
def walk(path, prefix):  # pkgutil.walk_packages would import paykeep.demo itself to look inside it
    for info in pkgutil.iter_modules(path, prefix):
        if info.name in ("paykeep.demo", "paykeep.migrations", "paykeep.__main__"):
            continue
        module = importlib.import_module(info.name)
        if info.ispkg:
            walk(module.__path__, info.name + ".")
walk(paykeep.__path__, "paykeep.")
loaded = sorted(name for name in sys.modules if name.startswith("paykeep."))
print(len(loaded))
print(" ".join(name for name in loaded if name.startswith("paykeep.demo")))
"""


def test_no_server_module_imports_the_demo() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    count, demo = (result.stdout.splitlines() + [""])[:2]
    assert int(count) > 50, "the probe imported (almost) nothing"
    assert demo == "", f"imported by a server module: {demo}"


def test_the_cli_still_finds_the_demo() -> None:
    from paykeep.demo.main import run_demo

    assert callable(run_demo)
