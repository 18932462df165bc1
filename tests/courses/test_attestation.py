"""The attestation de suivi (issue #14, PDFs): an A4 PDF made from HTML (WeasyPrint, the DSFR's fonts), with the
learner's name frozen at completion, in any alphabet; its QR code opens the public verification page on BASE_URL;
it is tagged (PDF/UA) and carries its title, author and language."""

import io
from datetime import datetime, timezone
import re

import pytest
import sqlalchemy as sa
import zxingcpp
from bs4 import BeautifulSoup
from pypdf import PdfReader

from beta_training.accounts import services as account_services
from beta_training.accounts.models import Role
from beta_training.core import db as core_db
from beta_training.core.mail import drain_deliveries
from beta_training.courses import queries, services
from beta_training.courses.models import CourseRun
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_enrolment, make_mooc, make_user

BASE_URL = "https://formation.example.gouv.fr"
pytestmark = pytest.mark.parametrize("config_overrides", [{"BASE_URL": BASE_URL}])


def _completed(app, first_name="Léa", last_name="Apprenante", **course_values):
    """A learner who finished a one-item course through the service that completes courses."""
    with app.test_request_context():
        return _complete_a_course(first_name, last_name, course_values)


def _complete_a_course(first_name, last_name, course_values):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    for name, value in course_values.items():
        setattr(course, name, value)
    learner = make_user(first_name=first_name, last_name=last_name)
    enrolment = make_enrolment(run, learner)
    [item] = queries.ordered_items(queries.get_course_outline(course.slug))
    services.record_progress(enrolment, item, source="opened")
    core_db.commit()
    assert drain_deliveries(timeout=60)  # the « cours terminé » email has gone: the database is ours again
    return course, run, learner, enrolment


