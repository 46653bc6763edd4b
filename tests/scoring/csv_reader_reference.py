"""The csv-module transactions reader this project used before pyarrow.

Kept only here, as the reference the pyarrow reader must match bit for bit on
the CDNOW files (``test_transactions.py``). It returns the raw arrays.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def reference_read_csv(
    *, path: str | Path
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (customer ids, dates, amounts) as the old reader parsed them."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        names = [name.strip().lower() for name in next(reader)]
        idx = [names.index(name) for name in ("customer_id", "date", "amount")]
        ids: list[str] = []
        dates: list[str] = []
        amounts: list[str] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            ids.append(row[idx[0]].strip())
            dates.append(row[idx[1]].strip())
            amounts.append(row[idx[2]].strip())
    return (
        np.asarray(ids, dtype=str),
        np.asarray(dates, dtype=str).astype("datetime64[D]"),
        np.asarray(amounts, dtype=np.float64),
    )
