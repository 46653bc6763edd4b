"""Import LightGBM where the OS lacks its OpenMP runtime (AWS Lambda).

``lib_lightgbm.so`` links ``libgomp.so.1``, which the Lambda Python runtimes
do not ship. ``scripts/package_lambda.py`` bundles a copy in ``native/`` at
the project root. Under Zappa's slim_handler the project is unpacked into
/tmp at cold start, after the process started, so ``LD_LIBRARY_PATH`` cannot
point at it; instead the copy is loaded first with ``RTLD_GLOBAL``, and the
dynamic linker then resolves ``lib_lightgbm.so``'s ``libgomp.so.1`` to the
library already loaded under that soname.
"""

from __future__ import annotations

import ctypes
import importlib
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
    return importlib.import_module("lightgbm")