def _attestation(client, learner, course, run) -> bytes:
    login(client, learner)
    response = client.get(f"/mooc/{course.slug}/{run.slug}/attestation.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return response.data


def _text(pdf: bytes) -> str:
    """What a reader copies from the PDF, line breaks and runs of spaces made single spaces."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("first_name,last_name,renamed", [
    ("Nguyễn Thị", "Hương", ("Trần Thị", "Hương")),
    ("Łukasz", "Żółć", ("Łukasz", "Kowalski")),
], ids=["vietnamese", "polish"])
def test_the_attestation_prints_the_name_of_its_completion_whatever_the_alphabet_and_later_renames(
        app, client, first_name, last_name, renamed):
    course, run, learner, enrolment = _completed(app, first_name, last_name)
    frozen = f"{first_name} {last_name}"
    assert enrolment.attestation_name == frozen
    account_services.update_profile(learner, first_name=renamed[0], last_name=renamed[1])  # she renames herself
    core_db.commit()

    text = _text(_attestation(client, learner, course, run))
    assert frozen in text and " ".join(renamed) not in text
    assert f"« {course.title} »" in text and run.name in text and enrolment.attestation_code in text
    client.post("/compte/deconnexion")
    page = client.get(f"/mooc/attestations/{enrolment.attestation_code}")
    assert page.status_code == 200
    shown = BeautifulSoup(page.text, "html.parser").get_text(" ", strip=True)
    assert "Attestation authentique" in shown and frozen in shown and " ".join(renamed) not in shown


def test_the_qr_code_opens_the_verification_page_built_on_base_url(app, client):
    course, run, learner, enrolment = _completed(app)
    pdf = _attestation(client, learner, course, run)
    [page] = PdfReader(io.BytesIO(pdf)).pages
    [image] = page.images
    [barcode] = zxingcpp.read_barcodes(image.image)
    url = f"{BASE_URL}/mooc/attestations/{enrolment.attestation_code}"
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode and barcode.text == url
    assert url in _text(pdf)  # printed beside it, for whoever cannot scan
    client.post("/compte/deconnexion")
    assert "Attestation authentique" in client.get(url.removeprefix(BASE_URL)).text  # public


def test_the_attestation_says_session_dates_duration_and_who_signs(app, client):
    course, run, learner, enrolment = _completed(app, video_minutes=90, partners="beta.gouv.fr avec le CNFPT")
    run.signatory_name, run.signatory_role = "Rachel Dupont", "Responsable de la formation"
    db.session.commit()
    text = _text(_attestation(client, learner, course, run))
    assert "RÉPUBLIQUE FRANÇAISE" in text  # the DSFR's bloc-marque, as text
    assert "Attestation de suivi" in text and "Nous attestons que Léa Apprenante" in text
    assert re.search(rf"{run.name}, du \d+(er)? \w+ \d{{4}} au \d+(er)? \w+ \d{{4}}", text)
    assert "environ 1 h 30 de vidéos" in text and "beta.gouv.fr avec le CNFPT" in text
    assert "Rachel Dupont Responsable de la formation" in text and "L’équipe pédagogique" not in text

    run.signatory_name = run.signatory_role = ""
    db.session.commit()
    assert "L’équipe pédagogique" in _text(_attestation(client, learner, course, run))


def test_the_attestation_is_a_tagged_pdf_in_french_with_its_title_and_the_dsfr_fonts(app, client):
    course, run, learner, enrolment = _completed(app, "Nguyễn Thị", "Hương", partners="beta.gouv.fr")
    reader = PdfReader(io.BytesIO(_attestation(client, learner, course, run)))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and bool(catalog["/MarkInfo"]["/Marked"])
    assert catalog["/Lang"] == "fr"
    assert reader.metadata.title == f"Attestation de suivi – {course.title} – Nguyễn Thị Hương"
    assert reader.metadata.author == "beta.gouv.fr"
    fonts = {font.get_object()["/BaseFont"].split("+")[-1] for font in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts and all(font.startswith(("Marianne", "Spectral")) for font in fonts), fonts


def test_a_run_says_who_signs_its_attestations(app, client):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    login(client, make_user(roles=[Role.COURSE_LEAD]))
    form = client.get(f"/mooc/gestion/{course.id}/sessions/{run.id}").text
    assert 'name="signatory_name"' in form and 'name="signatory_role"' in form
    dates = {"registration_opens_at": "2027-01-01T09:00", "registration_closes_at": "2027-01-31T18:00",
             "access_starts_at": "2027-01-15T09:00", "access_ends_at": "2027-03-01T18:00"}
    response = client.post(f"/mooc/gestion/{course.id}/sessions/{run.id}", data={
        "name": run.name, "slug": run.slug, **dates, "signatory_name": " Rachel Dupont ",
        "signatory_role": "Responsable de la formation"})
    assert response.status_code == 302
    saved = db.session.scalar(sa.select(CourseRun).where(CourseRun.id == run.id))
    assert (saved.signatory_name, saved.signatory_role) == ("Rachel Dupont", "Responsable de la formation")
    too_long = client.post(f"/mooc/gestion/{course.id}/sessions/{run.id}", data={
        "name": run.name, "slug": run.slug, **dates, "signatory_name": "x" * 121})
    error = re.search(r'id="signatory_name-message-error-1">([^<]*)<', too_long.text)
    assert too_long.status_code == 422 and error and "120 caractères" in error.group(1)


def test_dates_never_break_across_lines(app, client):
    """« du 6 décembre 2026 au 6 mars 2027 » (two years: both dates in full) wraps where the session's name leaves
    it: between the dates, never inside one (« 6 décembre / 2026 »). The names push each date to a line's end."""
    course, run, learner, enrolment = _completed(app)
    run.access_starts_at = datetime(2026, 12, 6, 9, tzinfo=timezone.utc)
    run.access_ends_at = datetime(2027, 3, 6, 9, tzinfo=timezone.utc)
    for padding in (21, 27, 33):  # without the rule, one of the dates breaks inside
        run.name = "Session " + "a" * padding
        db.session.commit()
        lines = PdfReader(io.BytesIO(_attestation(client, learner, course, run))).pages[0].extract_text().splitlines()
        first = next(i for i, line in enumerate(lines) if run.name in line)
        last = next(i for i, line in enumerate(lines) if i >= first and "mars 2027" in line)
        session = [line.strip() for line in lines[first:last + 1]]  # the session's line(s), as printed
        assert "6 décembre 2026" in " ".join(session) and "6 mars 2027" in " ".join(session), (padding, session)
        for before, after in zip(session, session[1:]):  # each break falls outside a date
            assert not re.search(r"\b6$|décembre$|mars$", before) and not re.match(r"décembre|mars|2026|2027", after), (
                padding, session)
