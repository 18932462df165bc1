import io
from datetime import date

import pytest
import sqlalchemy as sa
import yaml
from pypdf import PdfReader
from wtforms.validators import Length

from beta_training.accounts.models import Role
from beta_training.core.models import OutboxMessage
from beta_training.extensions import db
from beta_training.sheets import exports, queries, services
from beta_training.sheets.forms import IndicatorForm, MilestoneForm, SheetForm
from beta_training.sheets.models import (
    INDICATOR_COUNT,
    MAX_URLS,
    MILESTONE_COUNT,
    PARTS,
    QUESTIONS,
    USERTYPES,
    SheetState,
    SheetVersion,
)
from tests.factories import ANSWERED_PARTS, make_user
from tests.sheets.startup_front_matter import front_matter_problems


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


READY = {
    "indicators": [{"name": "Délai", "baseline": "30 j", "target": "5 j"}, {"name": "Usagers", "baseline": "0", "target": "200"},
                   {"name": "", "baseline": "", "target": ""}],
    "milestones": [{"title": "Premiers usagers", "due_on": "2027-01-15", "priority": "1"}] + [{"title": "", "due_on": ""}] * 5,
}


def _content(**values):
    return {**services.empty_content(), "name": "Mon produit", **ANSWERED_PARTS, **READY, **values}


def test_every_save_is_a_version_and_a_stale_save_is_refused(ctx):
    owner = make_user()
    sheet = services.create_sheet(owner)
    services.save_version(sheet, author=owner, content=_content(s4_worst_case="tab A"), base_version=1)
    assert sheet.current_version == 2
    # A second tab still based on version 1: refused, its text kept by the caller, nothing overwritten.
    with pytest.raises(services.StaleVersion) as stale:
        services.save_version(sheet, author=owner, content=_content(s4_worst_case="tab B"), base_version=1)
    assert stale.value.latest.number == 2 and stale.value.latest.content["s4_worst_case"] == "tab A"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SheetVersion)) == 2
    services.save_version(sheet, author=owner, content=_content(s4_worst_case="tab B, reconciled"), base_version=2)
    assert [v.content["s4_worst_case"] for v in db.session.scalars(sa.select(SheetVersion).order_by(SheetVersion.number))] == [
        "", "tab A", "tab B, reconciled"]


def test_content_is_cleaned(ctx):
    content = services.clean_content({"name": "x" * 500, "usertypes": ["particulier", "pirate"], "indicators": [{"name": "a"}] * 9})
    assert len(content["name"]) == 80 and content["usertypes"] == ["particulier"] and len(content["indicators"]) == 3


def test_review_loop_with_claim_changes_and_approval(ctx):
    owner, trainer, other = make_user(), make_user(roles=[Role.TRAINER]), make_user(roles=[Role.TRAINER])
    sheet = services.create_sheet(owner)
    with pytest.raises(services.SheetError):
        services.submit_sheet(sheet, actor=owner)  # empty sheet
    services.save_version(sheet, author=owner, content=_content(), base_version=1)
    assert services.submit_sheet(sheet, actor=owner) is True
    assert services.submit_sheet(sheet, actor=owner) is False
    services.claim_sheet(sheet, reviewer=trainer)
    with pytest.raises(services.SheetError, match="relit déjà"):
        services.claim_sheet(sheet, reviewer=other)
    with pytest.raises(services.SheetError):
        services.review_sheet(sheet, reviewer=other, verdict=SheetState.APPROVED, overall_comment="", section_comments={}, scores={})
    services.review_sheet(sheet, reviewer=trainer, verdict=SheetState.CHANGES_REQUESTED, overall_comment="À chiffrer",
                          section_comments={"s1": "Combien de personnes ?", "unknown": "x"}, scores={"positioning": "3"})
    assert sheet.state == SheetState.CHANGES_REQUESTED and sheet.claimed_by_id is None
    services.save_version(sheet, author=owner, content=_content(s1_problem="Le drame : 3 000 familles par an"), base_version=2)
    services.submit_sheet(sheet, actor=owner)
    reviewed, diffs = queries.changes_since_last_review(sheet)
    assert reviewed == 2 and set(diffs) == {"s1_problem"}
    assert "<ins>" in diffs["s1_problem"] and "3 000" in diffs["s1_problem"]
    services.claim_sheet(sheet, reviewer=trainer)
    services.review_sheet(sheet, reviewer=trainer, verdict=SheetState.APPROVED, overall_comment="Bravo", section_comments={}, scores={})
    assert sheet.state == SheetState.APPROVED and sheet.approved_at is not None
    states = [c.to_state for c in queries.timeline(sheet)]
    assert states == ["submitted", "in_review", "changes_requested", "submitted", "in_review", "approved"]
    reviews = queries.reviews_of(sheet)
    assert reviews[1].section_comments == {"s1": "Combien de personnes ?"} and reviews[1].scores == {"positioning": 3}
    # Each move is told in words, not with the state's badge label mid-sentence.
    news = [(m.subject, m.text_body) for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
            if m.recipient == owner.email and "Fiche produit envoyée" not in m.subject]
    assert [subject for subject, _text in news] == [
        "Votre fiche produit est en relecture", "Votre fiche produit : des modifications sont demandées",
        "Votre fiche produit est en relecture", "Votre fiche produit est validée"]
    title = sheet.title
    assert f"Votre fiche produit « {title} » est en relecture par {trainer.full_name}." in news[0][1]
    assert f"Votre fiche produit « {title} » a été relue : des modifications sont demandées." in news[1][1]
    assert f"Votre fiche produit « {title} » a été relue et validée." in news[3][1]


