"""Check a Lambda package's native libraries against the Lambda runtime.

A wheel built for a newer Linux than Lambda's loads fine on the build box and
fails only at cold start on Lambda (``version `GLIBC_2.27' not found``,
``libgomp.so.1: cannot open shared object file``). This reads every ELF
shared object in the package (stdlib only: the script runs on the system
Python) and reports the ones that need a newer glibc than the runtime has, or
a library that is neither in the package nor on the runtime.

Runtime facts: Lambda's python3.8-3.11 run on Amazon Linux 2 (glibc 2.26,
gcc 7.3's libstdc++: GLIBCXX_3.4.24, CXXABI_1.3.11), python3.12+ on Amazon
Linux 2023 (glibc 2.34, gcc 11's libstdc++: GLIBCXX_3.4.29, CXXABI_1.3.13).
libstdc++ is on the runtime, so a C++ library built with a newer compiler
loads and then fails on a missing GLIBCXX_ version: those are checked too.
The libraries taken as present
are the manylinux policy's (what auditwheel never vendors); libgomp.so.1 is
not among them and is missing on the Lambda Python runtimes (reported for
XGBoost on python3.9, dmlc/xgboost#11048, and Open3D on python3.8,
isl-org/Open3D#4933).
"""

from __future__ import annotations

import struct
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

Version = tuple[int, ...]
# The newest symbol version each runtime's system libraries define, by prefix.
_AMAZON_LINUX_2: dict[str, Version] = {
    "GLIBC": (2, 26),
    "GLIBCXX": (3, 4, 24),
    "CXXABI": (1, 3, 11),
}
_AMAZON_LINUX_2023: dict[str, Version] = {
    "GLIBC": (2, 34),
    "GLIBCXX": (3, 4, 29),
    "CXXABI": (1, 3, 13),
}
RUNTIME_VERSIONS: dict[str, dict[str, Version]] = {
    "python3.8": _AMAZON_LINUX_2,
    "python3.9": _AMAZON_LINUX_2,
    "python3.10": _AMAZON_LINUX_2,
    "python3.11": _AMAZON_LINUX_2,
    "python3.12": _AMAZON_LINUX_2023,
    "python3.13": _AMAZON_LINUX_2023,
}
RUNTIME_GLIBC: dict[str, tuple[int, int]] = {
    runtime: versions["GLIBC"][:2]  # type: ignore[misc]
    for runtime, versions in RUNTIME_VERSIONS.items()
}
# The manylinux policy's system libraries (PEP 600 / auditwheel's whitelist).
RUNTIME_LIBS = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libdl.so.2",
        "librt.so.1",
        "libpthread.so.0",
        "libutil.so.1",
        "libnsl.so.1",
        "libresolv.so.2",
        "libcrypt.so.1",
        "libgcc_s.so.1",
        "libstdc++.so.6",
        "ld-linux-x86-64.so.2",
        "libz.so.1",
    }
)
_SHT_DYNAMIC = 6
_SHT_GNU_VERNEED = 0x6FFFFFFE
_DT_NEEDED = 1
_DT_SONAME = 14


@dataclass(frozen=True)
class ElfNeeds:
    """What one shared object asks the dynamic linker for."""

    soname: str | None
    needed: tuple[str, ...]
    glibc: tuple[int, int] | None  # the newest GLIBC_x.y symbol version used
    # The newest version used per prefix (GLIBC, GLIBCXX, CXXABI, ...).
    versions: dict[str, Version] = field(default_factory=dict)


def _version(name: str) -> tuple[str, Version] | None:
    """Split ``GLIBCXX_3.4.24`` into ("GLIBCXX", (3, 4, 24)); None if not numeric."""
    prefix, _, number = name.partition("_")
    parts = number.split(".")
    if not prefix or not all(part.isdigit() for part in parts):
        return None
    return prefix, tuple(int(part) for part in parts)


