#!/usr/bin/env python3
"""Build the Lambda package with ``zappa package`` and check it fits Lambda.

``zappa package <stage>`` needs no AWS account (Zappa's CLI turns credential
loading off for ``package``), but it zips *the active virtualenv's*
site-packages plus the working directory. Run from the development venv it
would ship pytest, moto, Playwright and ruff. So this script:

1. builds (once, cached under the temp dir by the hash of the requirements
   files and the runtime's glibc) a virtualenv holding only
   ``requirements-deploy.txt`` (the runtime set plus Zappa), with the same pip
   index as everything else, but taking only wheels built for the stage's
   runtime glibc or older (a PEP 600 ``_manylinux`` module on pip's path says
   so; without it pip on a newer build box picks manylinux_2_28 wheels that
   Lambda's python3.11, glibc 2.26, cannot load), and leaving out
   ``LAMBDA_EXCLUDED`` (pip resolves the full set with ``--dry-run --report``,
   then installs that list minus the exclusions with ``--no-deps``);
2. runs that venv's ``zappa package <stage>`` with every AWS credential and
   config file hidden, which proves the step needs no AWS account;
3. prints the package's zipped and unzipped sizes and fails if the unzipped
   size is over Lambda's 250 MB limit for a function's code (a slim-handler
   project archive, unpacked into /tmp at cold start, is checked against the
   function's ephemeral storage instead);
4. bundles a ``libgomp.so.1`` as ``native/libgomp.so.1`` (LightGBM links it
   and the Lambda Python runtimes lack it; ``scoring.lightgbm_loader``
   preloads it): the copy auditwheel vendored into scikit-learn's
   manylinux2014 wheel (glibc 2.17; installed in the deploy venv as LightGBM
   3.3.5's requirement), its SONAME set back to ``libgomp.so.1``; the build
   box's own libgomp needs its newer glibc. Then it checks every shared object
   in the package against the stage's runtime (``scripts/lambda_native.py``:
   GLIBC, GLIBCXX and CXXABI versions, libraries neither bundled nor on the
   runtime), failing on a library that would not load unless
   ``--allow-native-problems``.

Run on Linux x86_64 with Python 3.11 (what Lambda runs): the wheels pip picks
are then the manylinux ones Lambda needs. Zappa also tries to swap in manylinux
wheels from pypi.org (``use_precompiled_packages``); without internet access
that lookup fails quietly and the locally installed (already manylinux) wheels
stay.

Usage: ``python scripts/package_lambda.py [stage] [--output-dir build]``;
``--venv-only`` prints the deploy venv's path (``zappa deploy``/``update``
package the active venv too, so run them from that venv).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from lambda_native import RUNTIME_GLIBC, native_problems, with_soname

ROOT = Path(__file__).resolve().parent.parent
NATIVE_DIR = ROOT / "native"  # scoring.lightgbm_loader.NATIVE_DIR
REQUIREMENTS = ("requirements.txt", "requirements-deploy.txt")
# AWS Lambda quotas: deployment package (function code and layers) unzipped.
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
# A zip uploaded directly to Lambda; Zappa uploads through S3, which lifts it.
LAMBDA_DIRECT_UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024
MB = 1024 * 1024


# Required by the runtime set but never imported on Lambda, and without a
# wheel for its glibc (pip would compile it against the build box's).
LAMBDA_EXCLUDED = {
    # celery[sqs] -> kombu's SQS *consumer* (an ordinary worker). On Lambda the
    # SQS event source consumes and the function only publishes (boto3).
    # 7.45.4+, which celery 5.7 requires, has manylinux_2_28 wheels only.
    "pycurl",
}
# PEP 600: pip asks this module whether a manylinux_x_y wheel may be installed.
MANYLINUX_POLICY = """\
def manylinux_compatible(tag_major, tag_minor, tag_arch):
    return tag_arch == "x86_64" and (tag_major, tag_minor) <= {glibc!r}
