"""Export files a spreadsheet opens without running anything a client typed.

A client named ``=HYPERLINK("http://evil","x")`` or a note ``@SUM(1)`` would be a
live formula when a manager opens the export (CSV injection, OWASP). The admin's
export offers two formats, both safe:

- CSV: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a leading apostrophe, the usual neutraliser (the spreadsheet shows
  the text, and hides the apostrophe in Excel). A plain number (``-5``,
  ``12.50``) is left alone: it is no formula, and amounts must stay numbers.
- XLSX: every value is written as a typed string cell, so nothing is a formula
  and no value is changed (openpyxl would store a string starting with ``=`` as
  a formula).

django-import-export's own ``IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT`` is not
used: it removes one leading ``=`` only (``==1+1`` stays a formula), ignores the
other triggers and turns every cell, blanks included, into text ("None").
"""

from __future__ import annotations

import io
import re

from import_export.formats import base_formats

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def cell_neutralise(value: object) -> object:
    """Return ``value``, with a leading apostrophe if a spreadsheet would run it."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class FormulaSafeCSV(base_formats.CSV):
    """CSV export whose formula-like text cells are neutralised."""

    def export_data(self, dataset, **kwargs):
        safe = dataset.__class__(headers=dataset.headers)
        for row in dataset:
            safe.append([cell_neutralise(value) for value in row])
        return super().export_data(safe, **kwargs)


class FormulaSafeXLSX(base_formats.XLSX):
    """XLSX export with every value a string cell: nothing is a formula."""

    def export_data(self, dataset, **kwargs):
        from openpyxl import Workbook

        workbook = Workbook(write_only=False)
        sheet = workbook.active
        sheet.title = "Export"
        sheet.append(list(dataset.headers or []))
        for row in dataset:
            sheet.append(["" if value is None else value for value in row])
        for cells in sheet.iter_rows():
            for cell in cells:
                if cell.data_type == "f":
                    cell.data_type = "s"
        stream = io.BytesIO()
        workbook.save(stream)
        return stream.getvalue()


EXPORT_FORMATS = (FormulaSafeCSV, FormulaSafeXLSX)
