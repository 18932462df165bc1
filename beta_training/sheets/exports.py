"""Exports of a sheet version, in the fiche's own order (header, the five parts, the roadmap): a PDF and
beta.gouv.fr's startup page format (Markdown with YAML front matter, as in content/_startups/*.md)."""

import yaml
from fpdf import FPDF

from beta_training.core.pdf import latin1 as _text
from beta_training.core.templating import format_d
from beta_training.sheets.models import PARTS, safe_links

# Short sheets hold on one A4 page: the type is made smaller, step by step, until they do. A sheet too long
# for one page even then (every part written at length) runs on as many pages as it takes, at a size still
# comfortable to read, each page numbered.
ONE_PAGE_SCALES = (1.0, 0.9, 0.8, 0.72)
LONG_SHEET_SCALE = 0.9


class _SheetPDF(FPDF):
    numbered = False

    def footer(self):
        if self.numbered:
            self.set_y(-10)
            self.set_font("Helvetica", "", 7)
            self.cell(0, 4, f"Page {self.page_no()} / {{nb}}", align="C")


def one_pager_pdf(content: dict, *, owner_name: str, version: int) -> bytes:
    for scale in ONE_PAGE_SCALES:
        pdf = _sheet_pdf(content, owner_name=owner_name, version=version, scale=scale)
        if pdf.pages_count == 1:
            return bytes(pdf.output())
    return bytes(_sheet_pdf(content, owner_name=owner_name, version=version, scale=LONG_SHEET_SCALE, numbered=True).output())


def _answer_text(question, text: str) -> str:
    return "\n".join(safe_links(text)) if question.urls else text


def _sheet_pdf(content: dict, *, owner_name: str, version: int, scale: float, numbered: bool = False) -> FPDF:
    def font(style: str, size: float) -> None:
        pdf.set_font("Helvetica", style, size * scale)

    def paragraph(height: float, text: str) -> None:
        pdf.multi_cell(0, height * scale, _text(text), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(2 * scale)
        font("B", 11)
        pdf.multi_cell(0, 6 * scale, _text(text), new_x="LMARGIN", new_y="NEXT")
        font("", 9)

    pdf = _SheetPDF(format="A4")
    pdf.numbered = numbered
    pdf.set_compression(False)
    pdf.set_title(_text(content["name"] or "Fiche produit"))
    pdf.set_lang("fr")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_margins(15, 12, 15)
    font("B", 18)
    paragraph(9, content["name"] or "Fiche produit")
    font("I", 10)
    paragraph(5, content["pitch"])
    for part in PARTS:
        heading(str(part.label))
        answered = [(question, content.get(question.key) or "") for question in part.questions if content.get(question.key)]
        if not answered:
            paragraph(4.5, "(à compléter)")
        for question, text in answered:
            font("B", 8.5)
            paragraph(4.2, str(question.label))
            font("", 9)
            paragraph(4.5, _answer_text(question, text))
    indicators = [i for i in content["indicators"] if i["name"]]
    milestones = [m for m in content["milestones"] if m["title"]]
    if indicators or milestones:
        heading("Feuille de route à 6 mois")
    if indicators:
        font("B", 8.5)
        paragraph(4.2, "Indicateurs d'impact")
        font("", 9)
        for indicator in indicators:
            paragraph(4.5, f"- {indicator['name']} : {indicator['baseline']} -> {indicator['target']} à 6 mois")
    if milestones:
        font("B", 8.5)
        paragraph(4.2, "Jalons")
        font("", 9)
        for milestone in milestones:
            priority = f" (priorité {milestone['priority']})" if milestone.get("priority") else ""
            paragraph(4.5, f"- {milestone['due_on']} : {milestone['title']}{priority}")
    pdf.ln(2 * scale)
    font("", 8)
    paragraph(4, f"Fiche de {owner_name}, version {version}.")
    return pdf


def _day(iso: str) -> str:
    """A milestone's due date as the page's readers write it (« 15 janvier 2027 »); the front matter keeps ISO."""
    return format_d(iso) or "date à préciser"


def startup_markdown(content: dict, *, contact: str, investigation_start: str) -> str:
    """beta.gouv.fr startup page: front matter fields of content/_startups/*.md; the body has one ## section
    per part (its answered questions as ###), then the roadmap."""
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
