"""Exports of a sheet version, in the fiche's own order (header, the five parts, the roadmap): a PDF and
beta.gouv.fr's startup page format (Markdown with YAML front matter, as in content/_startups/*.md)."""

from datetime import date

import yaml

from beta_training.core.pdf import render_document, write_pdf
from beta_training.core.templating import format_d
from beta_training.sheets.models import PARTS, USERTYPES, safe_links

# The fiche is designed for one A4 page: its type is made smaller, a quarter point at a time, down to a size
# still read without effort on paper, until it holds there. A longer fiche is laid out on pages of their own
# design (templates/sheets/_one_pager.html, static/css/documents.css): its parts whole, the roadmap on the last
# page, numbered, at the largest size that holds on two pages, never below the floor. At the form's limits
# (about 20,000 characters) the floor takes more than two pages: readable type wins over the page count
# (tests/sheets/test_services.py).
TYPE_SIZES = tuple(quarter / 4 for quarter in range(36, 33, -1))  # 9 pt down to 8.5 pt, the floor
END_ANCHOR = "a4-end"  # where the fiche ends (templates/sheets/_one_pager.html)


def one_pager_pdf(content: dict, *, owner_name: str, version: int) -> bytes:
    def layout(size: float, pages: int):
        return render_document("sheets/export_pdf.html", content=content, owner_name=owner_name, version_number=version,
                               font_size=size, two_pages=pages > 1, parts=PARTS, usertypes=USERTYPES,
                               safe_links=safe_links)

    document = layout(TYPE_SIZES[0], 1)
    if len(document.pages) == 1:
        return write_pdf(document)  # most fiches: one layout
    # The area text takes goes with the square of its size: the last layout tells which sizes cannot hold
    # (a layout of a long fiche takes a second or more), and the largest of the others that does is kept.
    measured = (TYPE_SIZES[0], _pages_filled(document))
    for pages in (1, 2):
        for size in TYPE_SIZES:
            if measured[1] * (size / measured[0]) ** 2 > pages:
                continue
            document = layout(size, pages)
            if len(document.pages) <= pages:
                return write_pdf(document)
            measured = (size, _pages_filled(document))
    return write_pdf(layout(TYPE_SIZES[-1], 2))  # longer than two pages hold: as many as it takes, at the floor


def _pages_filled(document) -> float:
    """How many pages the fiche fills: the full ones, and the height of the last one down to its last line."""
    last = document.pages[-1]
    if END_ANCHOR not in last.anchors:
        return float(len(document.pages))
    return len(document.pages) - 1 + last.anchors[END_ANCHOR][1] / last.height


def _day(iso: str) -> str:
    """A milestone's due date as the page's readers write it (« 15 janvier 2027 »); the front matter keeps ISO."""
    return format_d(iso) or "date à préciser"


def startup_markdown(content: dict, *, contact: str, investigation_start: date) -> str:
    """beta.gouv.fr startup page: front matter fields of content/_startups/*.md; the body has one ## section
    per part (its answered questions as ###), then the roadmap.

    A phase's start is a `date`, so that YAML writes it unquoted: the site's front-matter check reads a quoted
    one as a string and rejects the page."""
    front = {
        "title": content["name"],
        "mission": content["pitch"],
        "sponsors": [],
        "incubator": "",
        "contact": contact,
        "phases": [{"name": "investigation", "start": investigation_start}],
        "usertypes": list(content["usertypes"]),
        "thematiques": [t.strip() for t in content["thematiques"].split(",") if t.strip()],
    }
    sections = []
    for part in PARTS:
        blocks = [f"## {part.label}"]
        for question in part.questions:
            text = content.get(question.key) or ""
            if text:
                answer = "\n".join(f"- <{url}>" for url in safe_links(text)) if question.urls else text
                blocks.append(f"### {question.label}\n\n{answer}")
        if len(blocks) == 1:
            blocks.append("_À compléter._")
        sections.append("\n\n".join(blocks))
    roadmap = ["## Feuille de route à 6 mois"]
    indicators = [f"- {i['name']} : de {i['baseline']} à {i['target']}" for i in content["indicators"] if i["name"]]
    milestones = [f"- {_day(m['due_on'])} : {m['title']}" for m in content["milestones"] if m["title"]]
    if indicators:
        roadmap.append("### Indicateurs d’impact\n\n" + "\n".join(indicators))
    if milestones:
        roadmap.append("### Jalons\n\n" + "\n".join(milestones))
    if len(roadmap) == 1:
        roadmap.append("_À compléter._")
    sections.append("\n\n".join(roadmap))
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + "\n\n".join(sections) + "\n"
