"""The URL fetcher of PDF documents (core.pdf). Importing this module imports WeasyPrint: core.pdf imports it only
when a document is made."""

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher


class StaticFilesOnly(URLFetcher):
    """Fetches the files of static/ and data: URLs (the QR code), nothing else: no network, no other file.
    Any failure stops the document (fail_on_errors), so a missing font is an error, not a silent fallback."""

    def __init__(self, static_folder: Path):
        super().__init__(allowed_protocols={"file", "data"}, fail_on_errors=True)
        self.root = static_folder.resolve()

    def fetch(self, url, headers=None):
        if url.startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path)).resolve()
            if not path.is_relative_to(self.root):
                raise ValueError(f"only files of static/ are read: {url}")
        return super().fetch(url, headers)
