"""A resource's file is streamed from the database a slice at a time: what the web worker reads per query and
holds in memory stays near BLOB_CHUNK_BYTES whatever the file's size (counted in bytes, not timed)."""

import hashlib
import math
import os
import tracemalloc

import pytest
import sqlalchemy as sa

from beta_training.core.streaming import BLOB_CHUNK_BYTES, BlobChanged
from beta_training.courses import services
from beta_training.courses.models import CourseItem
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_enrolment, make_mooc, make_user

SIZE = 4 * 1024 * 1024 + 123  # not a whole number of slices
DATA = b"%PDF-1.4\n" + os.urandom(SIZE - 9)


@pytest.fixture
def download(app, client):
    """(url, learner client) for a 4 MB file attached to a resource the learner may read."""
    course, run = make_mooc(sequences=(1,), kinds=("resource",))
    item = db.session.scalar(sa.select(CourseItem).where(CourseItem.kind == "resource"))
    services.attach_resource_file(item, filename="guide.pdf", data=DATA, max_bytes=2 * SIZE)
    learner = make_user()
    make_enrolment(run, learner)
    db.session.commit()
    login(client, learner)
    return f"/mooc/{course.id}/ressources/{item.id}", client


class DataReads:
    """Every statement that reads resource_files.data, with the length of the slice it asks for (None: whole)."""

    def __init__(self, engine):
        self.engine, self.reads = engine, []

    def _record(self, _conn, _cursor, statement, parameters, _context, _many):
        if "resource_files.data" not in statement or not statement.lstrip().upper().startswith("SELECT"):
            return
        if "substr(" in statement.lower():
            values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters)
            self.reads.append(values[1])  # substr(data, offset, LENGTH)
        else:
            self.reads.append(None)

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._record)


def test_the_file_is_read_a_slice_at_a_time(app, download):
    url, client = download
    with DataReads(db.engine) as data:
        response = client.get(url)
        body = response.data  # the server reads the file as it sends it
    assert response.status_code == 200 and body == DATA
    assert response.headers["Content-Length"] == str(SIZE)
    assert None not in data.reads, "the whole column was read at once"
    assert len(data.reads) == math.ceil(SIZE / BLOB_CHUNK_BYTES)
    assert max(data.reads) == BLOB_CHUNK_BYTES and sum(data.reads) == SIZE


def test_a_download_holds_about_one_slice_in_memory(download):
    url, client = download
    digest = hashlib.sha256()
    tracemalloc.start()
    try:
        response = client.get(url, buffered=False)
        for piece in response.iter_encoded():  # as the server sends it, without keeping it
            digest.update(piece)
        response.close()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest.digest() == hashlib.sha256(DATA).digest()
    assert peak < 4 * BLOB_CHUNK_BYTES < SIZE / 2, f"{peak} bytes at the peak for a {SIZE}-byte file"


def test_a_byte_range_reads_only_that_range(app, download):
    url, client = download
    with DataReads(db.engine) as data:
        response = client.get(url, headers={"Range": "bytes=3000000-3000999"})
        body = response.data
    assert response.status_code == 206 and body == DATA[3_000_000:3_001_000]
    assert sum(data.reads) <= BLOB_CHUNK_BYTES


def test_an_unchanged_file_is_not_read_again(app, download):
    url, client = download
    etag = client.get(url).headers["ETag"]
    with DataReads(db.engine) as data:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert data.reads == []


def test_a_file_replaced_during_a_download_stops_it_rather_than_mix_two_files(app, download):
    url, client = download
    response = client.get(url, buffered=False)
    pieces = response.iter_encoded()
    next(pieces)  # the first slice is read
    item = db.session.scalar(sa.select(CourseItem).where(CourseItem.kind == "resource"))
    services.attach_resource_file(item, filename="guide.pdf", data=b"%PDF-1.4\n" + os.urandom(SIZE - 9), max_bytes=2 * SIZE)
    db.session.commit()
    with pytest.raises(BlobChanged):
        for _piece in pieces:
            pass
    response.close()


def test_a_course_export_copies_the_file_a_slice_at_a_time(app, download, tmp_path):
    """`flask courses export` writes each resource's file into the course folder as the downloads read it."""
    from beta_training.courses import queries
    from beta_training.courses.content import export_course

    item = db.session.scalar(sa.select(CourseItem).where(CourseItem.kind == "resource"))
    with DataReads(db.engine) as data:
        export_course(queries.get_course_outline(item.sequence.module.course.slug), tmp_path / "export")
    assert (tmp_path / "export" / "files" / item.key / "guide.pdf").read_bytes() == DATA
    assert None not in data.reads, "the whole column was read at once"
    assert len(data.reads) == math.ceil(SIZE / BLOB_CHUNK_BYTES)
