"""The attestation de suivi, an A4 PDF (fpdf2, core fonts)."""

from fpdf import FPDF

# Core PDF fonts are Latin-1: typographic characters outside it are replaced by their closest match.
_LATIN1 = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "œ": "oe",
                         "Œ": "OE", "\u202f": " ", "\u00a0": " "})


def _text(value: str) -> str:
    return value.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def attestation_pdf(*, learner: str, course: str, partners: str, run: str, completed_on: str, code: str,
                    verify_url: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_compression(False)  # one small page; uncompressed, its text can be checked (and searched)
    pdf.set_title(_text(f"Attestation de suivi - {course}"))
    pdf.set_author("beta.gouv.fr")
    pdf.set_lang("fr")
    pdf.add_page()
    pdf.set_margins(25, 25, 25)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, _text("République Française"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, _text(partners), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(30)
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 14, _text("Attestation de suivi"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font("Helvetica", "", 13)
    body = (
        f"Nous attestons que {learner} a suivi l'intégralité du cours en ligne « {course} » "
        f"({run}), terminé le {completed_on}."
    )
    pdf.multi_cell(0, 8, _text(body), align="C")
    pdf.ln(40)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, _text(f"Code de vérification : {code}\nVérifiable sur : {verify_url}"), align="C")
    return bytes(pdf.output())
