"""Loading the optional asgikit distributions at call time."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

from asgikit.errors import MissingDistributionError


def load(module: str, distribution: str, feature: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDistributionError` naming ``distribution``."""
    loaded = sys.modules.get(module)
    # The common case, without the import machinery per call; a module another thread
    # is still importing goes to import_module(), which waits for it.
    if loaded is not None and not getattr(
        getattr(loaded, "__spec__", None), "_initializing", False
    ):
        return loaded
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module.startswith(exc.name):
            raise  # something the optional package itself imports is missing
        raise MissingDistributionError(
            f"{feature} needs the {distribution} distribution: pip install {distribution}"
        ) from None
