"""Write operations on the MOOC: content, enrolment, progress, invitations. Plain functions."""

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from beta_training.core import jobs
from beta_training.core.db import delete_once, earlier_submission, lock_for_update
from beta_training.core.i18n import format_moment
from beta_training.core.models import assign_changed, upsert, utcnow
from beta_training.core.states import record_creation, transition_once
from beta_training.courses import emails, queries, tallies
from beta_training.courses.models import (
    Course,
    CourseInvitation,
    CourseItem,
    CourseModule,
    CourseRun,
    ENROLMENT_TRANSITIONS,
    Enrolment,
    EnrolmentSheetPart,
    EnrolmentState,
    ItemCompletion,
    ItemKind,
    QuizAnswer,
    QuizAttempt,
    QuizChoice,
    QuizQuestion,
    ResourceFile,
    RunBulkEmail,
    Sequence,
)
from beta_training.extensions import db


class CourseError(Exception):
    """A refused operation; the message is safe to show to the user."""


class InvalidRunWindow(CourseError):
    """Run dates that could not work (the form checks them too); `field` names the form field to mark."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


def check_run_windows(*, registration_opens_at: datetime, registration_closes_at: datetime,
                      access_starts_at: datetime, access_ends_at: datetime) -> None:
    """Each window ends after it starts, and registration closes by the time access ends: nobody may
    enrol in a run they could never follow."""
    if registration_closes_at <= registration_opens_at:
        raise InvalidRunWindow(_("La clôture doit suivre l’ouverture."), field="registration_closes_at")
    if access_ends_at <= access_starts_at:
        raise InvalidRunWindow(_("La fin doit suivre le début."), field="access_ends_at")
    if registration_closes_at > access_ends_at:
        raise InvalidRunWindow(_("Les inscriptions doivent fermer au plus tard à la fin de l’accès aux contenus : "
                                 "sinon on s’inscrirait à un cours déjà terminé."), field="registration_closes_at")


class KeyTaken(CourseError):
    """Another item of the course already has this key (keys are unique per course)."""


class AttemptsExhausted(CourseError):
    """The learner has used every attempt the quiz allows."""


RUN_WINDOW_FIELDS = ("registration_opens_at", "registration_closes_at", "access_starts_at", "access_ends_at")


# --- Structure (also used by seeding and the folder import) ---------------------------------------------


def upsert_course(*, slug: str, **values) -> Course:
    return upsert(Course, {"slug": slug}, values)


def upsert_run(course: Course, *, slug: str, **values) -> CourseRun:
    check_run_windows(**{name: values[name] for name in RUN_WINDOW_FIELDS})
    return upsert(CourseRun, {"course_id": course.id, "slug": slug}, values)


def upsert_module(course: Course, *, position: int, **values) -> CourseModule:
    return upsert(CourseModule, {"course_id": course.id, "position": position}, values)


def upsert_sequence(module: CourseModule, *, position: int, **values) -> Sequence:
    return upsert(Sequence, {"module_id": module.id, "position": position}, values)


def add_module(course: Course, *, title: str, summary: str = "") -> CourseModule:
    """A new numbered module, after the last part (Module N+1)."""
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(CourseModule.position), 0) + 1).where(CourseModule.course_id == course.id)
    )
    module = CourseModule(course_id=course.id, position=position, number=0, title=title.strip(), summary=summary.strip())
    db.session.add(module)
    db.session.flush()
    renumber_sequences(course.id)
    return module


def add_sequence(module: CourseModule, *, title: str, summary: str = "") -> Sequence:
    position = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Sequence.position), 0) + 1).where(Sequence.module_id == module.id)
    )
    sequence = Sequence(module_id=module.id, position=position, number=0, title=title.strip(), summary=summary.strip())
    db.session.add(sequence)
    db.session.flush()
    renumber_sequences(module.course_id)
    return sequence


def renumber_sequences(course_id: int) -> None:
    """Numbered modules are numbered in order (Module 1, 2), and their sequences across the course
    (Séquence 1 … 5); the parts of an unnumbered module (the introduction, « Documents utiles ») stay
    unnumbered and do not count."""
    modules = db.session.scalars(
        sa.select(CourseModule).where(CourseModule.course_id == course_id).order_by(CourseModule.position)
    ).all()
    sequences = db.session.scalars(
        sa.select(Sequence).join(CourseModule).where(CourseModule.course_id == course_id)
        .order_by(CourseModule.position, Sequence.position)
    ).all()
    numbers = {}
    for module in modules:
        if module.number is not None:
            numbers[module.id] = len(numbers) + 1
            if module.number != numbers[module.id]:
                module.number = numbers[module.id]
    counted = 0
    for sequence in sequences:
        number = None
        if sequence.module_id in numbers:
            counted += 1
            number = counted
        if sequence.number != number:
            sequence.number = number
    db.session.flush()


def rename(structure, *, title: str, summary: str = ""):
    """Rename a module or a sequence."""
    assign_changed(structure, {"title": title.strip(), "summary": summary.strip()})
    db.session.flush()
    return structure


def save_item(sequence: Sequence, *, key: str, choices: list[dict] | None = None, questions: list[dict] | None = None,
              upload: tuple[str, bytes] | None = None, remove_file: bool = False,
              max_file_bytes: int = 20 * 1024 * 1024, recount: bool = True, **values) -> CourseItem:
    """Create or update the item `key` of the sequence's course; a quiz's questions are replaced when given:
    `questions` = [{"text", "choices": [{"text", "correct", "feedback"}]}], or `choices` alone for a quiz of one
    question asked by the item's body. A resource may get a downloadable file (`upload` = name, bytes) or lose
    it; other kinds keep none. An item added, moved to another sequence, made a quiz or no longer one changes
    what the dashboard counts: the course's runs are recounted (unless `recount` is False: the import recounts
    once, at its end)."""
    if questions is None and choices is not None:
        questions = [{"text": "", "choices": choices}]
    if upload is not None:
        check_resource_file(*upload, max_file_bytes)  # refuse before changing anything
    course_id = db.session.scalar(sa.select(CourseModule.course_id).where(CourseModule.id == sequence.module_id))
    item = db.session.scalar(sa.select(CourseItem).where(CourseItem.course_id == course_id, CourseItem.key == key))
    counted_as = None if item is None else (item.sequence_id, item.kind == ItemKind.QUIZ)
    if item is None:
        position = values.pop("position", None) or queries.next_item_position(sequence.id)
        item = CourseItem(course_id=course_id, sequence_id=sequence.id, key=key, position=position)
        db.session.add(item)
    else:
        values.pop("position", None)
        values["sequence_id"] = sequence.id
    if values.get("kind", item.kind) == ItemKind.VIDEO and not any(
        (values.get(name, getattr(item, name)) or "").strip() for name in ("transcript", "transcript_url")
    ):
        raise CourseError(_("Une vidéo doit avoir sa transcription, en texte ou en lien (accessibilité)."))
    assign_changed(item, values)
    db.session.flush()
    if questions is not None:
        _replace_questions(item, questions)
    if item.kind != ItemKind.RESOURCE or remove_file:
        detach_resource_file(item)
    if upload is not None and item.kind == ItemKind.RESOURCE:
        attach_resource_file(item, filename=upload[0], data=upload[1], max_bytes=max_file_bytes)
    if recount and counted_as is None:  # a new item: its sequence has one more, nobody has done it
        tallies.recount_sequences(course_id)
    elif recount and (item.sequence_id, item.kind == ItemKind.QUIZ) != counted_as:
        tallies.recompute_course(course_id)
    return item


def add_item(course: Course, sequence: Sequence, *, key: str, **values) -> CourseItem:
    """A new item of the sequence, with a key no other item of the course has (else KeyTaken). The course row
    is locked first: keys are unique per course, so two submits queue and the second is told."""
    lock_for_update(Course, course.id)
    if queries.get_item(course, key) is not None:
        raise KeyTaken(_("Cet identifiant est déjà utilisé dans ce cours."))
    return save_item(sequence, key=key, **values)


def _replace_questions(item: CourseItem, questions: list[dict]) -> None:
    """The quiz's questions and choices as given; the same ones again change nothing (learners' answers keep
    pointing at them). Changed, they are replaced: earlier attempts keep their scores, not their answers."""
    wanted = [((q.get("text") or "").strip(),
               [(c["text"], bool(c.get("correct", False)), c.get("feedback") or "") for c in q.get("choices") or ()])
              for q in questions]
    current = [(q.text, [(c.text, c.is_correct, c.feedback) for c in q.choices]) for q in item.questions]
    if wanted == current:
        return
    item.choices.clear()
    item.questions.clear()
    db.session.flush()
    position = 0
    for number, (text, choices) in enumerate(wanted, start=1):
        question = QuizQuestion(position=number, text=text)
        item.questions.append(question)
        for choice_text, correct, feedback in choices:
            position += 1
            item.choices.append(QuizChoice(position=position, text=choice_text, is_correct=correct, feedback=feedback,
                                           question=question))
    db.session.flush()


def move_item(item: CourseItem, direction: int, *, shown_at: int | None = None) -> bool:
    """Swap with the previous (-1) or next (+1) item of the sequence; False at either end.

    Moves of one sequence queue (its row is locked, the item re-read); `shown_at` is where the page showed the
    item: if it has moved since (a second click, a second tab), it is not moved one more place (False)."""
    lock_for_update(Sequence, item.sequence_id)
    db.session.refresh(item)
    if shown_at is not None and shown_at != item.position:
        return False
    neighbour = queries.neighbour_item(item, direction)
    if neighbour is None:
        return False
    mine, theirs = item.position, neighbour.position
    item.position = -mine  # positions are unique: go through a free value
    db.session.flush()
    neighbour.position = mine
    db.session.flush()
    item.position = theirs
    db.session.flush()
    return True


# Extension → (content type we serve, how the file must start). Nothing a browser would run (HTML, SVG,
# scripts): resources are documents, and they are always sent as attachments.
RESOURCE_FILE_TYPES = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    "odp": ("application/vnd.oasis.opendocument.presentation", (b"PK\x03\x04",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "zip": ("application/zip", (b"PK\x03\x04",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "csv": ("text/csv; charset=utf-8", ()),
    "txt": ("text/plain; charset=utf-8", ()),
    "md": ("text/markdown; charset=utf-8", ()),
}
TEXT_RESOURCE_EXTENSIONS = ("csv", "txt", "md")


def clean_resource_filename(filename: str) -> str:
    """The name a learner's browser will save: no folders, no control characters, at most 160 characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable() and char not in '"<>:|?*').strip(" .")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return name[:160]
    return f"{stem[:150]}.{extension.lower()[:9]}"


