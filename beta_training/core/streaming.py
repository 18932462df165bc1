"""Streamed downloads: CSV rows written to a small buffer emptied after each yield, and large binary columns
read as files, one slice at a time (open_blob).

Every CSV the application exports goes through `CsvStream`, so every export is protected against CSV
(formula) injection in one place: a text cell that a spreadsheet would run as a formula — typed by a
candidate or a learner, e.g. `=HYPERLINK("http://…")` in an answer — is written with a leading single
quote, as OWASP recommends (https://owasp.org/www-community/attacks/CSV_Injection). Spreadsheets then
show it as text. Numbers are not text and are left alone.
"""

import contextlib
import csv
import io
import logging

import sqlalchemy as sa

log = logging.getLogger(__name__)

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


# --- Large binary columns, a slice at a time ---------------------------------------------------------------

BLOB_CHUNK_BYTES = 512 * 1024


class BlobChanged(Exception):
    """The value changed (or went) between two slices: the download stops rather than mix two files."""


class _BlobSlices(io.RawIOBase):
    """The raw file: each read is one SELECT substr(column, offset, length) on a connection taken from the pool
    and given back at once, so no transaction stays open while a slow client downloads, and no app context is
    needed once the view has returned (the server reads the response after it)."""

    def __init__(self, engine: sa.Engine, column, where, size: int):
        super().__init__()
        self._engine, self._column, self._where, self._size = engine, column, tuple(where), size
        self._offset = 0

    def _connect(self):
        # A connection given (a transaction's own: what it wrote but has not committed) is used as it is.
        if isinstance(self._engine, sa.Connection):
            return contextlib.nullcontext(self._engine)
        return self._engine.connect()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True  # byte ranges (a resumed download) read only the part asked for

    def tell(self) -> int:
        return self._offset

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._offset, io.SEEK_END: self._size}[whence]
        self._offset = max(0, base + offset)
        return self._offset

    def readinto(self, buffer) -> int:
        length = min(len(buffer), self._size - self._offset)
        if length <= 0:
            return 0
        query = sa.select(sa.func.substr(self._column, self._offset + 1, length, type_=sa.LargeBinary)).where(*self._where)
        with self._connect() as connection:
            piece = connection.scalar(query)
        if piece is None or len(piece) != length:
            log.warning("%s changed during a download, at byte %s: stopped", self._column, self._offset)
            raise BlobChanged(str(self._column))
        buffer[:length] = piece
        self._offset += length
        return length


def open_blob(engine: sa.Engine | sa.Connection, column, where, size: int,
              chunk_bytes: int = BLOB_CHUNK_BYTES) -> io.BufferedReader:
    """A large binary column as a read-only file, read from the database `chunk_bytes` at a time: a 20 MB file
    never sits whole in a web worker's memory. From an engine, each slice takes a pooled connection (a
    download); from a connection, the slices are read in its transaction (an export of what it just wrote).
    `where` picks the row, and should pin its content too (its hash), so that a file replaced meanwhile stops
    the download (BlobChanged) instead of mixing two files."""
    return io.BufferedReader(_BlobSlices(engine, column, where, size), buffer_size=chunk_bytes)
