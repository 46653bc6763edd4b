"""Import LightGBM where the OS lacks its OpenMP runtime (AWS Lambda).

``lib_lightgbm.so`` links ``libgomp.so.1``, which the Lambda Python runtimes
do not ship. ``scripts/package_lambda.py`` bundles a copy built for glibc 2.17
(scikit-learn's manylinux2014 wheel vendors it) in ``native/`` at the project
root, its SONAME set back to ``libgomp.so.1``. Under Zappa's slim_handler
the project is unpacked into /tmp at cold start, after the process started,
so ``LD_LIBRARY_PATH`` cannot point at it; instead the copy is loaded first
with ``RTLD_GLOBAL``, and the dynamic linker then resolves
``lib_lightgbm.so``'s ``libgomp.so.1`` to the library already loaded under
that soname.

LightGBM 3.3.5 (the newest with a wheel for Lambda's glibc 2.26) requires
scikit-learn and imports it, when present, for its sklearn-style estimators,
which we do not use: that costs ~0.35 CPU s per cold start and maps
scikit-learn's own libgomp next to the preloaded one (two OpenMP runtimes in
one process). While LightGBM imports, ``sys.modules["sklearn"]`` is None, which
makes that import fail as if scikit-learn were absent.
"""

from __future__ import annotations

import ctypes
import importlib
import sys
from pathlib import Path
from types import ModuleType

NATIVE_DIR = Path(__file__).resolve().parent.parent / "native"
BUNDLED = ("libgomp.so.1",)


def lightgbm_import(*, native_dir: Path = NATIVE_DIR) -> ModuleType:
    """Return the ``lightgbm`` module, preloading bundled native libraries."""
    for name in BUNDLED:
        path = native_dir / name
        if path.is_file():
            ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
    hide_sklearn = "sklearn" not in sys.modules
    if hide_sklearn:
        sys.modules["sklearn"] = None  # type: ignore[assignment]
    try:
        return importlib.import_module("lightgbm")
    finally:
        if hide_sklearn and sys.modules.get("sklearn", False) is None:
            del sys.modules["sklearn"]