def check_resource_file(filename: str, data: bytes, max_bytes: int) -> tuple[str, str]:
    """The cleaned name and the content type we will serve, or a CourseError the author can act on: a type
    we do not serve, content that does not match its extension, an empty file or one over `max_bytes`."""
    name = clean_resource_filename(filename)
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension not in RESOURCE_FILE_TYPES:
        raise CourseError(_("Type de fichier refusé. Formats acceptés : %(formats)s.",
                            formats=", ".join(sorted(e for e in RESOURCE_FILE_TYPES if e != "jpeg"))))
    if not data:
        raise CourseError(_("Le fichier est vide."))
    if len(data) > max_bytes:
        raise CourseError(_("Le fichier dépasse %(mb)s Mo.", mb=max_bytes // (1024 * 1024)))
    content_type, signatures = RESOURCE_FILE_TYPES[extension]
    if signatures and not data.startswith(signatures):
        raise CourseError(_("Le contenu du fichier ne correspond pas à un fichier .%(ext)s.", ext=extension))
    if extension in TEXT_RESOURCE_EXTENSIONS:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise CourseError(_("Un fichier .%(ext)s doit être enregistré en UTF-8.", ext=extension)) from None
    return name, content_type


def attach_resource_file(item: CourseItem, *, filename: str, data: bytes, max_bytes: int,
                         now: datetime | None = None) -> ResourceFile:
    """Give a resource item its downloadable file, replacing the previous one; the same file again
    changes nothing."""
    name, content_type = check_resource_file(filename, data, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    attached = item.resource_file
    if attached is not None and (attached.sha256, attached.filename) == (digest, name):
        return attached
    if attached is None:
        attached = ResourceFile()
        item.resource_file = attached
    attached.filename, attached.content_type, attached.size_bytes = name, content_type, len(data)
    attached.sha256, attached.data, attached.uploaded_at = digest, data, now or utcnow()
    db.session.flush()
    return attached


def detach_resource_file(item: CourseItem) -> None:
    if item.resource_file is not None:
        item.resource_file = None
        db.session.flush()


def delete_item(item: CourseItem) -> bool:
    """False if it is already gone: a second click waits for the first (the sequence's row is locked), then
    finds the item deleted. Its sequence has one item less, and its completions are gone: the course's runs
    are recounted."""
    course_id, item_id, sequence_id = item.course_id, item.id, item.sequence_id
    lock_for_update(Sequence, sequence_id)
    if db.session.get(CourseItem, item_id, populate_existing=True) is None:
        return False
    tallies.item_leaves_sequence(item_id, sequence_id)  # before its completions go
    deleted = delete_once(item, lock=(Sequence, sequence_id))
    tallies.recount_sequences(course_id)  # its quiz counts, if it is one, go with it (ON DELETE CASCADE)
    return deleted


# --- The dashboard's counts -------------------------------------------------------------------------------


def recompute_dashboard(run: CourseRun) -> None:
    """Rebuild the run's dashboard counts from its facts (enrolments, completions, attempts). The services
    keep them up to date; call this after writing facts without them (a bulk load, a data generator), or to
    repair them. Scans the run's learners: seconds at 100,000. The caller commits."""
    tallies.recompute(run)


def recompute_all_dashboards() -> int:
    """Every run's counts (`flask courses refresh-dashboard`); returns how many runs."""
    runs = db.session.scalars(sa.select(CourseRun).order_by(CourseRun.id)).all()
    for run in runs:
        tallies.recompute(run)
    return len(runs)


def learner_leaves_dashboards(user_id: int) -> None:
    """Her account is about to be erased, and her enrolments with it: they stop counting (privacy)."""
    tallies.learner_leaves(user_id)


# --- Enrolment ----------------------------------------------------------------------------------------


def _window_message(run: CourseRun, now: datetime) -> str:
    fmt = "d MMMM yyyy 'à' HH'h'mm"
    if now < run.registration_opens_at:
        return _("Les inscriptions ouvriront le %(date)s.", date=format_moment(run.registration_opens_at, fmt))
    return _("Les inscriptions sont closes depuis le %(date)s.", date=format_moment(run.registration_closes_at, fmt))


def enrol(run: CourseRun, user, *, actor=None, now: datetime | None = None, invited: bool = False) -> Enrolment:
    """One click: enrol the user (idempotent). Outside the registration window only invitees get in.

    `actor` is who enrols her (a trainer's batch enrolment), by default herself; the enrolment's
    timeline records it."""
    now = now or utcnow()
    actor = actor or user
    enrolment = queries.get_enrolment(run, user)
    if enrolment is not None and enrolment.is_active:
        return enrolment
    _refuse_if_over(run, now)  # not even an invitation opens a run nobody can follow any more
    invitation = queries.invitation_for(run, user.email)
    if invitation is not None:
        invitation.accepted_at = invitation.accepted_at or now
        invited = True
    if not (invited or run.is_registration_open(now)):
        raise CourseError(_window_message(run, now))
    if enrolment is None:
        enrolment = Enrolment(run_id=run.id, user_id=user.id, enrolled_at=now, state=EnrolmentState.ACTIVE)
        try:
            with db.session.begin_nested():
                db.session.add(enrolment)
        except sa.exc.IntegrityError:  # a second tab enrolled at the same moment
            return queries.get_enrolment(run, user)
        record_creation(enrolment, EnrolmentState.ACTIVE, actor=actor, now=now)
        emails.queue_enrolled(enrolment)
        tally = tallies.Tally(run.id)
        tally.day(tallies.paris_date(now), enrolled=1)
        tally.apply()
    elif transition_once(enrolment, ENROLMENT_TRANSITIONS, EnrolmentState.UNENROLLED, EnrolmentState.ACTIVE,
                         actor=actor, now=now, values={"enrolled_at": now}) is not None:
        tallies.enrolment_counted(enrolment.id, 1)  # her progress, kept, counts again
    db.session.flush()
    return enrolment


def _refuse_if_over(run: CourseRun, now: datetime) -> None:
    if run.is_read_only(now):
        raise CourseError(_("Cette session est terminée depuis le %(date)s : on ne peut plus s’y inscrire.",
                            date=format_moment(run.access_ends_at, "d MMMM yyyy")))


def unenrol(enrolment: Enrolment, *, actor, now: datetime | None = None) -> Enrolment:
    """Progress is kept: re-enrolling later picks it up again. A second click changes nothing."""
    if transition_once(enrolment, ENROLMENT_TRANSITIONS, EnrolmentState.ACTIVE, EnrolmentState.UNENROLLED,
                       actor=actor, now=now or utcnow()) is not None:
        tallies.enrolment_counted(enrolment.id, -1)
    db.session.flush()
    return enrolment


def invite_or_enrol(run: CourseRun, *, actor, emails_text: str, now: datetime | None = None) -> dict:
    """Batch enrolment from a pasted list: accounts are enrolled, other addresses invited by email."""
    from beta_training.accounts.services import get_user_by_email, normalize_email
    from email_validator import EmailNotValidError, validate_email

    now = now or utcnow()
    lock_for_update(CourseRun, run.id)  # two submits of one list queue: each address is handled once
    _refuse_if_over(run, now)
    outcome = {"enrolled": [], "invited": [], "already_invited": [], "already": [], "invalid": []}
    seen = set()
    for raw in emails_text.replace(",", "\n").replace(";", "\n").split():
        address = normalize_email(raw)
        if not address or address in seen:
            continue
        seen.add(address)
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            outcome["invalid"].append(raw)
            continue
        user = get_user_by_email(address)
        if user is not None:
            existing = queries.get_enrolment(run, user)
            if existing is not None and existing.is_active:
                outcome["already"].append(address)
                continue
            enrol(run, user, actor=actor, now=now, invited=True)
            outcome["enrolled"].append(address)
        elif queries.invitation_for(run, address) is not None:
            outcome["already_invited"].append(address)  # the same list sent again: one invitation each
        else:
            upsert(CourseInvitation, {"run_id": run.id, "email": address},
                   {"invited_by_id": actor.id, "created_at": now})
            emails.queue_invitation(run, address)
            outcome["invited"].append(address)
    db.session.flush()
    return outcome


# --- Progress -----------------------------------------------------------------------------------------


def new_attestation_code() -> str:
    raw = secrets.token_hex(5).upper()
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


# A quiz is done by an attempt that passes (« quiz »), or by the run's pass mark lowered under the learner's best
# attempt (« pass_mark »); never by « J'ai terminé ».
QUIZ_SOURCES = ("quiz", "pass_mark")


def _check_can_learn(enrolment: Enrolment, item: CourseItem, now: datetime) -> None:
    if not enrolment.is_active:
        raise CourseError(_("Vous n’êtes pas inscrit·e à cette session."))
    if item.course_id != enrolment.run.course_id:
        raise CourseError(_("Ce contenu n’appartient pas à ce cours."))
    if now < enrolment.run.access_starts_at:
        raise CourseError(_("Le cours n’est pas encore ouvert."))


def record_progress(enrolment: Enrolment, item: CourseItem, *, source: str, now: datetime | None = None) -> bool:
    """Record that the learner finished `item`. Idempotent: False if it was already recorded, or if
    the course is read-only (after the access window)."""
    now = now or utcnow()
    run = enrolment.run
    _check_can_learn(enrolment, item, now)
    if item.kind == ItemKind.QUIZ and source not in QUIZ_SOURCES:
        raise CourseError(_("Un quiz est terminé par une tentative validée : répondez à ses questions."))
    if run.is_read_only(now):
        return False
    last_activity = _lock_active_learner(enrolment)
    tally = tallies.Tally(run.id)
    completion = ItemCompletion(enrolment_id=enrolment.id, item_id=item.id, source=source, completed_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except sa.exc.IntegrityError:
        tallies.activity(tally, enrolment, before=last_activity, now=now)
        tally.apply()
        return False
    tallies.completion_added(tally, enrolment.id, item)
    tallies.activity(tally, enrolment, before=last_activity, now=now)
    check_completion(enrolment, now=now, tally=tally)
    tally.apply()
    db.session.flush()
    return True


def _lock_active_learner(enrolment: Enrolment) -> datetime | None:
    """Her progress writes queue on her enrolment's row (what they count depends on what the previous one
    left); refused if she has unenrolled meanwhile (another tab). Returns her last activity as committed."""
    locked = tallies.lock_learner(enrolment)
    if locked is None or locked[0] != EnrolmentState.ACTIVE:
        raise CourseError(_("Vous n’êtes pas inscrit·e à cette session."))
    return locked[1]


def attempts_exhausted_message(max_attempts: int) -> str:
    return ngettext("Vous avez utilisé votre seule tentative pour ce quiz.",
                    "Vous avez utilisé les %(num)s tentatives de ce quiz.", max_attempts)


def score_percent(correct: int, total: int) -> int:
    """100 × correct / total, rounded half up (2 out of 3: 67 %)."""
    return (200 * correct + total) // (2 * total) if total else 0


def submit_quiz_attempt(enrolment: Enrolment, item: CourseItem, *, answers: dict[int, int],
                        submission_key: str | None = None, now: datetime | None = None) -> QuizAttempt:
    """Score the learner's answers (question id → choice id) as a new attempt; the quiz is done when the
    attempt reaches the run's pass mark (or at once without one). Refused (CourseError) outside the access
    window, past the quiz's maximum of attempts (AttemptsExhausted), or with a question left unanswered.

    Attempts of one learner queue on her enrolment's row, so they are numbered 1, 2, 3 without gaps; the same
    rendered form sent twice (`submission_key`) records one attempt and returns it again."""
    now = now or utcnow()
    run = enrolment.run
    _check_can_learn(enrolment, item, now)
    if item.kind != ItemKind.QUIZ or not item.questions:
        raise CourseError(_("Ce contenu n’est pas un quiz."))
    if run.is_read_only(now):
        raise CourseError(_("Le cours est en lecture seule : la progression n’est plus enregistrée."))
    last_activity = _lock_active_learner(enrolment)
    if submission_key:
        earlier = db.session.scalar(sa.select(QuizAttempt).where(
            QuizAttempt.enrolment_id == enrolment.id, QuizAttempt.submission_key == submission_key))
        if earlier is not None:
            return earlier
    used, best = queries.attempts_and_best(enrolment.id, item.id)
    if item.max_attempts is not None and used >= item.max_attempts:
        raise AttemptsExhausted(attempts_exhausted_message(item.max_attempts))
    given = []
    for question in item.questions:
        choice = next((c for c in question.choices if c.id == answers.get(question.id)), None)
        if choice is None:
            raise CourseError(_("Répondez à chaque question."))
        given.append((question, choice))
    correct = sum(choice.is_correct for _question, choice in given)
    attempt = QuizAttempt(enrolment_id=enrolment.id, item_id=item.id, number=used + 1, correct=correct,
                          total=len(given), score=score_percent(correct, len(given)), submitted_at=now,
                          submission_key=submission_key or None)
    attempt.answers = [QuizAnswer(question_id=question.id, choice_id=choice.id, is_correct=choice.is_correct)
                       for question, choice in given]
    db.session.add(attempt)
    db.session.flush()
    tallies.attempt_added(run.id, item.id, score=attempt.score, attempts_before=used, best_before=best)
    if run.quiz_passed(correct, len(given)):
        record_progress(enrolment, item, source="quiz", now=now)  # her last activity too
    else:
        tally = tallies.Tally(run.id)
        tallies.activity(tally, enrolment, before=last_activity, now=now)
        tally.apply()
    return attempt


def complete_passed_quizzes(run: CourseRun, *, now: datetime | None = None) -> int:
    """After the run's pass mark is lowered (or removed): the quizzes whose best attempt now reaches it are
    done, and courses complete. A raised pass mark takes nothing back: a quiz passed stays passed. Returns how
    many quizzes it completed."""
    now = now or utcnow()
    if run.is_read_only(now) or now < run.access_starts_at:
        return 0
    reaching = sa.select(QuizAttempt.enrolment_id, QuizAttempt.item_id).join(Enrolment).where(
        Enrolment.run_id == run.id, Enrolment.state == EnrolmentState.ACTIVE,
        ~sa.exists().where(ItemCompletion.enrolment_id == QuizAttempt.enrolment_id,
                           ItemCompletion.item_id == QuizAttempt.item_id),
    ).distinct()
    if run.quiz_pass_mark is not None:
        reaching = reaching.where(QuizAttempt.correct * 100 >= run.quiz_pass_mark * QuizAttempt.total)
    pairs = db.session.execute(reaching).all()
    if not pairs:
        return 0
    # Their learners' rows are locked (in order), then what they reach read again: as one learner's own writes.
    locked = tallies.lock_learners(sorted({enrolment_id for enrolment_id, _item_id in pairs}))
    pairs = db.session.execute(reaching.where(QuizAttempt.enrolment_id.in_(locked))).all()
    items = {item.id: item for item in db.session.scalars(
        sa.select(CourseItem).where(CourseItem.id.in_({item_id for _enrolment_id, item_id in pairs})))}
    for enrolment_id, item_id in pairs:
        db.session.add(ItemCompletion(enrolment_id=enrolment_id, item_id=item_id, source="pass_mark", completed_at=now))
    db.session.flush()
    tally = tallies.Tally(run.id)
    for enrolment_id, item_id in pairs:
        tallies.completion_added(tally, enrolment_id, items[item_id])
    for enrolment_id in sorted({enrolment_id for enrolment_id, _item_id in pairs}):
        check_completion(db.session.get(Enrolment, enrolment_id), now=now, tally=tally)
    tally.apply()
    return len(pairs)


def check_completion(enrolment: Enrolment, now: datetime | None = None, tally: tallies.Tally | None = None) -> bool:
    """Mark the course completed when the run's rule is met (called on progress and on sheet submission).

    A run that requires the fiche produit wants it sent for review; the sheets domain sends none without its
    five parts answered, so « sent » means « the five parts answered, then sent ». One conditional UPDATE: of
    two requests completing it at once, one completes it (counted, emailed), the other finds it done.
    `tally`: the caller's, applied by the caller (else applied here)."""
    if enrolment.completed_at is not None:
        return True
    if queries.remaining_items(enrolment) > 0:
        return False
    if enrolment.run.requires_sheet and enrolment.sheet_sent_at is None:
        return False
    now = now or utcnow()
    db.session.flush()
    state = db.session.execute(
        sa.update(Enrolment).where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None))
        .values(completed_at=now, attestation_code=new_attestation_code(), attestation_name=enrolment.user.full_name)
        .returning(Enrolment.state).execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    db.session.refresh(enrolment)
    if state is None:
        return True
    if state == EnrolmentState.ACTIVE:  # an unenrolled learner's completion counts when she comes back
        own = tally or tallies.Tally(enrolment.run_id)
        own.day(tallies.paris_date(now), completed=1)
        if tally is None:
            own.apply()
    emails.queue_course_completed(enrolment)
    db.session.flush()
    return True


def record_sheet_sent(enrolment_id: int, *, sent: bool, now: datetime | None = None) -> None:
    """What the sheets domain tells a course: the learner's fiche produit is now sent for review (`sent`), or
    back to a draft. A run may require it as the last step, so sending it may complete the course."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None:
        return
    now = now or utcnow()
    if not sent:
        enrolment.sheet_sent_at = None
        return
    if enrolment.sheet_sent_at is None:
        enrolment.sheet_sent_at = now
    check_completion(enrolment, now=now)


def record_sheet_parts(enrolment_id: int, *, answered, now: datetime | None = None) -> None:
    """What the sheets domain tells a course after each save of the learner's fiche produit: the numbers of
    the sequences whose part is now answered. A part answered before keeps its date; a part emptied again
    is no longer answered."""
    answered = set(answered)
    now = now or utcnow()
    known = {row.sequence_number: row for row in db.session.scalars(
        sa.select(EnrolmentSheetPart).where(EnrolmentSheetPart.enrolment_id == enrolment_id))}
    for number, row in known.items():
        if number not in answered:
            db.session.delete(row)
    for number in sorted(answered - set(known)):
        db.session.add(EnrolmentSheetPart(enrolment_id=enrolment_id, sequence_number=number, answered_at=now))
    db.session.flush()


# --- Messages -----------------------------------------------------------------------------------------


def send_bulk_email(run: CourseRun, *, actor, audience: str, subject: str, body: str, stalled_days: int = 14,
                    submission_key: str | None = None, now: datetime | None = None) -> RunBulkEmail:
    """Write to an audience of the run; the record says who sent what to how many. The messages themselves
    are written by a job (write_bulk_messages): for 10,000 learners, rendering them would hold the request
    for seconds.

    Idempotent per rendered form: the same `submission_key` again (double click, replay) sends nothing and
    returns the first record.
    """
    earlier = earlier_submission(RunBulkEmail, submission_key, lock=(CourseRun, run.id), sender_id=actor.id)
    if earlier is not None:
        return earlier
    now = now or utcnow()
    record = RunBulkEmail(run_id=run.id, sender_id=actor.id, audience=audience,
                          stalled_days=stalled_days if audience == "stalled" else None, subject=subject.strip(),
                          body=body.strip(), submission_key=submission_key, sent_at=now,
                          recipient_count=queries.count_learners_for_audience(run, audience, _stalled_since(stalled_days, now)))
    db.session.add(record)
    db.session.flush()
    jobs.defer(WRITE_BULK_MESSAGES, bulk_email_id=record.id)
    return record


WRITE_BULK_MESSAGES = "courses.write_bulk_messages"


def _stalled_since(stalled_days: int | None, sent_at: datetime) -> datetime:
    return sent_at - timedelta(days=stalled_days or 0)


def write_bulk_messages(bulk_email_id: int, *, now: datetime | None = None) -> int:
    """The job of send_bulk_email: one message per learner of the audience (as it is when the job runs), in
    the outbox. Run again (a retry, a second worker), it finds the messages written and writes none."""
    lock_for_update(RunBulkEmail, bulk_email_id)
    record = db.session.get(RunBulkEmail, bulk_email_id, populate_existing=True)
    if record is None or record.written_at is not None:
        return 0
    recipients = queries.learners_for_audience(db.session.get(CourseRun, record.run_id), record.audience,
                                               _stalled_since(record.stalled_days, record.sent_at))
    for enrolment in recipients:
        emails.queue_bulk_message(enrolment, record.subject, record.body)
    record.recipient_count = len(recipients)
    record.written_at = now or utcnow()
    db.session.flush()
    return len(recipients)


def save_run(course: Course, *, run: CourseRun | None = None, **values) -> CourseRun:
    """Refused (InvalidRunWindow) when the resulting windows could not work (see check_run_windows)."""
    check_run_windows(**{name: values[name] if name in values else getattr(run, name, None) for name in RUN_WINDOW_FIELDS})
    if run is None:
        run = CourseRun(course_id=course.id)
        db.session.add(run)
    changed = assign_changed(run, values)
    db.session.flush()
    if "quiz_pass_mark" in changed:
        complete_passed_quizzes(run)
    return run
