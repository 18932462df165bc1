"""Streamed CSV downloads: rows are written to a small buffer that is emptied after each yield.

Every CSV the application exports goes through `CsvStream`, so every export is protected against CSV
(formula) injection in one place: a text cell that a spreadsheet would run as a formula — typed by a
candidate or a learner, e.g. `=HYPERLINK("http://…")` in an answer — is written with a leading single
quote, as OWASP recommends (https://owasp.org/www-community/attacks/CSV_Injection). Spreadsheets then
show it as text. Numbers are not text and are left alone.
"""

import csv
import io

# What starts a formula in Excel, LibreOffice or Google Sheets, tab and carriage return included.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell):
    """The cell as it is safe to write: text starting like a formula gets a leading single quote."""
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS):
        return "'" + cell
    return cell


class CsvStream:
    """`line(row)` returns the CSV text of one row; `header(row)` also starts with a BOM for spreadsheets."""

    def __init__(self):
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, delimiter=";")

    def header(self, row) -> str:
        return "\ufeff" + self.line(row)

    def line(self, row) -> str:
        self._writer.writerow([neutralise(cell) for cell in row])
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
