"""The attestation de suivi: an A4 PDF made from templates/courses/attestation.html (beta_training.core.pdf)."""

from beta_training.core.pdf import qr_code_data_uri, render_pdf
from beta_training.courses.models import Enrolment


def attestation_pdf(enrolment: Enrolment, *, verify_url: str) -> bytes:
    """The attestation of a completed enrolment. It prints the name frozen at completion, and a QR code of
    `verify_url`, the public page that confirms it (built on BASE_URL by the caller)."""
    run = enrolment.run
    return render_pdf("courses/attestation.html", enrolment=enrolment, run=run, course=run.course,
                      verify_url=verify_url, qr_code=qr_code_data_uri(verify_url))