def test_submission_needs_two_measurable_indicators_and_a_dated_milestone(ctx):
    owner = make_user()
    sheet = services.create_sheet(owner)
    one_indicator = [{"name": "Délai", "baseline": "30", "target": "5"}, {"name": "Usagers", "baseline": "", "target": "200"}]
    services.save_version(sheet, author=owner, content=_content(indicators=one_indicator), base_version=1)
    with pytest.raises(services.SheetError, match="deux indicateurs"):
        services.submit_sheet(sheet, actor=owner)
    services.save_version(sheet, author=owner, content=_content(milestones=[{"title": "Sans date", "due_on": ""}]), base_version=2)
    with pytest.raises(services.SheetError, match="jalon daté"):
        services.submit_sheet(sheet, actor=owner)
    services.save_version(sheet, author=owner, content=_content(), base_version=3)
    assert services.submit_sheet(sheet, actor=owner) is True
    assert services.clean_content({"milestones": [{"title": "x", "priority": "7"}]})["milestones"][0]["priority"] == ""


def test_every_reason_not_to_send_is_given_at_once(ctx):
    owner = make_user()
    sheet = services.create_sheet(owner)  # empty: no name, no part, no indicator, no milestone
    with pytest.raises(services.SheetError) as refused:
        services.submit_sheet(sheet, actor=owner)
    message = str(refused.value)
    for reason in ("Donnez un nom", "Répondez à toutes les questions de ces parties", "deux indicateurs", "jalon daté"):
        assert reason in message
    assert sheet.state == SheetState.DRAFT


def test_withdraw_back_to_draft(ctx):
    owner, trainer = make_user(), make_user(roles=[Role.TRAINER])
    sheet = services.create_sheet(owner)
    services.save_version(sheet, author=owner, content=_content(), base_version=1)
    services.submit_sheet(sheet, actor=owner)
    services.claim_sheet(sheet, reviewer=trainer)
    services.withdraw_sheet(sheet, actor=owner)
    assert sheet.state == SheetState.DRAFT and sheet.claimed_by_id is None


PART_HEADINGS = ["Séquence 1 : Résoudre les problèmes des usagers", "Séquence 2 : Trouver ses premiers utilisateurs",
                 "Séquence 3 : Mesurer son impact dans le réel", "Séquence 4 : Survivre en milieu hostile",
                 "Séquence 5 : Faire de l’industriel en mode artisanal"]


