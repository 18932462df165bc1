from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.core.models import OutboxMessage, utcnow
from beta_training.courses import queries, services
from beta_training.courses.content import import_course
from beta_training.courses.models import CourseItem, ItemCompletion
from beta_training.demo import MOOC_FOLDER
from beta_training.extensions import db
from tests.factories import ANSWERED_PARTS, make_course_invitation, make_course_run, make_enrolment, make_mooc, make_user
from tests.records import timeline_of


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


def _subjects():
    return [m.subject for m in db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))]


@pytest.mark.parametrize("opens,closes,ok", [
    (timedelta(0), timedelta(days=1), True),               # the opening instant is inside
    (timedelta(seconds=1), timedelta(days=1), False),      # one second before opening
    (-timedelta(days=1), timedelta(seconds=1), True),      # one second before closing
    (-timedelta(days=1), timedelta(0), False),             # the closing instant is outside
])
def test_registration_window_edges(ctx, opens, closes, ok):
    now = utcnow()
    run = make_course_run(registration_opens_at=now + opens, registration_closes_at=now + closes)
    user = make_user()
    if ok:
        assert services.enrol(run, user, now=now).is_active
    else:
        with pytest.raises(services.CourseError, match="inscriptions"):
            services.enrol(run, user, now=now)


def test_enrol_is_idempotent_and_unenrol_keeps_progress(ctx):
    course, run = make_mooc()
    user = make_user()
    first = services.enrol(run, user)
    assert services.enrol(run, user).id == first.id
    item = queries.ordered_items(queries.get_course_outline(course.slug))[0]
    services.record_progress(first, item, source="button")
    services.unenrol(first, actor=user)
    again = services.enrol(run, user)
    assert again.id == first.id and item.id in queries.completed_item_ids(again)
    assert _subjects().count(f"Inscription confirmée : {course.title}") == 1


def test_every_move_of_an_enrolment_is_recorded_with_who_made_it(ctx):
    _course, run = make_mooc()
    learner, trainer = make_user(), make_user(roles=[Role.TRAINER])
    t1 = utcnow().replace(microsecond=0)
    t2, t3 = t1 + timedelta(days=1), t1 + timedelta(days=2)
    enrolment = services.enrol(run, learner, now=t1)
    services.unenrol(enrolment, actor=trainer, now=t2)
    services.unenrol(enrolment, actor=learner, now=t3)  # a second click: already done, nothing recorded
    assert enrolment.state == "unenrolled"
    services.invite_or_enrol(run, actor=trainer, emails_text=learner.email)  # a trainer brings her back
    assert [row[:3] for row in timeline_of(enrolment)] == [
        (None, "active", learner.id), ("active", "unenrolled", trainer.id), ("unenrolled", "active", trainer.id)]
    assert [row[4] for row in timeline_of(enrolment)][:2] == [t1, t2]


def test_invitees_get_in_outside_the_window(ctx):
    now = utcnow()
    run = make_course_run(registration_opens_at=now - timedelta(days=30), registration_closes_at=now - timedelta(days=1))
    invitee = make_user(email="invitee@example.gouv.fr")
    make_course_invitation(run, email="invitee@example.gouv.fr")
    assert services.enrol(run, invitee, now=now).is_active
    with pytest.raises(services.CourseError):
        services.enrol(run, make_user(), now=now)


def test_batch_enrolment(ctx):
    _course, run = make_mooc()
    trainer = make_user(roles=[Role.TRAINER])
    make_user(email="existe@example.gouv.fr")
    outcome = services.invite_or_enrol(run, actor=trainer, emails_text="existe@example.gouv.fr\nnouvelle@example.gouv.fr, pas-une-adresse\nEXISTE@example.gouv.fr")
    assert outcome == {"enrolled": ["existe@example.gouv.fr"], "invited": ["nouvelle@example.gouv.fr"], "already_invited": [],
                       "already": [], "invalid": ["pas-une-adresse"]}
    assert services.invite_or_enrol(run, actor=trainer, emails_text="existe@example.gouv.fr")["already"] == ["existe@example.gouv.fr"]
    course_title = run.course.title
    assert _subjects() == [f"Inscription confirmée : {course_title}", f"Vous êtes invité·e au MOOC « {course_title} »"]
    again = services.invite_or_enrol(run, actor=trainer, emails_text="nouvelle@example.gouv.fr")  # the list sent twice
    assert again["already_invited"] == ["nouvelle@example.gouv.fr"]
    assert _subjects() == [f"Inscription confirmée : {course_title}", f"Vous êtes invité·e au MOOC « {course_title} »"]


