"""PDF documents (core.pdf): the DSFR's fonts and stylesheet read from static/ and nothing from the network; a
missing file stops the document with an error rather than printing it in a fallback font."""

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from beta_training.core import pdf

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def test_only_the_files_of_static_are_fetched(app, tmp_path):
    fetcher = pdf.static_files_fetcher(tmp_path / "static")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a.css").write_text("p { color: red }")
    (tmp_path / "secret.txt").write_text("not for documents")
    assert fetcher.fetch((tmp_path / "static" / "a.css").as_uri()).read() == b"p { color: red }"
    for url in ("https://example.org/font.woff", "http://127.0.0.1/x.css", (tmp_path / "secret.txt").as_uri(),
                (tmp_path / "static" / ".." / "secret.txt").as_uri()):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_the_fonts_are_the_dsfr_files_that_the_static_build_copies(app):
    css = pdf.font_faces_css(Path(app.static_folder))
    urls = re.findall(r'url\("([^"]+)"\)', css)
    assert len(urls) == len(pdf.FONT_FACES) and all(url.startswith("file:///") for url in urls)
    paths = [Path(url2pathname(urlsplit(url).path)) for url in urls]
    assert all(path.is_file() and path.parent == (Path(app.static_folder) / "dsfr" / "fonts").resolve() for path in paths)


def test_a_missing_font_stops_the_document(ctx, monkeypatch):
    monkeypatch.setattr(pdf, "FONT_FACES", (*pdf.FONT_FACES, ("Marianne", "normal", 900, "Marianne-Absente")))
    with pytest.raises(pdf.PdfError, match="Marianne-Absente"):
        pdf.render_pdf("documents/_document.html")


def test_starting_the_app_imports_no_weasyprint_and_logs_nothing():
    """Importing WeasyPrint takes seconds that every `flask` command and worker start would pay: it is imported by
    the first document. Nor does a start write a line of its own."""
    check = "import sys, app; assert 'weasyprint' not in sys.modules, 'imported with the app'"
    env = {**os.environ, "BETA_TRAINING_ENV": "development"}
    result = subprocess.run([sys.executable, "-c", check], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "procrastinate.blueprints" not in result.stdout  # nor a line of its own at every start (logs: stdout)
