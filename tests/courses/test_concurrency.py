"""MOOC writes sent twice at the same instant: a bulk email goes out once, an item is moved one place, added once;
learners opening a lesson at the same instant all get it, and each her progress."""

import threading
import time

import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.core.models import OutboxMessage
from beta_training.courses import services as course_services
from beta_training.courses.models import CourseItem, ItemCompletion, ItemKind, RunBulkEmail
from beta_training.extensions import db
from tests.simultaneous import post_at_once, rendered_submission_key
from tests.conftest import login
from tests.factories import make_enrolment, make_mooc, make_user


def test_a_bulk_email_submitted_twice_at_once_goes_out_once(app, client, mailbox):
    _course, run = make_mooc(sequences=(1,), kinds=("text",))
    learners = [make_enrolment(run).user for _ in range(4)]
    lead = make_user(roles=[Role.COURSE_LEAD])
    url = f"/mooc/gestion/sessions/{run.id}/courriel"
    login(client, lead)
    data = {"audience": "all", "subject": "Nouvelle vidéo", "body": "Elle est en ligne.",
            "submission_key": rendered_submission_key(client, url)}

    results = [(r.status_code, r.headers.get("Location")) for r in post_at_once(app, lead, url, data)]
    assert results == [(302, f"/mooc/gestion/sessions/{run.id}/tableau-de-bord")] * 2
    records = db.session.scalars(sa.select(RunBulkEmail)).all()
    assert [(r.sender_id, r.run_id, r.audience, r.recipient_count) for r in records] == [(lead.id, run.id, "all", 4)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 4
    assert sorted(m["To"] for m in mailbox.wait_for(4)) == sorted(learner.email for learner in learners)
    assert len(mailbox.messages) == 4

    replay = client.post(url, data=data)  # the same form again later: still nothing new
    assert replay.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 4
    another = client.post(url, data={**data, "submission_key": rendered_submission_key(client, url)})  # a new form: sent
    assert another.status_code == 302 and db.session.scalar(sa.select(sa.func.count()).select_from(RunBulkEmail)) == 2
    page = client.get(url).text
    assert "Courriels déjà envoyés" in page and lead.full_name in page and "Nouvelle vidéo" in page


def test_an_item_moved_twice_at_once_moves_one_place(app):
    """The move service locks the sequence and re-reads the item: the second click finds it moved since the page
    showed it, and leaves it there."""
    from beta_training.courses import queries, services
    from beta_training.courses.models import CourseItem
    from tests.simultaneous import services_at_once

    course, _run = make_mooc(sequences=(1,), kinds=("text", "video", "quiz"))
    first, second, third = queries.ordered_items(queries.get_course_outline(course.slug))
    third_id, shown_at = third.id, third.position

    outcomes = services_at_once(app, lambda: db.session.get(CourseItem, third_id),
                                lambda item: services.move_item(item, -1, shown_at=shown_at))

    assert sorted(outcomes, key=repr) == [False, True]
    assert [i.key for i in queries.ordered_items(queries.get_course_outline(course.slug))] == [first.key, third.key, second.key]


def test_an_item_added_twice_at_once_is_added_once(app):
    """Keys are unique per course: the service locks the course first, the second submit is told the key is taken."""
    from beta_training.courses import queries, services
    from beta_training.courses.models import Course, CourseItem, Sequence
    from tests.simultaneous import services_at_once

    course, _run = make_mooc(sequences=(1,), kinds=("text",))
    course_id = course.id
    sequence_id = queries.get_course_outline(course.slug).modules[0].sequences[0].id

    def add(loaded):
        return services.add_item(*loaded, key="nouvelle-lecon", kind="text", title="Leçon", body="").key

    outcomes = services_at_once(app, lambda: (db.session.get(Course, course_id), db.session.get(Sequence, sequence_id)), add)

    assert [o if isinstance(o, str) else type(o) for o in sorted(outcomes, key=repr)] == ["nouvelle-lecon", services.KeyTaken]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CourseItem).where(CourseItem.key == "nouvelle-lecon")) == 1


LEARNERS = 6


def test_learners_opening_a_lesson_at_the_same_instant_all_get_it_and_their_progress(app, monkeypatch):
    """Opening a text records it as read: a GET that writes. Each request pauses between its reads and that
    write, as a slow one would: on SQLite, a write in the read transaction could not take the lock once another
    learner's commit made its snapshot stale (« database is locked » at once, a 503); it takes a write
    transaction of its own."""
    course, run = make_mooc()
    lesson = db.session.scalar(sa.select(CourseItem).where(CourseItem.course_id == course.id, CourseItem.key == "s1-text"))
    assert lesson.kind == ItemKind.TEXT and not lesson.video_url
    learners = [make_user() for _ in range(LEARNERS)]
    for learner in learners:
        make_enrolment(run, learner)
    login_ids, url = [learner.get_id() for learner in learners], f"/mooc/{course.slug}/{run.slug}/contenu/{lesson.key}"
    db.session.commit()
    record = course_services.record_progress

    def slow_record(*args, **kwargs):
        time.sleep(0.05)
        return record(*args, **kwargs)

    monkeypatch.setattr(course_services, "record_progress", slow_record)
    barrier, statuses = threading.Barrier(LEARNERS), [None] * LEARNERS

    def open_lesson(index):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = login_ids[index]
        barrier.wait()
        statuses[index] = client.get(url).status_code

    threads = [threading.Thread(target=open_lesson, args=(index,)) for index in range(LEARNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert statuses == [200] * LEARNERS
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ItemCompletion)
                             .where(ItemCompletion.item_id == lesson.id)) == LEARNERS