def test_progress_is_recorded_once_and_completes_the_course(ctx):
    course, run = make_mooc(sequences=(1,), kinds=("text", "video"))
    enrolment = make_enrolment(run)
    text, video = queries.ordered_items(queries.get_course_outline(course.slug))
    assert services.record_progress(enrolment, text, source="opened") is True
    assert services.record_progress(enrolment, text, source="opened") is False  # idempotent
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemCompletion)) == 1
    assert enrolment.completed_at is None
    services.record_progress(enrolment, video, source="video")
    assert enrolment.completed_at is not None and len(enrolment.attestation_code) == 12
    assert enrolment.attestation_name == enrolment.user.full_name  # frozen: what the attestation prints
    assert queries.get_enrolment_by_code(enrolment.attestation_code.lower()) == enrolment
    assert _subjects()[-1] == f"Cours terminé : {course.title}"


def test_access_window_edges(ctx):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    enrolment = make_enrolment(run)
    [item] = queries.ordered_items(queries.get_course_outline(course.slug))
    with pytest.raises(services.CourseError, match="pas encore ouvert"):
        services.record_progress(enrolment, item, source="opened", now=run.access_starts_at - timedelta(seconds=1))
    # At the end of the access window the course is read-only: nothing new is recorded.
    assert services.record_progress(enrolment, item, source="opened", now=run.access_ends_at) is False
    assert services.record_progress(enrolment, item, source="opened", now=run.access_ends_at - timedelta(seconds=1)) is True


def test_progress_of_course_modules_sequences_and_resume(ctx):
    course, run = make_mooc(sequences=(2, 1), kinds=("text", "quiz"))
    enrolment = make_enrolment(run)
    outline = queries.get_course_outline(course.slug)
    items = queries.ordered_items(outline)
    for item in items[:3]:
        services.record_progress(enrolment, item, source="quiz" if item.kind == "quiz" else "button")
    progress = queries.progress_of(outline, queries.completed_item_ids(enrolment))
    assert (progress["course"].done, progress["course"].total, progress["course"].percent) == (3, 6, 50)
    first_module = outline.modules[0]
    assert progress["modules"][first_module.id].percent == 75
    assert progress["sequences"][first_module.sequences[0].id].complete
    assert progress["resume"] == items[3]


def test_import_moves_and_edits_items(ctx, tmp_path):
    import shutil

    import yaml

    folder = tmp_path / "course"
    shutil.copytree(MOOC_FOLDER, folder)
    import_course(folder)
    spec = yaml.safe_load((folder / "course.yml").read_text())
    first = spec["modules"][0]["sequences"][0]["items"]
    first.reverse()
    (folder / "course.yml").write_text(yaml.safe_dump(spec, allow_unicode=True))
    text = (folder / "items" / "s1-lecon.md").read_text().replace("Partir d’un problème, pas d’une idée de solution",
                                                                  "Décrire le problème")
    (folder / "items" / "s1-lecon.md").write_text(text)
    course = import_course(folder)
    outline = queries.get_course_outline(course.slug)
    assert [i.key for i in outline.modules[0].sequences[0].items] == first
    assert db.session.scalar(sa.select(CourseItem.title).where(CourseItem.key == "s1-lecon")) == "Décrire le problème"


def test_a_video_needs_its_transcript(ctx):
    course, _run = make_mooc(sequences=(1,), kinds=("text",))
    sequence = queries.get_course_outline(course.slug).modules[0].sequences[0]
    with pytest.raises(services.CourseError, match="transcription"):
        services.save_item(sequence, key="sans-transcription", kind="video", title="V", video_url="/v.webm", transcript="")


def test_move_item(ctx):
    course, _run = make_mooc(sequences=(1,), kinds=("text", "video", "quiz"))
    first, second, third = queries.ordered_items(queries.get_course_outline(course.slug))
    assert services.move_item(third, -1) is True
    assert services.move_item(first, -1) is False
    db.session.expire_all()
    assert [i.key for i in queries.ordered_items(queries.get_course_outline(course.slug))] == [first.key, third.key, second.key]


