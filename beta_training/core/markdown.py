"""User Markdown → safe HTML: markdown-it-py renders (raw HTML off), nh3 sanitises with an allowlist."""

from functools import lru_cache
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


def render_markdown(text: str | None, below: int | None = None) -> Markup:
    """`below`: the level of the page heading the text sits under. The text's top headings then come one level
    under it and the others keep their order (under an h2, « ## Calendrier » is an h3, its « ### » an h4).
    Without it, levels are as typed; h1 is never allowed (one h1 per page)."""
    return _rendered(str(text or ""), below)


# Kept per process: the HTML depends on the text and the level alone, and the same texts come back at every view
# (a course's description on its outline, an item's body or transcript, a bulk email's body for each of its
# recipients): parsing and sanitising took 6 % of the outline. Bounded (a transcript is some tens of kilobytes).
@lru_cache(maxsize=256)
def _rendered(text: str, below: int | None) -> Markup:
    tokens = _md.parse(text)
    headings = [token for token in tokens if token.type in ("heading_open", "heading_close")]
    if below and headings:
        shift = below + 1 - min(int(token.tag[1:]) for token in headings)
        for token in headings:
            token.tag = f"h{min(max(int(token.tag[1:]) + shift, 2), 6)}"
    html = _md.renderer.render(tokens, _md.options, {})
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


def markdown_to_text(text: str | None) -> str:
    """User Markdown as plain text, for an email's text part: the words without the marks (no « **gras** »),
    list items as « - », a link as « texte (adresse) »."""
    lines: list[str] = []
    prefixes: list[str] = []  # « - » or « 1. » of the list items being read
    numbers: list[int] = []
    for token in _md.parse(text or ""):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            numbers.append(int(token.attrs.get("start", 1)) if token.type == "ordered_list_open" else 0)
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            numbers.pop()
            lines.append("")
        elif token.type == "list_item_open":
            if numbers[-1]:
                prefixes.append(f"{numbers[-1]}. ")
                numbers[-1] += 1
            else:
                prefixes.append("- ")
        elif token.type == "inline":
            lines.append("".join(prefixes) + _inline_text(token.children or []))
            prefixes.clear()
        elif token.type in ("paragraph_close", "heading_close") and not numbers:
            lines.append("")
        elif token.type in ("fence", "code_block"):
            lines.append(token.content.rstrip("\n"))
            lines.append("")
        elif token.type == "hr":
            lines.extend(["----", ""])
    return "\n".join(lines).strip()


def _inline_text(children) -> str:
    parts: list[str] = []
    href = None
    for child in children:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "link_open":
            href = child.attrs.get("href")
            parts.append("")
        elif child.type == "link_close" and href:
            if parts and parts[-1] != href:
                parts.append(f" ({href})")
            href = None
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)
