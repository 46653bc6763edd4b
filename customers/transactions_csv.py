"""Read a ``customer_id,date,amount`` CSV into string columns, with line numbers.

Both readers of transaction files, ``import_orders`` (``customers.services.
order_import``) and the CSV scoring commands (``scoring.transactions``), start
here, so a file is read, and refused, the same way by both. The columns come
back as text: each caller checks and converts the values with its own rules
(Decimal amounts and the business's dates for the import, float arrays for
the models).

The parsing is pyarrow's multithreaded CSV reader (C++), which reads the 1M
client benchmark file (2.8M rows) in a fraction of a second where Python's
csv module took about 10 s. Python only looks at the rare rows pyarrow
cannot take whole (a cell too many or too few, a blank-looking line) and
works out line numbers, which pyarrow does not track, from the line breaks.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

REQUIRED_COLUMNS = ("customer_id", "date", "amount")

# Files people pick by mistake, by their first bytes.
_NOT_CSV = {
    b"\x1f\x8b": "a gzip-compressed file; decompress it first",
    b"PK\x03\x04": "a zip file or an Excel workbook; save it as CSV",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook; save it as CSV",
    b"%PDF": "a PDF",
}
_UTF8_BOM = codecs.BOM_UTF8


class TransactionsCsvError(ValueError):
    """The file as a whole cannot be read (nothing about it was used)."""


@dataclass(frozen=True)
class CellsProblem:
    """A row with more cells than the header (after trailing empty cells)."""

    line: int
    cells: int
    width: int


@dataclass(frozen=True)
class TransactionsCsv:
    """The required columns of every non-blank data row, stripped, in file order.

    ``lines`` holds each row's line number. ``short_rows`` holds (line, cells)
    for the rows with fewer cells than the header; their missing cells read
    as empty. Rows with too many cells are left out of the columns and listed
    in ``cell_problems``.
    """

    customer_id: pa.Array
    date: pa.Array
    amount: pa.Array
    lines: np.ndarray
    width: int
    positions: tuple[int, ...]  # of customer_id, date, amount in the header
    cell_problems: list[CellsProblem] = field(default_factory=list)
    short_rows: list[tuple[int, int]] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Return how many data rows were read, those with too many cells too."""
        return len(self.customer_id) + len(self.cell_problems)


