"""Exports of a sheet version: an A4 one-pager (PDF) and beta.gouv.fr's startup page format
(Markdown with YAML front matter, as in content/_startups/*.md)."""

import yaml
from fpdf import FPDF

from beta_training.core.pdf import latin1 as _text
from beta_training.sheets.models import SECTIONS


# A sheet filled to every limit (about 7,000 characters) does not fit on A4 at the reading size:
# the type is made smaller, step by step, until the sheet holds on one page.
TYPE_SCALES = (1.0, 0.9, 0.8, 0.72, 0.65)


def one_pager_pdf(content: dict, *, owner_name: str, version: int) -> bytes:
    for scale in TYPE_SCALES:
        pdf = _one_pager(content, owner_name=owner_name, version=version, scale=scale)
        if pdf.pages_count == 1:
            break
    return bytes(pdf.output())


def _one_pager(content: dict, *, owner_name: str, version: int, scale: float) -> FPDF:
    def font(style: str, size: float) -> None:
        pdf.set_font("Helvetica", style, size * scale)

    def paragraph(height: float, text: str) -> None:
        pdf.multi_cell(0, height * scale, _text(text), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(2 * scale)
        font("B", 11)
        pdf.cell(0, 6 * scale, _text(text), new_x="LMARGIN", new_y="NEXT")
        font("", 9)

    pdf = FPDF(format="A4")
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
    for key in ("context", "problem", "solution", "strategy"):
        heading(str(SECTIONS[key][0]))
        paragraph(4.5, content[key])
    indicators = [i for i in content["indicators"] if i["name"]]
    if indicators:
        heading("Indicateurs d'impact")
        for indicator in indicators:
            paragraph(4.5, f"- {indicator['name']} : {indicator['baseline']} -> {indicator['target']} à 6 mois")
    milestones = [m for m in content["milestones"] if m["title"]]
    if milestones:
        heading("Feuille de route à 6 mois")
        for milestone in milestones:
            priority = f" (priorité {milestone['priority']})" if milestone.get("priority") else ""
            paragraph(4.5, f"- {milestone['due_on']} : {milestone['title']}{priority}")
    pdf.ln(2 * scale)
    font("", 8)
    paragraph(4, f"{content['team']}\nFiche de {owner_name}, version {version}.")
    return pdf


def startup_markdown(content: dict, *, contact: str, investigation_start: str) -> str:
    """beta.gouv.fr startup page: front matter fields of content/_startups/*.md, body in ## sections."""
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
    objectives = "\n".join(
        f"- {i['name']} : de {i['baseline']} à {i['target']}" for i in content["indicators"] if i["name"]
    ) + ("\n" if any(m["title"] for m in content["milestones"]) else "") + "\n".join(
        f"- {m['due_on']} : {m['title']}" for m in content["milestones"] if m["title"]
    )
    body = "\n\n".join([
        f"## Contexte\n\n{content['context']}",
        f"## Problème\n\n{content['problem']}",
        f"## Solution\n\n{content['solution']}",
        f"## Stratégie\n\n{content['strategy']}",
        f"## Objectifs à 6 mois\n\n{objectives.strip()}",
    ])
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + body + "\n"
