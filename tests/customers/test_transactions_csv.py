"""The columnar transactions reader both importers share."""

from __future__ import annotations

import pytest

from customers.transactions_csv import (
    CellsProblem,
    TransactionsCsvError,
    transactions_csv_read,
)


def _read(tmp_path, content: bytes, **kwargs):
    path = tmp_path / "tx.csv"
    path.write_bytes(content)
    return transactions_csv_read(path=path, **kwargs)


def test_rows_keep_their_line_numbers_around_odd_lines(tmp_path):
    """Blank lines, a quoted line break, odd cell counts: each row keeps its line."""
    table = _read(
        tmp_path,
        b"customer_id,date,amount,note\n"  # 1
        b"a,2024-01-01,1,x\n"  # 2
        b"\n"  # 3: blank
        b"b,2024-01-02\n"  # 4: short, the note and amount missing
        b"   \n"  # 5: spaces only
        b"c,2024-01-03,3,,,\n"  # 6: stray commas
        b'd,2024-01-04,4,"two\n'  # 7
        b'lines"\n'  # 8
        b"e,2024-01-05,5,x,surplus\n"  # 9: one cell too many
        b",,,\n"  # 10: an empty spreadsheet row
        b"f,2024-01-06,6,x\n",  # 11
    )

    assert table.customer_id.to_pylist() == ["a", "b", "c", "d", "f"]
    assert table.amount.to_pylist() == ["1", "", "3", "4", "6"]
    assert table.lines.tolist() == [2, 4, 6, 7, 11]
    assert table.cell_problems == [CellsProblem(line=9, cells=5, width=4)]
    assert table.short_rows == [(4, 2)]
    assert table.rows == 6


def test_crlf_and_bom_are_read_and_columns_found_by_name(tmp_path):
    """A BOM and CRLF line ends are read; columns are found by name in any order."""
    table = _read(
        tmp_path,
        b"\xef\xbb\xbfAmount , Customer_ID,date\r\n 5 ,k , 2024-01-01\r\n\r\n6,k,x\r\n",
    )

    assert table.customer_id.to_pylist() == ["k", "k"]
    assert table.amount.to_pylist() == ["5", "6"]
    assert table.date.to_pylist() == ["2024-01-01", "x"]
    assert table.lines.tolist() == [2, 4]


def test_another_encoding_is_read_as_text(tmp_path):
    """With encoding latin-1 the bytes are read as latin-1 text."""
    table = _read(
        tmp_path,
        "customer_id,date,amount\nZoë,2024-01-01,1\n".encode("latin-1"),
        encoding="latin-1",
    )

    assert table.customer_id.to_pylist() == ["Zoë"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"%PDF-1.7\n", "the file is a PDF"),
        (b"\xd0\xcf\x11\xe0rest", "an old Excel workbook"),
        (b"customer_id,date\na,b\n", "line 1: missing required column(s): amount"),
        (b"customer_id,date,amount\na,\xff,1\n", "line 2: the file is not UTF-8-SIG"),
    ],
)
def test_files_that_are_not_transactions_are_refused(tmp_path, content, expected):
    """The file as a whole is refused with a sentence naming the problem."""
    with pytest.raises(TransactionsCsvError) as info:
        _read(tmp_path, content)

    assert expected in str(info.value)