def test_an_item_moved_since_the_page_was_shown_is_not_moved_again(ctx):
    """A second click (or a second tab) says where the page showed the item: it has moved since, so it stays."""
    course, _run = make_mooc(sequences=(1,), kinds=("text", "video", "quiz"))
    first, second, third = queries.ordered_items(queries.get_course_outline(course.slug))
    shown_at = third.position
    assert services.move_item(third, -1, shown_at=shown_at) is True
    assert services.move_item(third, -1, shown_at=shown_at) is False
    db.session.expire_all()
    assert [i.key for i in queries.ordered_items(queries.get_course_outline(course.slug))] == [first.key, third.key, second.key]


def test_an_item_key_is_unique_in_its_course_and_a_deleted_item_is_deleted_once(ctx):
    course, _run = make_mooc(sequences=(1, 1), kinds=("text",))
    outline = queries.get_course_outline(course.slug)
    [first, other] = [sequence for module in outline.modules for sequence in module.sequences]
    item = services.add_item(course, first, key="nouvelle-lecon", kind="text", title="Leçon", body="…")
    db.session.commit()
    with pytest.raises(services.KeyTaken, match="déjà utilisé dans ce cours"):
        services.add_item(course, other, key="nouvelle-lecon", kind="text", title="Autre", body="")
    db.session.rollback()
    item = db.session.get(CourseItem, item.id)
    assert (item.sequence_id, item.title) == (first.id, "Leçon")
    assert services.delete_item(item) is True
    assert services.delete_item(item) is False
    db.session.expire_all()
    assert db.session.get(CourseItem, item.id) is None


def test_bulk_email_audiences(ctx):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    [item] = queries.ordered_items(queries.get_course_outline(course.slug))
    now = utcnow()
    not_started = make_enrolment(run)
    finished = make_enrolment(run)
    services.record_progress(finished, item, source="opened", now=now - timedelta(days=20))
    trainer = make_user(roles=[Role.TRAINER])
    records = {a: services.send_bulk_email(run, actor=trainer, audience=a, subject="S", body="B") for a in ("all", "not_started", "completed")}
    assert {a: record.recipient_count for a, record in records.items()} == {"all": 2, "not_started": 1, "completed": 1}
    assert {(record.sender_id, record.run_id) for record in records.values()} == {(trainer.id, run.id)}  # who sent it is kept
    assert not_started.id != finished.id


def test_a_bulk_email_request_writes_no_message_the_job_writes_them_once(ctx, count_queries):
    """Rendering 10,000 messages held the request for seconds: the request records the email and defers a job;
    its queries do not grow with the audience. The job writes one message per learner, and nothing when run
    again (a retry, a second worker)."""
    from tests.courses.test_views import _bulk_learners

    trainer = make_user(roles=[Role.TRAINER])
    counts, records = [], []
    for learners in (10, 1000):
        _course, run = make_mooc(sequences=(1,), kinds=("text",))
        db.session.commit()
        _bulk_learners(run, learners)
        with count_queries() as counter:
            record = services.send_bulk_email(run, actor=trainer, audience="all", subject="Nouvelle vidéo", body="En ligne.")
        counts.append(counter.count)
        records.append(record)
        assert record.recipient_count == learners and record.written_at is None
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
        assert db.session.info.get("jobs_after_commit") == [("courses.write_bulk_messages", {"bulk_email_id": record.id})]
        db.session.info.pop("jobs_after_commit")
    assert counts[0] == counts[1]

    assert services.write_bulk_messages(records[0].id) == 10
    assert services.write_bulk_messages(records[0].id) == 0
    recipients = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert len(recipients) == len(set(recipients)) == 10 and records[0].written_at is not None


def test_stalled_learners(ctx):
    course, run = make_mooc(sequences=(1,), kinds=("text", "quiz"))
    text, _quiz = queries.ordered_items(queries.get_course_outline(course.slug))
    now = utcnow()
    stalled, active = make_enrolment(run), make_enrolment(run)
    services.record_progress(stalled, text, source="opened", now=now - timedelta(days=20))
    services.record_progress(active, text, source="opened", now=now - timedelta(days=2))
    found = queries.learners_for_audience(run, "stalled", stalled_since=now - timedelta(days=14))
    assert [e.id for e in found] == [stalled.id]


