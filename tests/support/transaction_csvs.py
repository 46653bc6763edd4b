"""Transaction CSVs (customer_id,date,amount) that both readers are tried on.

``manage.py import_orders`` (customers) and ``transactions_read_csv`` (scoring)
read the same format; their bad-input tables take the files they share from
here, so a case is written once. Each table keeps its own expected message:
the two readers word their errors differently.
"""

from __future__ import annotations

HEADER = b"customer_id,date,amount\n"

TRANSACTION_CSVS: dict[str, bytes] = {
    "utf8-bom": b"\xef\xbb\xbf" + HEADER + b"A1,2024-01-05,10\n",
    "extra-column": b"customer_id,date,amount,note\nA1,2024-01-05,10,hi\n",
    "empty": b"",
    "day-month-year": HEADER + b"A1,31/12/2024,10\n",
    "word-date": HEADER + b"A1,yesterday,10\n",
    "negative-amount": HEADER + b"A1,2024-01-05,-10.00\n",
}