"""


def deploy_venv(
    python: str, glibc: tuple[int, int] = RUNTIME_GLIBC["python3.11"]
) -> Path:
    """Return a venv with requirements-deploy.txt only, building it if needed.

    Only wheels for ``glibc`` or older are installed (see the module docstring).
    """
    digest = hashlib.sha256(repr((glibc, sorted(LAMBDA_EXCLUDED))).encode())
    for name in REQUIREMENTS:
        digest.update((ROOT / name).read_bytes())
    venv = (
        Path(tempfile.gettempdir()) / f"stitchengage-deploy-{digest.hexdigest()[:16]}"
    )
    stamp = venv / ".installed"
    if stamp.exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    with tempfile.TemporaryDirectory() as policy_dir:
        Path(policy_dir, "_manylinux.py").write_text(
            MANYLINUX_POLICY.format(glibc=glibc)
        )
        env = {**os.environ, "PYTHONPATH": policy_dir}
        report = Path(policy_dir, "report.json")
        req = ["-r", str(ROOT / "requirements-deploy.txt")]
        subprocess.run(
            [*pip, "--dry-run", "--ignore-installed", "--report", str(report), *req],
            check=True,
            env=env,
        )
        pins = [
            f"{item['metadata']['name']}=={item['metadata']['version']}"
            for item in json.loads(report.read_text())["install"]
            if item["metadata"]["name"].lower() not in LAMBDA_EXCLUDED
        ]
        subprocess.run([*pip, "--no-deps", *pins], check=True, env=env)
    stamp.touch()
    return venv


def site_packages(venv: Path) -> Path:
    """Return ``venv``'s site-packages directory."""
    (path,) = venv.glob("lib/python3*/site-packages")
    return path


def without_aws(environ: dict[str, str], venv: Path) -> dict[str, str]:
    """Return ``environ`` with no AWS credentials or config and ``venv`` active."""
    clean = {key: value for key, value in environ.items() if not key.startswith("AWS_")}
    clean.update(
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        # No instance-metadata credentials either.
        AWS_EC2_METADATA_DISABLED="true",
        VIRTUAL_ENV=str(venv),
        PATH=f"{venv / 'bin'}{os.pathsep}{environ.get('PATH', '')}",
    )
    clean.pop("PYTHONHOME", None)
    return clean


def archive_sizes(path: Path) -> tuple[int, int]:
    """Return (size on disk, sum of the uncompressed file sizes) of an archive."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    else:
        with tarfile.open(path) as archive:
            unzipped = sum(member.size for member in archive.getmembers())
    return path.stat().st_size, unzipped


def stage_config(stage: str) -> dict:
    """Return ``stage``'s settings with ``extends`` applied, as Zappa does."""
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    config = dict(settings[stage])
    while parent := config.pop("extends", None):
        config = {**settings[parent], **config}
    return config


def vendored_libgomp(packages: Path) -> Path:
    """Return the libgomp auditwheel vendored into a wheel installed in ``packages``.

    scikit-learn's manylinux2014 wheel carries one built for glibc 2.17
    (``scikit_learn.libs/libgomp-<hash>.so.1.0.0``).
    """
    found = sorted(packages.glob("*.libs/libgomp-*.so*"))
    if not found:
        raise FileNotFoundError(
            f"no vendored libgomp under {packages}/*.libs/: LightGBM needs one on "
            "Lambda (scikit-learn's manylinux2014 wheel, pinned in "
            "requirements.txt, provides it)"
        )
    return found[0]


def native_bundle(native_dir: Path, packages: Path) -> list[Path]:
    """Write ``native_dir/libgomp.so.1`` from ``packages``' vendored libgomp."""
    native_dir.mkdir(exist_ok=True)
    target = native_dir / "libgomp.so.1"
    source = vendored_libgomp(packages)
    target.write_bytes(with_soname(source.read_bytes(), "libgomp.so.1"))
    return [target]


