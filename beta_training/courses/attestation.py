"""The attestation de suivi, an A4 PDF (fpdf2, core fonts)."""

from fpdf import FPDF

from beta_training.core.pdf import latin1

def attestation_pdf(*, learner: str, course: str, partners: str, run: str, completed_on: str, code: str,
                    verify_url: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_compression(False)  # one small page; uncompressed, its text can be checked (and searched)
    pdf.set_title(latin1(f"Attestation de suivi - {course}"))
    pdf.set_author("beta.gouv.fr")
    pdf.set_lang("fr")
    pdf.add_page()
    pdf.set_margins(25, 25, 25)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 8, latin1("République Française"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, latin1(partners), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(30)
    pdf.set_font("Helvetica", "B", 24)
    pdf.cell(0, 14, latin1("Attestation de suivi"), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(12)
    pdf.set_font("Helvetica", "", 13)
    body = (
        f"Nous attestons que {learner} a suivi l'intégralité du cours en ligne « {course} » "
        f"({run}), terminé le {completed_on}."
    )
    pdf.multi_cell(0, 8, latin1(body), align="C")
    pdf.ln(40)
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, latin1(f"Code de vérification : {code}\nVérifiable sur : {verify_url}"), align="C")
    return bytes(pdf.output())
