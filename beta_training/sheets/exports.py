"""Exports of a sheet version: an A4 one-pager (PDF) and beta.gouv.fr's startup page format
(Markdown with YAML front matter, as in content/_startups/*.md)."""

import yaml
from fpdf import FPDF

from beta_training.core.pdf import latin1 as _text
from beta_training.sheets.models import SECTIONS


def one_pager_pdf(content: dict, *, owner_name: str, version: int) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_compression(False)
    pdf.set_title(_text(content["name"] or "Fiche produit"))
    pdf.set_lang("fr")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_margins(15, 12, 15)
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 9, _text(content["name"] or "Fiche produit"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "I", 10)
    pdf.multi_cell(0, 5, _text(content["pitch"]), new_x="LMARGIN", new_y="NEXT")
    for key in ("context", "problem", "solution", "strategy"):
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, _text(str(SECTIONS[key][0])), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 4.5, _text(content[key]), new_x="LMARGIN", new_y="NEXT")
    indicators = [i for i in content["indicators"] if i["name"]]
    if indicators:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, _text("Indicateurs d'impact"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for indicator in indicators:
            pdf.multi_cell(0, 4.5, _text(f"- {indicator['name']} : {indicator['baseline']} -> {indicator['target']} à 6 mois"),
                           new_x="LMARGIN", new_y="NEXT")
    milestones = [m for m in content["milestones"] if m["title"]]
    if milestones:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, _text("Feuille de route à 6 mois"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for milestone in milestones:
            priority = f" (priorité {milestone['priority']})" if milestone.get("priority") else ""
            pdf.multi_cell(0, 4.5, _text(f"- {milestone['due_on']} : {milestone['title']}{priority}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(0, 4, _text(f"{content['team']}\nFiche de {owner_name}, version {version}."), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


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
