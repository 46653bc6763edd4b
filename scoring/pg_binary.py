"""PostgreSQL COPY BINARY for fixed-width numeric columns, straight from numpy.

Rows of non-null int2/int4/int8/float8 columns have a fixed width in the binary
COPY format (a 16-bit field count, then per field a 32-bit length and the
big-endian value), so a numpy structured array *is* the wire format: no Python
object per value either way. Floats may carry NaN, which PostgreSQL stores as
'NaN' (map it to NULL in SQL with ``NULLIF(col, 'NaN')``).
"""

from __future__ import annotations

import numpy as np

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, no extension
TRAILER = b"\xff\xff"
PG_TYPES = {">i2": "int2", ">i4": "int4", ">i8": "int8", ">f8": "float8"}


def _row_dtype(dtypes: dict[str, str]) -> np.dtype:
    fields: list[tuple[str, str]] = [("_count", ">i2")]
    for name, dtype in dtypes.items():
        if dtype not in PG_TYPES:
            raise ValueError(f"column {name!r}: unsupported dtype {dtype!r}")
        fields += [(f"_len_{name}", ">i4"), (name, dtype)]
    return np.dtype(fields)


def binary_copy_rows(columns: dict[str, tuple[np.ndarray, str]]) -> bytes:
    """Encode the rows alone (no header or trailer), to stream a payload in chunks."""
    dtypes = {name: dtype for name, (_, dtype) in columns.items()}
    sizes = {len(values) for values, _ in columns.values()}
    if len(sizes) != 1:
        raise ValueError("all columns must have the same length")
    rows = np.empty(sizes.pop(), dtype=_row_dtype(dtypes))
    rows["_count"] = len(columns)
    for name, (values, dtype) in columns.items():
        rows[f"_len_{name}"] = np.dtype(dtype).itemsize
        # Convert contiguously first: casting straight into the packed,
        # byte-swapped field is three times slower.
        rows[name] = np.asarray(values).astype(dtype)
    return rows.tobytes()


def binary_copy_decode(
    payload: bytes | bytearray, dtypes: dict[str, str]
) -> np.ndarray:
    """Decode a COPY BINARY payload of non-null fixed-width columns.

    Returns a structured array with one field per column (big-endian dtypes).
    """
    if not payload.startswith(HEADER[:11]):
        raise ValueError("not a PostgreSQL COPY BINARY payload")
    body = memoryview(payload)[len(HEADER) : len(payload) - len(TRAILER)]
    return np.frombuffer(body, dtype=_row_dtype(dtypes))