def test_dashboard_counts(ctx):
    course, run = make_mooc(sequences=(1, 1), kinds=("text",))
    learners = [make_enrolment(run) for _ in range(4)]
    outline = queries.get_course_outline(course.slug)
    first, second = queries.ordered_items(outline)
    services.record_progress(learners[0], first, source="opened")
    services.record_progress(learners[0], second, source="opened")
    services.record_progress(learners[1], first, source="opened")
    stats = queries.dashboard(run, outline, utcnow())
    assert (stats["enrolled"], stats["completed"], stats["completion_rate"], stats["active_recently"]) == (4, 1, 25, 2)
    assert [(row["started"], row["finished"]) for row in stats["funnel"]] == [(2, 2), (1, 1)]
    assert sum(n for _day, n in stats["per_day"]) == 4


def test_dashboard_groups_enrolments_by_paris_day(ctx):
    course, run = make_mooc(sequences=(1,), kinds=("text",))
    # 23:30 UTC is already the next day in Paris, in winter (UTC+1) as in summer (UTC+2).
    for stamp in ("2026-03-28 23:30", "2026-06-30 22:30", "2026-06-30 21:30", "2026-12-31 23:00"):
        make_enrolment(run, enrolled_at=datetime.fromisoformat(stamp).replace(tzinfo=UTC))
    stats = queries.dashboard(run, queries.get_course_outline(course.slug), utcnow())
    assert stats["per_day"] == [("2026-03-29", 1), ("2026-06-30", 1), ("2026-07-01", 1), ("2027-01-01", 1)]


def test_completion_can_require_the_fiche_produit(ctx):
    from beta_training.sheets import services as sheets

    course, run = make_mooc(sequences=(1,), kinds=("text",))
    run.requires_sheet = True
    db.session.commit()
    enrolment = make_enrolment(run)
    [item] = queries.ordered_items(queries.get_course_outline(course.slug))
    services.record_progress(enrolment, item, source="opened")
    assert enrolment.completed_at is None  # every item done, but the sheet is not sent yet
    sheet = sheets.create_sheet(enrolment.user, enrolment_id=enrolment.id)
    ready = {"name": "P", **ANSWERED_PARTS,
             "indicators": [{"name": "a", "baseline": "1", "target": "2"}, {"name": "b", "baseline": "1", "target": "2"}],
             "milestones": [{"title": "m", "due_on": "2027-01-01"}]}
    sheets.save_version(sheet, author=enrolment.user, content=ready, base_version=1)
    assert enrolment.completed_at is None  # a draft does not count
    sheets.submit_sheet(sheet, actor=enrolment.user)
    assert enrolment.completed_at is not None and enrolment.attestation_code
    assert enrolment.sheet_sent_at is not None  # what the sheets domain told the course


def test_a_sheet_taken_back_to_draft_no_longer_counts_for_completion(ctx):
    from beta_training.sheets import services as sheets

    course, run = make_mooc(sequences=(1,), kinds=("text",))
    run.requires_sheet = True
    db.session.commit()
    enrolment = make_enrolment(run)
    sheet = sheets.create_sheet(enrolment.user, enrolment_id=enrolment.id)
    ready = {"name": "P", **ANSWERED_PARTS,
             "indicators": [{"name": "a", "baseline": "1", "target": "2"}, {"name": "b", "baseline": "1", "target": "2"}],
             "milestones": [{"title": "m", "due_on": "2027-01-01"}]}
    sheets.save_version(sheet, author=enrolment.user, content=ready, base_version=1)
    sheets.submit_sheet(sheet, actor=enrolment.user)
    assert enrolment.sheet_sent_at is not None and enrolment.completed_at is None  # items still to do
    sheets.withdraw_sheet(sheet, actor=enrolment.user)
    assert enrolment.sheet_sent_at is None
    [item] = queries.ordered_items(queries.get_course_outline(course.slug))
    services.record_progress(enrolment, item, source="opened")
    assert enrolment.completed_at is None  # every item done, but the sheet went back to a draft