def test_markdown_export_has_the_header_then_one_section_per_part_then_the_roadmap(ctx):
    content = _content(
        name="La Bonne Boîte", pitch="Permettre aux demandeurs d'emploi de trouver les entreprises qui recrutent",
        usertypes=["particulier", "entreprise"], thematiques="emploi, recrutement",
        s2_open_lab="", s5_urls="https://labonneboite.example.org/\nhttp://essai.example.org/formulaire",
        **{key: "" for key in ("s4_worst_case", "s4_small_actions")},
        indicators=[{"name": "Embauches", "baseline": "0", "target": "500"}, {"name": "", "baseline": "", "target": ""},
                    {"name": "", "baseline": "", "target": ""}],
        milestones=[{"title": "Premiers usagers", "due_on": "2027-01-15"}] + [{"title": "", "due_on": ""}] * 5,
    )
    text = exports.startup_markdown(services.clean_content(content), contact="lea@example.gouv.fr", investigation_start=date(2026, 11, 22))
    assert text.startswith("---\n")
    front_text, _, body = text[4:].partition("\n---\n")
    front = yaml.safe_load(front_text)
    assert front == {
        "title": "La Bonne Boîte",
        "mission": "Permettre aux demandeurs d'emploi de trouver les entreprises qui recrutent",
        "sponsors": [],
        "incubator": "",
        "contact": "lea@example.gouv.fr",
        "phases": [{"name": "investigation", "start": date(2026, 11, 22)}],
        "usertypes": ["particulier", "entreprise"],
        "thematiques": ["emploi", "recrutement"],
    }
    assert "start: 2026-11-22\n" in front_text  # a YAML date, unquoted
    assert front_matter_problems(front) == []
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == [f"## {heading}" for heading in PART_HEADINGS] + ["## Feuille de route à 6 mois"]
    second = body.split("## Séquence 2")[1].split("## Séquence 3")[0]
    # Each answered question under its own heading, in the table's order; an empty one is left out.
    assert [line for line in second.splitlines() if line.startswith("### ")] == [
        "### Qui sont vos premiers utilisateurs ?", "### Comment les atteindre : par quel canal, avec quel message ?"]
    assert ANSWERED_PARTS["s2_reach"] in second
    fourth = body.split("## Séquence 4")[1].split("## Séquence 5")[0]
    assert fourth.strip().endswith("_À compléter._")
    assert "- <https://labonneboite.example.org/>\n- <http://essai.example.org/formulaire>" in body
    assert "- Embauches : de 0 à 500" in body and "- 15 janvier 2027 : Premiers usagers" in body


FULL_SHEET = {
    "name": "Trouve ta formation",
    "pitch": "Permettre aux demandeurs d’emploi de trouver une formation financée près de chez eux, en trois clics.",
    "s1_problem": "Chaque année, 40 000 personnes renoncent à une formation faute d’information fiable et à jour.",
    "s1_solution": "Trouve ta formation croise l’offre, les financements et la distance, et cesse d’exiger un rendez-vous.",
    "s1_deployment": "Rencontrer dix conseillers\nOuvrir une première version à Lyon", "s1_partners": "L’agence de Lyon Part-Dieu.",
    "s1_scale_up": "Le département, la région, puis le pays.", "s2_first_users": "Les demandeurs d’emploi de l’agence.",
    "s2_reach": "Par les conseillers, en entretien.", "s2_open_lab": "Une formation trouvée en une heure.",
    "s3_impact": "Avant 90 jours pour entrer en formation, après 30.", "s3_first_checks": "Appeler dix usagers",
    "s3_measures": "Délai d’entrée en formation", "s4_worst_case": "Les données d’offre ne sont plus ouvertes.",
    "s4_small_actions": "Un accord écrit avec le Carif-Oref.", "s5_tool": "Un site sans code et un tableur.",
    "s5_urls": "https://trouve-ta-formation.example.org/",
    "indicators": [{"name": "Délai d’entrée en formation", "baseline": "90 jours", "target": "30 jours"},
                   {"name": "Usagers par mois", "baseline": "0", "target": "2000"},
                   {"name": "Formations renseignées", "baseline": "120", "target": "900"}],
    "milestones": [{"title": f"Jalon numéro {n}", "due_on": f"2027-0{n}-15", "priority": str(1 + n % 3)} for n in range(1, 7)],
}


