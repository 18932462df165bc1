"""PDF documents from HTML templates, with WeasyPrint.

A document is a template extending templates/documents/_document.html, laid out by static/css/documents.css:
the stylesheet the site's « aperçu » pages use too, so what one reads on screen, prints and downloads has one
layout. Its fonts are the DSFR's (Marianne, Spectral, static/dsfr/fonts), read as local files: making a PDF
fetches nothing from the network, and a missing file stops it rather than printing a name in a fallback font.
The PDF is tagged (PDF/UA-1: headings, paragraphs, lists and images with their text alternative, in reading
order) and carries its title, author and language from the template's <title>, <meta name="author"> and
<html lang>.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import segno
import tinycss2
from flask import current_app, render_template

if TYPE_CHECKING:
    from weasyprint.document import Document

# WeasyPrint is imported when a document is made, not with the app: importing it costs seconds (it parses its
# own stylesheets) that every `flask` command and worker start would pay, and a machine without Pango still
# serves every page but the two PDFs.

PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}
# The DSFR's bloc-marque (République française, the Marianne and the motto) is text and two small drawings in
# its stylesheet, which WeasyPrint cannot read whole: these rules are taken from it as they are, less what only
# a screen uses (Windows' high-contrast mode).
DSFR_LOGO_SELECTORS = (".fr-logo", ".fr-logo:before", ".fr-logo:after")
SCREEN_ONLY_PROPERTIES = {"forced-color-adjust"}

# The DSFR's fonts, from its package (static/dsfr/fonts, copied by scripts/build_static.py): WOFF rather than
# WOFF2, which takes WeasyPrint a second to unpack at every document.
FONT_FACES = (
    ("Marianne", "normal", 400, "Marianne-Regular"), ("Marianne", "italic", 400, "Marianne-Regular_Italic"),
    ("Marianne", "normal", 700, "Marianne-Bold"), ("Marianne", "italic", 700, "Marianne-Bold_Italic"),
    ("Spectral", "normal", 400, "Spectral-Regular"), ("Spectral", "normal", 800, "Spectral-ExtraBold"),
)


class PdfError(RuntimeError):
    """A document could not be made (a font or stylesheet missing from static/: run `make assets`)."""


def static_files_fetcher(static_folder: Path):
    from beta_training.core.pdf_fetcher import StaticFilesOnly

    return StaticFilesOnly(static_folder)


@lru_cache(maxsize=4)
def _dsfr_logo_css(path: str, _mtime: float) -> str:
    rules = tinycss2.parse_stylesheet(Path(path).read_text(encoding="utf-8"), skip_comments=True, skip_whitespace=True)
    picked = {}
    for rule in rules:  # the first rule of each selector: the default size, outside any media query
        if rule.type == "qualified-rule":
            selector = tinycss2.serialize(rule.prelude).strip()
            if selector in DSFR_LOGO_SELECTORS and selector not in picked:
                declarations = tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
                picked[selector] = ";".join(
                    f"{d.name}:{tinycss2.serialize(d.value)}{' !important' if d.important else ''}"
                    for d in declarations if d.type == "declaration" and d.lower_name not in SCREEN_ONLY_PROPERTIES)
    if set(picked) != set(DSFR_LOGO_SELECTORS):
        raise PdfError(f"the DSFR stylesheet {path} has no bloc-marque rules ({', '.join(DSFR_LOGO_SELECTORS)})")
    return "".join(f"{selector}{{{body}}}" for selector, body in picked.items())


def dsfr_logo_css(static_folder: Path) -> str:
    path = static_folder / "dsfr" / "dsfr.min.css"
    if not path.is_file():
        raise PdfError(f"{path} is missing: build the static files (make assets)")
    return _dsfr_logo_css(str(path), path.stat().st_mtime)


def font_faces_css(static_folder: Path) -> str:
    """@font-face rules of the DSFR's fonts, as local file URLs."""
    fonts = static_folder.resolve() / "dsfr" / "fonts"
    return "".join(
        f'@font-face {{ font-family: "{family}"; font-style: {style}; font-weight: {weight}; '
        f'src: url("{(fonts / name).with_suffix(".woff").as_uri()}") format("woff"); }}'
        for family, style, weight, name in FONT_FACES
    )


def render_document(template: str, **context) -> Document:
    """Lay out the template as pages (not yet a PDF: its pages can be counted first)."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    static_folder = Path(current_app.static_folder)
    base_url = static_folder.resolve().as_uri() + "/"
    fetcher = static_files_fetcher(static_folder)
    fonts = FontConfiguration()
    try:
        dsfr = CSS(string=font_faces_css(static_folder) + dsfr_logo_css(static_folder), base_url=base_url,
                   url_fetcher=fetcher, font_config=fonts)
        html = HTML(string=render_template(template, **context), base_url=base_url, url_fetcher=fetcher)
        return html.render(font_config=fonts, stylesheets=[dsfr], **PDF_OPTIONS)
    except FatalURLFetchingError as error:  # a BaseException in WeasyPrint: made an ordinary error here
        raise PdfError(f"{template}: {error} ({error.__cause__})") from None


def write_pdf(document: Document) -> bytes:
    return document.write_pdf(**PDF_OPTIONS)


def render_pdf(template: str, **context) -> bytes:
    return write_pdf(render_document(template, **context))


def qr_code_data_uri(text: str) -> str:
    """A QR code of `text` as a PNG data: URL for an <img>. PNG, drawn at 10 pixels a module and printed
    without smoothing (documents.css), stays sharp at the 30 mm it is printed."""
    return segno.make(text, error="m", micro=False).png_data_uri(scale=10, border=4)
