"""The catalogue of named senders: one module per sender, loaded only when a source names it.

A source's `scheme = "zoom"` loads `handler.receive.senders.zoom` (a `-` in the name becomes `_`)
and takes its `SCHEME`; nothing here imports a sender, so the receiver's cold start pays only for
the senders its sources use. Add a sender by adding a module (usually a `Recipe`, see
handler/receive/signatures/recipe.py), its sample bodies (webhook_sim/examples/<name>.py), a
source in infra/senders-sample.toml and its test; there is no list to edit. A module whose name
starts with "_" is shared code, not a sender: _recipe.py is what a sender module imports.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from handler.receive.signatures.base import Scheme


def module_name(sender: str) -> str:
    return f"{__name__}.{sender.replace('-', '_')}"


def names() -> list[str]:
    """Every sender in the catalogue, read from the package's files (nothing is imported)."""
    return sorted(
        info.name.replace("_", "-")
        for info in pkgutil.iter_modules(__path__)
        if not info.ispkg and not info.name.startswith("_")  # _helpers.py: shared code
    )


def load(sender: str) -> Scheme[Any] | None:
    """The sender's scheme, importing its module now; None when the catalogue has no such sender."""
    if sender not in names():
        return None
    scheme: Scheme[Any] = importlib.import_module(module_name(sender)).SCHEME
    return scheme