def _pdf_pages(pdf: bytes) -> list[str]:
    """The text a reader gets from each page, with line breaks and runs of spaces made single spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_pdf_of_a_short_sheet_holds_on_one_page_in_the_order_of_the_fiche(ctx):
    content = {**services.empty_content(), **FULL_SHEET}
    [page] = _pdf_pages(exports.one_pager_pdf(content, owner_name="Léa Dupont", version=3))
    assert page.startswith("FICHE PRODUIT · Fiche de Léa Dupont, version 3.")
    positions = [page.index(_flat(content["name"])), page.index(_flat(content["pitch"]))]
    for heading, part in zip(PART_HEADINGS, PARTS):
        positions.append(page.index(_flat(heading)))
        for question in part.questions:
            positions += [page.index(_flat(str(question.label))), page.index(_flat(content[question.key]))]
    positions.append(page.index("Feuille de route à 6 mois"))
    assert positions == sorted(positions)  # header, then the parts in course order, each question then its answer
    assert "• Délai d’entrée en formation : 90 jours → 30 jours à 6 mois" in page
    assert "• Usagers par mois : 0 → 2000 à 6 mois" in page and "• Formations renseignées : 120 → 900 à 6 mois" in page
    assert "• 15 janvier 2027 : Jalon numéro 1 (priorité 2)" in page and "• 15 juin 2027 : Jalon numéro 6 (priorité 1)" in page
    assert "Page 1" not in page


def test_pdf_text_keeps_every_letter_and_the_euro_sign(ctx):
    """Vietnamese and Polish names and « € » come back from the PDF as they were typed (the DSFR's fonts have them)."""
    content = {**services.empty_content(), **FULL_SHEET, "name": "Żółć et Hương",
               "s1_problem": "Łukasz Żółć a chiffré le coût : 3 M€ par an, pour 40 000 familles."}
    pdf = exports.one_pager_pdf(content, owner_name="Nguyễn Thị Hương", version=2)
    [page] = _pdf_pages(pdf)
    assert "Fiche de Nguyễn Thị Hương, version 2." in page and "Żółć et Hương" in page
    assert "Łukasz Żółć a chiffré le coût : 3 M€ par an, pour 40 000 familles." in page


def test_pdf_of_a_sheet_is_tagged_in_french_with_its_title_and_author(ctx):
    pdf = exports.one_pager_pdf({**services.empty_content(), **FULL_SHEET}, owner_name="Nguyễn Thị Hương", version=3)
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog and bool(catalog["/MarkInfo"]["/Marked"]) and catalog["/Lang"] == "fr"
    assert reader.metadata.title == "Fiche produit – Trouve ta formation" and reader.metadata.author == "Nguyễn Thị Hương"


def _form_limit(form_class, name: str) -> int:
    """The longest text a form accepts in a field (its Length validator)."""
    return next(v.max for v in getattr(form_class, name).kwargs["validators"] if isinstance(v, Length))


def _words(length: int) -> str:
    """Numbered words (« mot0 mot1 … ») cut to `length` characters: each one can be found back."""
    text = " ".join(f"mot{n}" for n in range(length))[:length]
    return text[:-1] + "x" if text.endswith(" ") else text


def _sheet_at_every_limit() -> dict:
    urls_limit = _form_limit(SheetForm, "s5_urls")
    room = urls_limit - (MAX_URLS - 1)  # the most addresses allowed, one per line
    lengths = [room // MAX_URLS + (n < room % MAX_URLS) for n in range(MAX_URLS)]
    urls = "\n".join((f"https://outil-{n}.example.org/" + "chemin-" * 80)[:length] for n, length in enumerate(lengths))
    values = {
        **{key: _words(_form_limit(SheetForm, key)) for key in QUESTIONS if not QUESTIONS[key].urls},
        "s5_urls": urls,
        "indicators": [{name: _words(_form_limit(IndicatorForm, name)) for name in ("name", "baseline", "target")}] * INDICATOR_COUNT,
        "milestones": [{"title": _words(_form_limit(MilestoneForm, "title")), "due_on": "2027-01-15", "priority": "3"}] * MILESTONE_COUNT,
        "usertypes": list(USERTYPES), "thematiques": _words(_form_limit(SheetForm, "thematiques")),
    }
    content = services.clean_content(values)
    assert content == values  # nothing cut, nothing refused: every field is at its limit
    assert all(len(content[key]) == _form_limit(SheetForm, key) for key in QUESTIONS)
    return content


def _type_sizes(pdf: bytes) -> set[float]:
    """The size (pt) of every piece of text drawn in the PDF, as printed (font size times the text and page scales)."""
    sizes = set()

    def visit(text, cm, tm, _font, size):
        if text.strip():
            sizes.add(round(size * (tm[0] ** 2 + tm[1] ** 2) ** .5 * (cm[0] ** 2 + cm[1] ** 2) ** .5, 2))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def test_pdf_of_a_sheet_at_every_limit_is_laid_out_on_numbered_pages_in_readable_type_and_loses_nothing(ctx):
    content = _sheet_at_every_limit()
    pdf = exports.one_pager_pdf(content, owner_name="Léa", version=9)
    pages = _pdf_pages(pdf)
    count = len(pages)
    assert 2 <= count <= 4  # about 20,000 characters: more than two pages hold at the type floor
    assert min(_type_sizes(pdf)) >= 8  # page furniture at 8 pt; the fiche's own text at 8.5 pt at least
    assert min(size for size in _type_sizes(pdf) if size != 8) >= exports.TYPE_SIZES[-1] == 8.5
    running = f"Fiche produit — {_flat(content['name'])} (suite)"
    footers = [("" if n == 1 else running + " ") + f"Page {n} / {count}" for n in range(1, count + 1)]
    assert [page.endswith(footer) for page, footer in zip(pages, footers)] == [True] * count
    assert pages[-1].startswith("Feuille de route à 6 mois")  # the roadmap: the last page, its own
    text = " ".join(page[:-len(footer)] for page, footer in zip(pages, footers))
    unbroken = "".join(text.split())  # a long address wraps where it must: compare without the breaks
    for key in QUESTIONS:
        for line in content[key].splitlines() if QUESTIONS[key].urls else [content[key]]:  # addresses: a list
            assert "".join(line.split()) in unbroken, key
    for row in content["indicators"] + content["milestones"]:
        assert all("".join(value.split()) in unbroken for key, value in row.items() if key in ("name", "baseline", "target", "title"))
    assert "Particulier, État, Collectivité territoriale" in text and text.index("Séquence 5") < text.index("Jalons")


def test_no_heading_of_the_long_pdf_is_left_at_the_foot_of_a_page(ctx):
    """Each part's heading and each question's are followed, on their page, by what they introduce."""
    content = _sheet_at_every_limit()
    pages = _pdf_pages(exports.one_pager_pdf(content, owner_name="Léa", version=9))
    headings = [(_flat(str(part.label)), _flat(str(part.questions[0].label))) for part in PARTS]
    headings += [(_flat(str(q.label)), "• https://" if q.urls else _flat(content[q.key])[:40])
                 for part in PARTS for q in part.questions]
    headings += [("Feuille de route à 6 mois", "Indicateurs d’impact"), ("Jalons", "• 15 janvier 2027")]
    for heading, first_words in headings:
        [page] = [page for page in pages if heading in page]
        assert page[page.index(heading) + len(heading):].lstrip().startswith(first_words), heading


def test_pdf_of_an_empty_sheet_says_what_is_left_to_write(ctx):
    [page] = _pdf_pages(exports.one_pager_pdf(services.empty_content(), owner_name="Léa", version=1))
    assert page.startswith("FICHE PRODUIT · Fiche de Léa, version 1. Fiche sans titre")
    assert "Indicateurs" not in page and "Jalons" not in page and "•" not in page  # no empty lists
    assert page.count("(à compléter)") == 6  # the five parts and the roadmap


def _approved_sheet(owner, trainer, milestones=None, indicators=None):
    sheet = services.create_sheet(owner)
    content = _content(
        milestones=milestones or [{"title": "Premiers usagers", "due_on": "2027-01-15"}, {"title": "Lancement", "due_on": "2027-04-01"}],
        indicators=indicators or READY["indicators"],
    )
    services.save_version(sheet, author=owner, content=content, base_version=1)
    services.submit_sheet(sheet, actor=owner)
    services.claim_sheet(sheet, reviewer=trainer)
    services.review_sheet(sheet, reviewer=trainer, verdict=SheetState.APPROVED, overall_comment="", section_comments={}, scores={})
    return sheet


def test_approval_opens_the_roadmap_follow_up(ctx):
    from datetime import date, timedelta

    owner, trainer = make_user(), make_user(roles=[Role.TRAINER])
    sheet = _approved_sheet(owner, trainer)
    first, second = queries.milestones_of(sheet)
    assert (first.title, first.due_on, first.status) == ("Premiers usagers", date(2027, 1, 15), "todo")
    past = date.today() - timedelta(days=20)  # launches and measures are never in the future
    services.update_roadmap(sheet, actor=owner, statuses={first.id: "done", second.id: "abandoned"}, launched_on=past)
    services.record_measure(sheet, actor=owner, indicator="Délai", value="12 j", measured_on=past)
    with pytest.raises(services.SheetError):
        services.record_measure(sheet, actor=owner, indicator="Inventé", value="1", measured_on=past)
    stats = queries.impact()
    assert stats == {"approved": 1, "milestones": 2, "milestones_done": 1, "milestones_on_time": 1,
                     "sheets_with_measures": 1, "measures": 1, "launched": 1}


def test_roadmap_reminders_at_one_three_and_six_months_never_twice(ctx):
    from datetime import timedelta

    owner, trainer = make_user(), make_user(roles=[Role.TRAINER])
    sheet = _approved_sheet(owner, trainer)
    approved = sheet.approved_at
    assert services.send_roadmap_reminders(now=approved + timedelta(days=20)) == 0
    assert services.send_roadmap_reminders(now=approved + timedelta(days=32)) == 1
    assert services.send_roadmap_reminders(now=approved + timedelta(days=33)) == 0
    assert services.send_roadmap_reminders(now=approved + timedelta(days=95)) == 1
    assert services.send_roadmap_reminders(now=approved + timedelta(days=200)) == 1
    assert services.send_roadmap_reminders(now=approved + timedelta(days=400)) == 0
    subjects = [m.subject for m in db.session.scalars(sa.select(OutboxMessage)) if m.subject.startswith("Votre feuille de route")]
    assert subjects == ["Votre feuille de route, 1 mois après", "Votre feuille de route, 3 mois après", "Votre feuille de route, 6 mois après"]


def test_trainers_are_reminded_of_sheets_waiting_over_48_hours_once(ctx):
    from datetime import timedelta

    owner = make_user()
    make_user(roles=[Role.TRAINER], email="formatrice@example.gouv.fr")
    sheet = services.create_sheet(owner)
    services.save_version(sheet, author=owner, content=_content(), base_version=1)
    services.submit_sheet(sheet, actor=owner)
    assert services.remind_waiting_sheets(now=sheet.submitted_at + timedelta(hours=47)) == 0
    assert services.remind_waiting_sheets(now=sheet.submitted_at + timedelta(hours=49)) == 1
    assert services.remind_waiting_sheets(now=sheet.submitted_at + timedelta(hours=72)) == 0
    reminders = [m for m in db.session.scalars(sa.select(OutboxMessage)) if "48 h" in m.subject]
    assert [m.recipient for m in reminders] == ["formatrice@example.gouv.fr"]


def test_a_second_opinion_waiting_over_48_hours_is_reminded_once_but_not_to_who_asked_for_it(ctx):
    from datetime import timedelta

    owner = make_user()
    first = make_user(roles=[Role.TRAINER], email="premiere@example.gouv.fr")
    make_user(roles=[Role.TRAINER], email="seconde@example.gouv.fr")
    sheet = services.create_sheet(owner)
    services.save_version(sheet, author=owner, content=_content(), base_version=1)
    services.submit_sheet(sheet, actor=owner)
    # Reminded once while waiting for its first review; that reminder does not cover the later second-opinion wait.
    assert services.remind_waiting_sheets(now=sheet.submitted_at + timedelta(hours=49)) == 1
    asked = sheet.submitted_at + timedelta(hours=50)
    services.claim_sheet(sheet, reviewer=first, now=asked)
    services.review_sheet(sheet, reviewer=first, verdict=SheetState.SECOND_REVIEW, overall_comment="Hésitante",
                          section_comments={}, scores={}, second_opinion_reason="Le budget m’interroge", now=asked)
    assert sheet.state == SheetState.SECOND_REVIEW
    assert services.remind_waiting_sheets(now=asked + timedelta(hours=47)) == 0
    assert services.remind_waiting_sheets(now=asked + timedelta(hours=49)) == 1
    assert services.remind_waiting_sheets(now=asked + timedelta(hours=72)) == 0
    reminders = [m for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)) if "48 h" in m.subject]
    second = reminders[2:]  # the first two: the first-review wait, to both trainers
    assert [m.recipient for m in reminders[:2]] == ["premiere@example.gouv.fr", "seconde@example.gouv.fr"]
    assert [m.recipient for m in second] == ["seconde@example.gouv.fr"]
    assert "attendent un second avis depuis plus de 48 heures" in second[0].text_body
    assert f"{sheet.title} ({owner.full_name}), second avis demandé par {first.full_name}" in second[0].text_body
    assert "attendent une relecture depuis plus de 48 heures" not in second[0].text_body
