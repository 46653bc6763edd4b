"""Reading an import CSV row by row with its line numbers, for every import path.

The admin's import (``admin_import.CheckedCSV``, the whole file at once) and the
background import (``services.background_import``, streamed in chunks) read
files through ``CsvRows``, so both accept and refuse the same files:

- a row with more or fewer cells than the header is a problem of that line
  (tablib would raise on an extra cell, an unquoted "1,000.00", and pad a short
  one with blanks, blanking those fields);
- trailing empty cells (a spreadsheet's stray commas) are dropped, blank lines
  skipped, and line numbers stay the file's (tablib's would not);
- a UTF-8 byte order mark and CRLF line endings are read as they should be.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

# Files people pick by mistake, by their first bytes.
NOT_CSV = {
    b"\x1f\x8b": "a gzip-compressed file; decompress it first",
    b"PK\x03\x04": "a zip file or an Excel workbook; save it as CSV",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook; save it as CSV",
    b"%PDF": "a PDF",
}


class CsvFileError(ValueError):
    """The file as a whole cannot be read as CSV text; shown as is."""


def binary_file_check(start: bytes) -> None:
    """Raise CsvFileError if a file's first bytes show it is not CSV text."""
    for magic, what in NOT_CSV.items():
        if start.startswith(magic):
            raise CsvFileError(f"the file is {what}, not a CSV text file")
    if b"\x00" in start:
        raise CsvFileError(
            "the file has NUL bytes: it is binary, not a CSV text file (or "
            "UTF-16; re-save it as CSV UTF-8)"
        )


class CsvRows:
    """Iterate over (line, values) of a CSV text; the header is read first.

    ``problems`` collects (line, words) of rows that were not yielded.
    """

    def __init__(self, text: Iterable[str]) -> None:
        self.reader = csv.reader(text)
        self.headers: list[str] = []
        self.problems: list[tuple[int, str]] = []
        self.width = 0

    def header_read(self) -> list[str]:
        """Return the header (stripped); [] for a file with no header at all."""
        for values in self.reader:
            while values and not values[-1].strip():
                values.pop()
            if values:
                self.headers = [value.strip() for value in values]
                self.width = len(values)
                break
        return self.headers

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        width = self.width
        for values in self.reader:
            line = self.reader.line_num
            if not any(value.strip() for value in values):
                continue
            while len(values) > width and not values[-1].strip():
                values.pop()
            if len(values) != width:
                self.problems.append(
                    (line, f"has {len(values)} cells, the header has {width}")
                )
                continue
            yield line, values
