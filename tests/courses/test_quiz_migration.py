"""The migration that gives quizzes questions and scored attempts keeps what learners did: each quiz becomes a
quiz of one question holding its choices, each answer given so far becomes attempt 1 (scored, with its answer),
and every quiz completion stays, a wrong answer included (treated as passed). Down and up again keeps the rows."""

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from beta_training.courses.models import CourseItem
from beta_training.extensions import db
from tests.factories import make_enrolment, make_item_completion, make_mooc
from tests.test_migrations import _app_for, empty_database_url  # noqa: F401 — the fixture is used below

BEFORE = "9c2e4b7d1a30"


def _all(sql, **params):
    return [tuple(row) for row in db.session.execute(sa.text(sql), params).all()]


def test_quiz_answers_become_attempts_and_completions_keep_counting(empty_database_url):  # noqa: F811
    app = _app_for(empty_database_url)
    with app.app_context():
        upgrade()
        _course, run = make_mooc(sequences=(1,), kinds=("text", "quiz"))
        text, quiz = db.session.scalars(sa.select(CourseItem).order_by(CourseItem.position)).all()
        right, wrong = (next(c for c in quiz.choices if c.is_correct is flag) for flag in (True, False))
        good, bad, reader = make_enrolment(run), make_enrolment(run), make_enrolment(run)
        make_item_completion(good, quiz, source="quiz", choice_id=right.id)
        make_item_completion(bad, quiz, source="quiz", choice_id=wrong.id)
        make_item_completion(reader, text, source="opened")
        ids = {"quiz": quiz.id, "right": right.id, "wrong": wrong.id, "good": good.id, "bad": bad.id}
        db.session.remove()
        completions = _all("SELECT id, enrolment_id, item_id, source, choice_id FROM item_completions ORDER BY id")

        downgrade(revision=BEFORE)  # as a database of before this change: answers recorded as completions
        assert _all("SELECT id, item_id FROM quiz_choices ORDER BY id") == [(ids["right"], ids["quiz"]), (ids["wrong"], ids["quiz"])]
        db.session.remove()
        upgrade()

        [(question_id, item_id, text_)] = _all("SELECT id, item_id, text FROM quiz_questions")
        assert (item_id, text_) == (ids["quiz"], "")
        assert _all("SELECT id, question_id FROM quiz_choices ORDER BY id") == [(ids["right"], question_id), (ids["wrong"], question_id)]
        attempts = _all("SELECT enrolment_id, item_id, number, correct, total, score FROM quiz_attempts ORDER BY enrolment_id")
        assert attempts == [(ids["good"], ids["quiz"], 1, 1, 1, 100), (ids["bad"], ids["quiz"], 1, 0, 1, 0)]
        answers = _all("SELECT quiz_attempts.enrolment_id, quiz_answers.question_id, quiz_answers.choice_id, quiz_answers.is_correct "
                       "FROM quiz_answers JOIN quiz_attempts ON quiz_attempts.id = quiz_answers.attempt_id ORDER BY quiz_attempts.enrolment_id")
        assert [(e, q, c, bool(ok)) for e, q, c, ok in answers] == [
            (ids["good"], question_id, ids["right"], True), (ids["bad"], question_id, ids["wrong"], False)]
        # The wrong answer's completion is still there: the quiz stays done (treated as passed).
        assert _all("SELECT id, enrolment_id, item_id, source, choice_id FROM item_completions ORDER BY id") == completions
        db.session.remove()
        db.engine.dispose()
