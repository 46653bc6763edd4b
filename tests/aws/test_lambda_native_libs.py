"""LightGBM's native libraries in the Lambda package, checked against the runtime.

The checks read the real shared objects of this venv's wheels and of the build
box (no fixtures): ``lib_lightgbm.so`` links ``libgomp.so.1``, which the Lambda
Python runtimes lack; the build box's libgomp needs glibc 2.34 while
python3.11's Amazon Linux 2 has 2.26; the bundled copy (scikit-learn's
manylinux2014 one) loads there. The preload test trains and explains in a
fresh interpreter and reads which libgomp the process mapped. The package
test builds the real Lambda package and runs its native check.
"""

from __future__ import annotations

import ctypes
import importlib.util
import json
import sysconfig
import tarfile
from pathlib import Path

import pytest

from tests.support.project_process import python_run

ROOT = Path(__file__).resolve().parents[2]
LIGHTGBM_LIB = (
    Path(importlib.util.find_spec("lightgbm").submodule_search_locations[0])
    / "lib_lightgbm.so"
)
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])


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


def _loaded(soname: str) -> Path:
    """The file this process's dynamic linker maps for ``soname``."""
    ctypes.CDLL(soname)
    stem = soname.split(".so")[0] + ".so"
    for line in Path("/proc/self/maps").read_text().splitlines():
        if line.split() and Path(line.split()[-1]).name.startswith(stem):
            return Path(line.split()[-1])
    pytest.skip(f"{soname} is not installed on this box")


def test_package_without_libgomp_is_refused_naming_the_library(scripts, tmp_path):
    """Without the bundle the check names libgomp.so.1; LightGBM 3.3.5's own
    glibc and libstdc++ needs fit python3.11's Amazon Linux 2."""
    lambda_native, _ = scripts
    archive = _project_archive(tmp_path, {"lightgbm/lib_lightgbm.so": LIGHTGBM_LIB})
    problems = lambda_native.native_problems([archive], "python3.11")
    assert problems == [
        "lightgbm/lib_lightgbm.so: needs libgomp.so.1, neither in the package "
        "nor on the python3.11 runtime"
    ]


def test_build_box_libgomp_is_refused_on_python311(scripts, tmp_path):
    """The build box's (Debian's) libgomp needs glibc 2.34: bundling it, as
    the packaging used to, cannot load on Amazon Linux 2's 2.26."""
    lambda_native, _ = scripts
    archive = _project_archive(
        tmp_path,
        {
            "lightgbm/lib_lightgbm.so": LIGHTGBM_LIB,
            "native/libgomp.so.1": _loaded("libgomp.so.1"),
        },
    )
    problems = lambda_native.native_problems([archive], "python3.11")
    assert len(problems) == 1
    assert problems[0].startswith("native/libgomp.so.1: needs GLIBC_2.3")
    assert problems[0].endswith("python3.11 has GLIBC_2.26")


def test_a_newer_libstdcxx_version_is_refused(scripts, tmp_path):
    """A C++ library built by a newer gcc than Amazon Linux 2's 7.3 fails on a
    GLIBCXX_ version even when its glibc needs are old enough."""
    lambda_native, _ = scripts
    candidates = sorted(Path("/usr/lib/x86_64-linux-gnu").glob("libjsoncpp.so.*.*"))
    if not candidates:
        pytest.skip("no libjsoncpp on this box")
    needs = lambda_native.elf_needs(candidates[0].read_bytes())
    assert needs.glibc <= (2, 26)
    assert needs.versions["GLIBCXX"] > (3, 4, 24)
    archive = _project_archive(tmp_path, {"lib/libjsoncpp.so": candidates[0]})
    problems = lambda_native.native_problems([archive], "python3.11")
    assert len(problems) == 1
    assert "needs GLIBCXX_3.4.2" in problems[0]
    assert problems[0].endswith("python3.11 has GLIBCXX_3.4.24")


def test_bundled_libgomp_satisfies_lightgbm_on_python311(scripts, tmp_path):
    """The packaging bundles the libgomp vendored into scikit-learn's
    manylinux2014 wheel under native/, renamed back to libgomp.so.1: with it
    the package loads on python3.11 (and on python3.12)."""
    lambda_native, package_lambda = scripts
    (copy,) = package_lambda.native_bundle(tmp_path / "native", SITE_PACKAGES)
    needs = lambda_native.elf_needs(copy.read_bytes())
    assert needs.soname == "libgomp.so.1"
    assert needs.glibc <= (2, 17)
    archive = _project_archive(
        tmp_path,
        {"lightgbm/lib_lightgbm.so": LIGHTGBM_LIB, "native/libgomp.so.1": copy},
    )
    assert lambda_native.native_problems([archive], "python3.11") == []
    assert lambda_native.native_problems([archive], "python3.12") == []


def test_lightgbm_runs_on_the_preloaded_libgomp(scripts, tmp_path):
    """In a fresh interpreter, lightgbm_import() maps the bundled libgomp and
    no other (lib_lightgbm.so resolved its libgomp.so.1 to the preloaded copy),
    and LightGBM 3.3.5 on this numpy trains with monotone constraints on two
    OpenMP threads, explains (pred_contrib) and round-trips its model text."""
    _, package_lambda = scripts
    native = tmp_path / "native"
    (copy,) = package_lambda.native_bundle(native, SITE_PACKAGES)
    code = f"""
import json
from pathlib import Path
import numpy as np
from scoring.lightgbm_loader import lightgbm_import
lgb = lightgbm_import(native_dir=Path({str(native)!r}))
rng = np.random.default_rng(3)
x = rng.normal(size=(2000, 3))
y = (x[:, 0] + 0.3 * rng.normal(size=2000) > 0).astype(np.float64)
params = {{"objective": "binary", "verbose": -1, "num_threads": 2,
          "monotone_constraints": [1, 0, 0], "num_leaves": 7}}
booster = lgb.train(params, lgb.Dataset(x, label=y), num_boost_round=20)
contrib = booster.predict(x[:50], pred_contrib=True)
raw = booster.predict(x[:50], raw_score=True)
again = lgb.Booster(model_str=booster.model_to_string())
grid = np.zeros((9, 3)); grid[:, 0] = np.linspace(-2, 2, 9)
maps = Path("/proc/self/maps").read_text().splitlines()
print(json.dumps({{
    "libgomp": sorted({{l.split()[-1] for l in maps if "libgomp" in l}}),
    "contrib_sums_to_raw": bool(np.allclose(contrib.sum(axis=1), raw)),
    "round_trip": bool(np.array_equal(again.predict(x[:50], raw_score=True), raw)),
    "monotone": bool(np.all(np.diff(booster.predict(grid, raw_score=True)) >= 0)),
}}))
"""
    result = python_run("-c", code, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "libgomp": [str(copy)],
        "contrib_sums_to_raw": True,
        "round_trip": True,
        "monotone": True,
    }


@pytest.mark.slow
def test_lambda_package_passes_the_native_check_on_python311(tmp_path):
    """``make package``'s script builds the dev stage's package (deploy venv,
    zappa package) and exits 0 without --allow-native-problems: every shared
    object in it loads on python3.11's Amazon Linux 2."""
    result = python_run(
        "scripts/package_lambda.py", "dev", "--output-dir", tmp_path, timeout=1500
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with tarfile.open(tmp_path / "stitchengage-dev-project.tar.gz") as tar:
        names = tar.getnames()
    assert "native/libgomp.so.1" in names
    assert any(name.endswith("lightgbm/lib_lightgbm.so") for name in names)
