"""All tables share one MetaData; every module in this package is imported so the metadata is complete."""

from __future__ import annotations

import importlib
import pkgutil

from paykeep.adapters.db.tables.base import metadata

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["metadata"]