def elf_needs(data: bytes) -> ElfNeeds | None:
    """Return the DT_NEEDED, SONAME and newest symbol versions of an ELF64 LE file.

    None if ``data`` is not a 64-bit little-endian ELF (Lambda x86_64's kind).
    """
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
        for i in range(shnum)
    ]

    def string(strtab: int, offset: int) -> str:
        start = sections[strtab][4] + offset
        return data[start : data.index(b"\0", start)].decode("ascii", "replace")

    needed: list[str] = []
    soname = None
    versions: dict[str, Version] = {}
    for _name, kind, _flags, _addr, offset, size, link, info, _al, _ent in sections:
        if kind == _SHT_DYNAMIC:
            for pos in range(offset, offset + size, 16):
                tag, value = struct.unpack_from("<qQ", data, pos)
                if tag == _DT_NEEDED:
                    needed.append(string(link, value))
                elif tag == _DT_SONAME:
                    soname = string(link, value)
        elif kind == _SHT_GNU_VERNEED:
            pos = offset
            for _ in range(info):
                _ver, count, _file, aux, nxt = struct.unpack_from("<HHIII", data, pos)
                apos = pos + aux
                for _ in range(count):
                    _hash, _fl, _other, name, anext = struct.unpack_from(
                        "<IHHII", data, apos
                    )
                    if parsed := _version(string(link, name)):
                        prefix, found = parsed
                        versions[prefix] = max(versions.get(prefix, found), found)
                    apos += anext
                pos += nxt
    glibc = versions.get("GLIBC")
    return ElfNeeds(
        soname=soname,
        needed=tuple(needed),
        glibc=None if glibc is None else (glibc[0], glibc[1]),
        versions=versions,
    )


def with_soname(data: bytes, soname: str) -> bytes:
    """Return the ELF ``data`` with its DT_SONAME rewritten in place to ``soname``.

    auditwheel renames a vendored library (``libgomp-a34b3233.so.1.0.0``) and
    sets that as its SONAME; the dynamic linker matches a DT_NEEDED
    ``libgomp.so.1`` to an already loaded library by SONAME, so a preloaded
    copy must carry the plain name again. The new name must not be longer.
    """
    (shoff,) = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    for i in range(shnum):
        section = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
        if section[1] != _SHT_DYNAMIC:
            continue
        strtab = struct.unpack_from("<IIQQQQIIQQ", data, shoff + section[6] * shentsize)
        for pos in range(section[4], section[4] + section[5], 16):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag != _DT_SONAME:
                continue
            start = strtab[4] + value
            old = data[start : data.index(b"\0", start)]
            new = soname.encode("ascii")
            if len(new) > len(old):
                raise ValueError(f"SONAME {soname!r} is longer than {old.decode()!r}")
            padded = new + b"\0" * (len(old) - len(new))
            return data[:start] + padded + data[start + len(old) :]
    raise ValueError("the library has no DT_SONAME to rewrite")


def _members(archive: Path) -> Iterator[tuple[str, bytes]]:
    """Yield (name, bytes) of every shared object in a .zip or .tar.gz."""
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if ".so" in Path(info.filename).name:
                    yield info.filename, zf.read(info)
        return
    with tarfile.open(archive) as tf:
        for member in tf.getmembers():
            if member.isfile() and ".so" in Path(member.name).name:
                handle = tf.extractfile(member)
                if handle is not None:
                    yield member.name, handle.read()


def native_problems(archives: list[Path], runtime: str) -> list[str]:
    """Return one line per shared object that will not load on ``runtime``."""
    floors = RUNTIME_VERSIONS[runtime]
    libs: dict[str, ElfNeeds] = {}
    for archive in archives:
        for name, data in _members(archive):
            needs = elf_needs(data)
            if needs is not None:
                libs[name] = needs
    bundled = {Path(name).name for name in libs} | {
        needs.soname for needs in libs.values() if needs.soname
    }
    problems = []
    for name, needs in sorted(libs.items()):
        for prefix, floor in floors.items():
            used = needs.versions.get(prefix)
            if used and used > floor:
                problems.append(
                    f"{name}: needs {prefix}_{_dotted(used)}, {runtime} has "
                    f"{prefix}_{_dotted(floor)}"
                )
        missing = [lib for lib in needs.needed if lib not in RUNTIME_LIBS | bundled]
        if missing:
            problems.append(
                f"{name}: needs {', '.join(missing)}, neither in the package nor "
                f"on the {runtime} runtime"
            )
    return problems


def _dotted(version: Version) -> str:
    return ".".join(str(part) for part in version)
