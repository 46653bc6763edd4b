"""LightGBM's native libraries in the Lambda package, checked against the runtime.

The package check reads the real shared objects of this venv's wheels (no
fixtures): ``lib_lightgbm.so`` links ``libgomp.so.1``, which the Lambda Python
runtimes lack, and LightGBM 4.7's wheel is built for glibc 2.27 while
python3.11's Amazon Linux 2 has 2.26. The preload test loads the bundled
copy in a fresh interpreter and reads which libgomp the process mapped.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIGHTGBM_LIB = (
    Path(importlib.util.find_spec("lightgbm").submodule_search_locations[0])
    / "lib"
    / "lib_lightgbm.so"
)


@pytest.fixture
def scripts(monkeypatch):
    """Import the packaging scripts as ``make package`` runs them."""
    monkeypatch.syspath_prepend(str(ROOT / "scripts"))
    import lambda_native
    import package_lambda

    return lambda_native, package_lambda


def _project_archive(tmp_path: Path, files: dict[str, Path]) -> Path:
    """A slim-handler project archive holding ``files`` (name in archive: source)."""
    archive = tmp_path / "project.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, source in files.items():
            tar.add(source, arcname=name)
    return archive


def test_package_without_libgomp_is_refused_naming_the_library(scripts, tmp_path):
    """Without the bundle the check names libgomp.so.1, and on python3.11 the
    glibc LightGBM's wheel was built for."""
    lambda_native, _ = scripts
    archive = _project_archive(tmp_path, {"lightgbm/lib/lib_lightgbm.so": LIGHTGBM_LIB})
    problems = lambda_native.native_problems([archive], "python3.11")
    assert any("libgomp.so.1" in line and "neither" in line for line in problems)
    assert any("GLIBC_2.27" in line and "2.26" in line for line in problems)


def test_bundled_libgomp_satisfies_lightgbm_on_an_al2023_runtime(scripts, tmp_path):
    """The packaging bundles the build box's libgomp under native/; with it
    the package loads on a runtime whose glibc is new enough (python3.12)."""
    lambda_native, package_lambda = scripts
    (copy,) = package_lambda.native_bundle(tmp_path / "native", ("libgomp.so.1",))
    archive = _project_archive(
        tmp_path,
        {"lightgbm/lib/lib_lightgbm.so": LIGHTGBM_LIB, "native/libgomp.so.1": copy},
    )
    with tarfile.open(archive) as tar:
        assert "native/libgomp.so.1" in tar.getnames()
    assert lambda_native.native_problems([archive], "python3.12") == []
    on_311 = lambda_native.native_problems([archive], "python3.11")
    assert not any("neither" in line for line in on_311)


def test_lightgbm_binds_to_the_preloaded_libgomp(scripts, tmp_path):
    """In a fresh interpreter, lightgbm_import() maps the bundled libgomp and
    no other: lib_lightgbm.so resolved its libgomp.so.1 to the preloaded one."""
    _, package_lambda = scripts
    native = tmp_path / "native"
    (copy,) = package_lambda.native_bundle(native, ("libgomp.so.1",))
    code = (
        "from pathlib import Path\n"
        "from scoring.lightgbm_loader import lightgbm_import\n"
        f"lgb = lightgbm_import(native_dir=Path({str(native)!r}))\n"
        "lgb.Booster  # the library is loaded\n"
        "maps = Path('/proc/self/maps').read_text().splitlines()\n"
        "print('\\n'.join(sorted({l.split()[-1] for l in maps if 'libgomp' in l})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(copy)]
