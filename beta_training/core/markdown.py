"""User Markdown → safe HTML: markdown-it-py renders (raw HTML off), nh3 sanitises with an allowlist."""

from urllib.parse import urljoin

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render_markdown(text: str | None) -> Markup:
    html = _md.render(text or "")
    # Headings shift down one level would need a renderer rule; h1 is simply not allowed (one h1 per page).
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)


def absolute_links(html: str, base_url: str) -> Markup:
    """HTML from render_markdown with its relative links made absolute on `base_url`: in an email, a link
    typed as `/mooc/…` would lead nowhere. Cleaned again with the same allowlist (nh3 rewrites the links)."""
    base = base_url.rstrip("/") + "/"

    def resolve(tag: str, attribute: str, value: str) -> str:
        return urljoin(base, value) if tag == "a" and attribute == "href" else value

    return Markup(nh3.clean(
        str(html),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        attribute_filter=resolve,
    ))