def package(stage: str, output_dir: Path, python: str) -> dict[str, object]:
    """Build the package for ``stage`` into ``output_dir``; return its sizes."""
    config = stage_config(stage)
    venv = deploy_venv(python, RUNTIME_GLIBC[config["runtime"]])
    output_dir.mkdir(parents=True, exist_ok=True)
    zip_path = output_dir / f"stitchengage-{stage}.zip"
    zip_path.unlink(missing_ok=True)
    before = set(ROOT.glob("*.tar.gz"))
    bundled = native_bundle(NATIVE_DIR, site_packages(venv))
    try:
        subprocess.run(
            [str(venv / "bin" / "zappa"), "package", stage, "-o", str(zip_path)],
            cwd=ROOT,
            env=without_aws(dict(os.environ), venv),
            check=True,
        )
    finally:
        for path in bundled:
            path.unlink(missing_ok=True)
    result: dict[str, object] = {"stage": stage, "venv": str(venv)}
    zipped, unzipped = archive_sizes(zip_path)
    result["handler_zip"] = {
        "path": str(zip_path),
        "zipped": zipped,
        "unzipped": unzipped,
    }
    function_code = unzipped
    if config.get("slim_handler"):
        # Zappa writes the project archive to the working directory.
        (project,) = set(ROOT.glob("*.tar.gz")) - before
        target = output_dir / f"stitchengage-{stage}-project.tar.gz"
        shutil.move(project, target)
        zipped, unzipped = archive_sizes(target)
        result["project_archive"] = {
            "path": str(target),
            "zipped": zipped,
            "unzipped": unzipped,
        }
        result["ephemeral_storage_mb"] = config.get("ephemeral_storage", {}).get(
            "Size", 512
        )
    result["function_code_unzipped"] = function_code
    archives = [zip_path]
    if project_archive := result.get("project_archive"):
        archives.append(Path(project_archive["path"]))
    result["native_problems"] = native_problems(archives, config["runtime"])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", nargs="?", default="production")
    parser.add_argument("--output-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--python", default="python3.11")
    parser.add_argument(
        "--venv-only",
        action="store_true",
        help="build the deploy venv if needed, print its path and stop (activate "
        "it before zappa deploy/update: they package the active venv)",
    )
    parser.add_argument(
        "--allow-native-problems",
        action="store_true",
        help="report, but do not fail on, shared objects that will not load on "
        "the stage's Lambda runtime",
    )
    args = parser.parse_args()
    if args.venv_only:
        runtime = stage_config(args.stage)["runtime"]
        print(deploy_venv(args.python, RUNTIME_GLIBC[runtime]))
        return 0
    if (platform.system(), platform.machine()) != ("Linux", "x86_64"):
        print(
            f"Warning: building on {platform.system()} {platform.machine()}; Lambda "
            "runs Linux x86_64, so compiled wheels may not match.",
            file=sys.stderr,
        )
    result = package(args.stage, args.output_dir, args.python)
    handler = result["handler_zip"]
    print(
        f"{handler['path']}: {handler['zipped'] / MB:.1f} MB zipped, "
        f"{handler['unzipped'] / MB:.1f} MB unzipped "
        f"(Lambda limit {LAMBDA_UNZIPPED_LIMIT_BYTES / MB:.0f} MB unzipped)"
    )
    failed = handler["unzipped"] > LAMBDA_UNZIPPED_LIMIT_BYTES
    if project := result.get("project_archive"):
        storage_mb = result["ephemeral_storage_mb"]
        print(
            f"{project['path']}: {project['zipped'] / MB:.1f} MB zipped, "
            f"{project['unzipped'] / MB:.1f} MB unpacked into /tmp at cold start "
            f"(ephemeral storage {storage_mb} MB)"
        )
        failed |= project["unzipped"] > storage_mb * MB * 0.9
    if failed:
        print("The package does not fit; see README 'Deploy'.", file=sys.stderr)
    if problems := result["native_problems"]:
        print(
            f"{len(problems)} shared object(s) will not load on the Lambda runtime:",
            *(f"  {line}" for line in problems),
            sep="\n",
            file=sys.stderr,
        )
        failed |= not args.allow_native_problems
    if failed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
