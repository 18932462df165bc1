"""Streamed CSV downloads: rows are written to a small buffer that is emptied after each yield."""

import csv
import io


class CsvStream:
    """`line(row)` returns the CSV text of one row; `header(row)` also starts with a BOM for spreadsheets."""

    def __init__(self):
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, delimiter=";")

    def header(self, row) -> str:
        return "\ufeff" + self.line(row)

    def line(self, row) -> str:
        self._writer.writerow(row)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