def transactions_csv_read(
    *, path: str | Path, encoding: str = "utf-8-sig", encoding_hint: str = ""
) -> TransactionsCsv:
    """Return the transactions of ``path``, or raise TransactionsCsvError in words.

    Refused whole: a file that cannot be opened, is empty, binary (gzip, zip or
    Excel, PDF, NUL bytes) or not text in ``encoding`` (naming the first bad
    line; ``encoding_hint`` is added to that message), or whose header lacks a
    required column. A UTF-8 byte order mark and CRLF line ends are read.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TransactionsCsvError(
            f"{path}: cannot open the file ({exc.strerror})."
        ) from exc
    data = _text_utf8(path, data, encoding, encoding_hint)
    end = data.find(b"\n")
    header_text = (data if end < 0 else data[:end]).decode("utf-8").rstrip("\r")
    header = next(csv.reader([header_text]), [])
    columns = [name.strip().lower() for name in header]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        wanted = ", ".join(missing)
        raise TransactionsCsvError(
            f"{path}: line 1: missing required column(s): {wanted} (the header "
            f"lacks column(s) {wanted}; it has: {', '.join(columns) or 'nothing'})."
        )
    positions = tuple(columns.index(name) for name in REQUIRED_COLUMNS)
    return _columns_read(data, len(columns), positions)


def _text_utf8(path: Path, data: bytes, encoding: str, hint: str) -> bytes:
    """Return ``data`` as UTF-8 without a BOM, refusing what is not text."""
    utf8 = codecs.lookup(encoding).name.startswith("utf-8")
    if utf8 and data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    if not data or data.isspace():
        raise TransactionsCsvError(
            f"{path}: the file is empty; a header row with "
            f"{', '.join(REQUIRED_COLUMNS)} is required."
        )
    for magic, what in _NOT_CSV.items():
        if data.startswith(magic):
            raise TransactionsCsvError(
                f"{path}: the file is {what}, not a CSV text file."
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise TransactionsCsvError(
            f"{path}: line {line}: the file has NUL bytes: "
            "it is binary, not a CSV text file (or UTF-16; re-save it as UTF-8)."
        )
    if data.isascii():
        return data  # ASCII is the same in every encoding allowed here
    try:
        text = data.decode("utf-8" if utf8 else encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TransactionsCsvError(
            f"{path}: line {line}: the file is not {encoding.upper()}; "
            f"re-save it as UTF-8{hint}."
        ) from None
    return data if utf8 else text.encode("utf-8")


def _arrow_read(
    data: bytes, names: list[str], *, use_threads: bool, aside: list
) -> pa.Table:
    """Parse with pyarrow, every column as text; rows it cannot take go ``aside``.

    Only a single-threaded read numbers those rows, so the caller reads again
    without threads when any were set aside (a rare path).
    """

    def keep_aside(row: pa_csv.InvalidRow) -> str:
        aside.append((row.number, row.text))
        return "skip"

    return pa_csv.read_csv(
        pa.py_buffer(data),
        read_options=pa_csv.ReadOptions(
            skip_rows=1, column_names=names, use_threads=use_threads
        ),
        parse_options=pa_csv.ParseOptions(invalid_row_handler=keep_aside),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            check_utf8=False,  # _text_utf8 has checked it, naming the line
        ),
    )


def _columns_read(
    data: bytes, width: int, positions: tuple[int, ...]
) -> TransactionsCsv:
    names = [f"c{i}" for i in range(width)]
    aside: list[tuple[int | None, str]] = []
    table = _arrow_read(data, names, use_threads=True, aside=aside)
    if aside:
        aside.clear()
        table = _arrow_read(data, names, use_threads=False, aside=aside)
    # Records are numbered from 1, the header; rows set aside have no place
    # in the table, so the table's rows are the remaining records in order.
    line_of_record = _record_lines(data, table, table.num_rows + len(aside) + 1)
    if line_of_record is None and not aside:
        lines = np.arange(2, table.num_rows + 2)  # one line per record
    else:
        if line_of_record is None:
            line_of_record = np.arange(1, table.num_rows + len(aside) + 2)
        records = np.arange(2, table.num_rows + len(aside) + 2)
        if aside:
            records = np.setdiff1d(records, [number for number, _ in aside])
        lines = line_of_record[records - 1]

    columns = [table.column(names[i]).combine_chunks() for i in positions]
    if any(space in data for space in (b" ", b"\t", b"\x0b", b"\x0c")) or not (
        data.isascii()
    ):
        trim = pc.utf8_trim_whitespace
    else:
        trim = _as_is  # nothing to strip: skip a pass over every cell
    columns = [trim(column) for column in columns]
    blank = pc.equal(columns[0], "")
    if pc.any(blank).as_py():  # maybe ",,": a spreadsheet's empty row
        for name in names[1:]:
            other = trim(table.column(name).combine_chunks())
            blank = pc.and_(blank, pc.equal(other, ""))
        keep = pc.invert(blank)
        columns = [column.filter(keep) for column in columns]
        lines = lines[keep.to_numpy(zero_copy_only=False)]

    problems: list[CellsProblem] = []
    short: list[tuple[int, int]] = []
    more_lines: list[int] = []
    more_rows: list[list[str]] = []
    for number, text in aside:
        line = int(line_of_record[number - 1])
        values = next(csv.reader([text]), [])
        if not any(value.strip() for value in values):
            continue  # a line of spaces is blank
        cells = len(values)
        while cells > width and not values[cells - 1].strip():
            cells -= 1  # trailing empty cells: a spreadsheet's stray commas
        if cells > width:
            problems.append(CellsProblem(line=line, cells=cells, width=width))
            continue
        if cells < width:
            short.append((line, cells))
        more_lines.append(line)
        more_rows.append(
            [values[i].strip() if i < len(values) else "" for i in positions]
        )
    if more_lines:
        lines = np.concatenate([lines, np.asarray(more_lines, dtype=np.int64)])
        order = pa.array(np.argsort(lines, kind="stable"))
        columns = [
            pa.concat_arrays(
                [column, pa.array([row[k] for row in more_rows], pa.string())]
            ).take(order)
            for k, column in enumerate(columns)
        ]
        lines = lines[order.to_numpy()]
    return TransactionsCsv(
        customer_id=columns[0],
        date=columns[1],
        amount=columns[2],
        lines=np.asarray(lines, dtype=np.int64),
        width=width,
        positions=positions,
        cell_problems=problems,
        short_rows=short,
    )


def _as_is(column: pa.Array) -> pa.Array:
    return column


def _record_lines(data: bytes, table: pa.Table, records: int) -> np.ndarray | None:
    """Return the line number on which each record starts (index 0: the header).

    None when record ``k`` starts on line ``k + 1``, the usual file: the caller
    then numbers the rows without building the mapping.

    pyarrow skips empty lines and numbers records, not lines. Without a line
    break inside a quoted value, records are the non-empty lines in order,
    found from the positions of the line breaks; otherwise Python's csv module
    walks the file (a rare, slower path).
    """
    if b"\n\n" not in data and b"\n\r\n" not in data and b'"' not in data:
        return None  # one line each
    spans = b'"' in data and any(
        pc.any(pc.match_substring(column, "\n")).as_py()
        for column in table.columns
        if len(column)
    )
    if spans:
        starts = []
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        previous = 0
        for values in reader:
            if values:
                starts.append(previous + 1)
            previous = reader.line_num
        return np.asarray(starts, dtype=np.int64)
    raw = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(raw == ord("\n"))
    begin = np.r_[0, breaks + 1]
    finish = np.r_[breaks, raw.size]
    length = finish - begin
    cr_only = (length == 1) & (raw[np.minimum(begin, raw.size - 1)] == ord("\r"))
    empty = (length == 0) | cr_only
    return np.flatnonzero(~empty) + 1
