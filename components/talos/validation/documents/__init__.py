"""Per-document checks, one module per group of Talos config types (types/network, types/block, ...).

Importing this package registers every check of its modules (``registry.document_check``).
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
