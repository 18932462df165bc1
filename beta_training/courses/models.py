import unicodedata
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from beta_training.core.models import TimestampMixin, UTCDateTime
from beta_training.core.templating import format_file_size
from beta_training.extensions import db


class Course(TimestampMixin, db.Model):
    __tablename__ = "courses"

    def can_manage(self, user) -> bool:
        return bool(user is not None and user.is_authenticated and user.has_any_role("trainer", "course_lead"))

    def can_read_resources(self, user, now: datetime) -> bool:
        """Staff, or a learner enrolled in a run of this course whose access has started (and stays after it
        ends: the course becomes read-only, not hidden)."""
        if self.can_manage(user):
            return True
        if user is None or not user.is_authenticated:
            return False
        return bool(db.session.scalar(sa.select(sa.exists().where(
            Enrolment.user_id == user.id, Enrolment.state == EnrolmentState.ACTIVE, Enrolment.run_id == CourseRun.id,
            CourseRun.course_id == self.id, CourseRun.access_starts_at <= now,
        ))))

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    partners: Mapped[str] = mapped_column(sa.String(200), default="")
    published: Mapped[bool] = mapped_column(default=False)
    # The presentation page: what the course is (Markdown), and the facts a learner weighs before enrolling.
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    video_minutes: Mapped[int | None]  # total length of the videos, shown rounded (« environ 1 h 30 »)
    prerequisites: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    @property
    def video_duration(self) -> str:
        """« 1 h 30 », « 2 h », « 45 min »: the length of the videos, as the course presents it."""
        hours, minutes = divmod(self.video_minutes or 0, 60)
        if not hours:
            return _("%(m)s min", m=minutes)
        return _("%(h)s h %(m)02d", h=hours, m=minutes) if minutes else _("%(h)s h", h=hours)

    modules: Mapped[list["CourseModule"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseModule.position", lazy="raise_on_sql"
    )
    runs: Mapped[list["CourseRun"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseRun.access_starts_at", lazy="raise_on_sql"
    )


class CourseRun(TimestampMixin, db.Model):
    """A session of a course with its own registration and access windows."""

    __tablename__ = "course_runs"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "slug", name="uq_course_runs_course_slug"),
        sa.CheckConstraint("registration_closes_at > registration_opens_at", name="registration_window_ordered"),
        sa.CheckConstraint("access_ends_at > access_starts_at", name="access_window_ordered"),
        sa.CheckConstraint("quiz_pass_mark IS NULL OR (quiz_pass_mark >= 1 AND quiz_pass_mark <= 100)",
                           name="quiz_pass_mark_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(60))
    name: Mapped[str] = mapped_column(sa.String(120))
    registration_opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registration_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    access_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    access_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Completion rule: every item, and (if set) the fiche produit, its five parts answered, sent for review as
    # the last step.
    requires_sheet: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Who signs the attestations of the run (the course lead, as a rule): a name and a role; none: the team.
    signatory_name: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    signatory_role: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    # The share of right answers (%) every quiz needs for the course to be completed; None: the quizzes are
    # self-assessment, any attempt counts.
    quiz_pass_mark: Mapped[int | None]

    course: Mapped[Course] = relationship(back_populates="runs")

    def quiz_passed(self, correct: int, total: int) -> bool:
        """An attempt with `correct` right answers out of `total` reaches the pass mark (any attempt does when
        there is none). Compared exactly: 2 out of 3 (66.7 %) does not reach 67 %."""
        return self.quiz_pass_mark is None or correct * 100 >= self.quiz_pass_mark * total

    def is_registration_open(self, now: datetime) -> bool:
        return self.registration_opens_at <= now < self.registration_closes_at

    def is_accessible(self, now: datetime) -> bool:
        return self.access_starts_at <= now < self.access_ends_at

    def is_read_only(self, now: datetime) -> bool:
        """After the access window: content stays visible, nothing new is recorded."""
        return now >= self.access_ends_at

    def can_manage(self, user) -> bool:
        return bool(user is not None and user.is_authenticated and user.has_any_role("trainer", "course_lead"))


class CourseModule(db.Model):
    """A part of the course. Numbered modules (Module 1, 2…) hold numbered sequences; an unnumbered one
    (number None: the introduction, « Documents utiles ») holds unnumbered parts."""

    __tablename__ = "course_modules"
    __table_args__ = (sa.UniqueConstraint("course_id", "position", name="uq_course_modules_course_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    number: Mapped[int | None]
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")

    course: Mapped[Course] = relationship(back_populates="modules")
    sequences: Mapped[list["Sequence"]] = relationship(
        back_populates="module", cascade="all, delete-orphan", order_by="Sequence.position", lazy="raise_on_sql"
    )

    @property
    def label(self) -> str:
        """« Module 1 : … »; an unnumbered part (the introduction, « Documents utiles ») is its title."""
        return self.title if self.number is None else _("Module %(n)s : %(title)s", n=self.number, title=self.title)

    @property
    def short_label(self) -> str:
        """« Module 1 », or the title of an unnumbered part (progress bars, charts)."""
        return self.title if self.number is None else _("Module %(n)s", n=self.number)


class Sequence(db.Model):
    """Numbered across the course (Séquence 1 … 5), ordered inside its module; the parts of an unnumbered
    module are unnumbered (number None)."""

    __tablename__ = "sequences"
    __table_args__ = (sa.UniqueConstraint("module_id", "position", name="uq_sequences_module_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("course_modules.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    number: Mapped[int | None]
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")

    module: Mapped[CourseModule] = relationship(back_populates="sequences")
    items: Mapped[list["CourseItem"]] = relationship(
        back_populates="sequence", cascade="all, delete-orphan", order_by="CourseItem.position", lazy="raise_on_sql"
    )

    @property
    def label(self) -> str:
        """« Séquence 3 : … »; an unnumbered part is its title."""
        return self.title if self.number is None else _("Séquence %(n)s : %(title)s", n=self.number, title=self.title)

    @property
    def export_name(self) -> str:
        """Its name in CSV exports: « sequence_3 », or an unnumbered part's title in ASCII (« documents_utiles »)."""
        if self.number is not None:
            return f"sequence_{self.number}"
        ascii_title = unicodedata.normalize("NFKD", self.title).encode("ascii", "ignore").decode().lower()
        return "_".join("".join(c if c.isalnum() else " " for c in ascii_title).split())

    @property
    def short_label(self) -> str:
        """« Séquence 3 », or the title of an unnumbered part (progress bars, charts)."""
        return self.title if self.number is None else _("Séquence %(n)s", n=self.number)


# --- Content items -----------------------------------------------------------------------------------


class ItemKind(StrEnum):
    VIDEO = "video"
    TEXT = "text"
    TESTIMONIAL = "testimonial"
    RESOURCE = "resource"
    QUIZ = "quiz"


ITEM_KIND_LABELS = {
    ItemKind.VIDEO: _l("Vidéo"),
    ItemKind.TEXT: _l("Texte"),
    ItemKind.TESTIMONIAL: _l("Témoignage"),
    ItemKind.RESOURCE: _l("Ressource"),
    ItemKind.QUIZ: _l("Quiz d’auto-évaluation"),
}

ITEM_KIND_ICONS = {
    ItemKind.VIDEO: "fr-icon-play-circle-line",
    ItemKind.TEXT: "fr-icon-file-text-line",
    ItemKind.TESTIMONIAL: "fr-icon-chat-3-line",
    ItemKind.RESOURCE: "fr-icon-download-line",
    ItemKind.QUIZ: "fr-icon-question-answer-line",
}


class CourseItem(TimestampMixin, db.Model):
    """One step of a sequence. `key` identifies it in the content folder (import/export)."""

    __tablename__ = "course_items"
    __table_args__ = (
        sa.UniqueConstraint("sequence_id", "position", name="uq_course_items_sequence_position"),
        sa.UniqueConstraint("course_id", "key", name="uq_course_items_course_key"),
        # Accessibility: a video always has its transcript within reach, as text here or as a link (a PDF).
        sa.CheckConstraint("kind != 'video' OR (video_url != '' AND (transcript != '' OR transcript_url != ''))",
                           name="video_has_transcript"),
        sa.CheckConstraint("max_attempts IS NULL OR max_attempts >= 1", name="max_attempts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")  # text lesson, quote, resource description or question
    video_url: Mapped[str] = mapped_column(sa.String(500), default="")
    duration_seconds: Mapped[int | None]
    transcript: Mapped[str] = mapped_column(sa.Text, default="")
    transcript_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    # A video where someone tells their own story (« Témoignage »), with person_name and person_role.
    is_testimony: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    subtitles_url: Mapped[str] = mapped_column(sa.String(500), default="")
    person_name: Mapped[str] = mapped_column(sa.String(200), default="")
    person_role: Mapped[str] = mapped_column(sa.String(200), default="")
    resource_url: Mapped[str] = mapped_column(sa.String(500), default="")
    # The size of the document a resource links to on another site, when it was checked (e.g. from the site's
    # public repository): a DSFR download link says its type and its size. None: unknown, and not guessed.
    resource_size_bytes: Mapped[int | None]
    max_attempts: Mapped[int | None]  # a quiz's attempts per learner; None: as many as they like

    sequence: Mapped["Sequence"] = relationship(back_populates="items")
    resource_file: Mapped["ResourceFile | None"] = relationship(
        back_populates="item", cascade="all, delete-orphan", lazy="selectin"
    )
    # A quiz's questions and all their choices, each loaded for every item at once (two queries per outline,
    # whatever the number of quizzes); QuizQuestion.choices picks its own among them.
    questions: Mapped[list["QuizQuestion"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="QuizQuestion.position", lazy="selectin"
    )
    choices: Mapped[list["QuizChoice"]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="QuizChoice.position", lazy="selectin"
    )

    @property
    def kind_label(self) -> str:
        if self.kind == ItemKind.VIDEO and self.is_testimony:
            return str(ITEM_KIND_LABELS[ItemKind.TESTIMONIAL])
        return str(ITEM_KIND_LABELS[ItemKind(self.kind)])

    @property
    def icon(self) -> str:
        return ITEM_KIND_ICONS[ItemKind(self.kind)]

    @property
    def resource_link_detail(self) -> str:
        """What a link to another site leads to, as DSFR links say it: « PDF – 389 ko – site beta.gouv.fr »
        when its size was given (checked where the file is published), « PDF – site beta.gouv.fr » otherwise:
        a size we could not check would be a guess."""
        size = self.resource_size_bytes if self.resource_link_is_document else None
        return link_detail(self.resource_url, size)

    @property
    def resource_link_is_document(self) -> bool:
        return _linked_extension(self.resource_url) in LINKED_DOCUMENT_TYPES

    @property
    def transcript_link_detail(self) -> str:
        return link_detail(self.transcript_url)

    @property
    def video_host(self) -> str:
        """« dailymotion.com »: who serves an embedded player."""
        return (urlsplit(self.video_url).hostname or "").removeprefix("www.")

    @property
    def is_embed(self) -> bool:
        """Files (.mp4, .webm) play in a <video>; anything else is an embed (PeerTube, Dailymotion…)."""
        return not self.video_url.lower().split("?")[0].endswith((".mp4", ".webm", ".ogv"))


LINKED_DOCUMENT_TYPES = ("pdf", "odt", "ods", "odp", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "csv", "zip")


def _linked_extension(url: str) -> str:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.rpartition(".")[2].lower() if "." in name else ""


def link_detail(url: str, size_bytes: int | None = None) -> str:
    """« PDF – site beta.gouv.fr » for a document (« PDF – 389 ko – site beta.gouv.fr » with its size),
    « Page web – site fondapol.org » for a page."""
    extension = _linked_extension(url)
    kind = extension.upper() if extension in LINKED_DOCUMENT_TYPES else _("Page web")
    if size_bytes and extension in LINKED_DOCUMENT_TYPES:
        kind = f"{kind} – {format_file_size(size_bytes)}"
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return _("%(kind)s – site %(host)s", kind=kind, host=host) if host else kind


class ResourceFile(db.Model):
    """The downloadable file of a resource item. Kept in the database with its item, so a course (and its
    backups) is one consistent thing; `data` is deferred, only the download reads it."""

    __tablename__ = "resource_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("course_items.id", ondelete="CASCADE"), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(160))
    content_type: Mapped[str] = mapped_column(sa.String(120))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    item: Mapped[CourseItem] = relationship(back_populates="resource_file")

    @property
    def extension(self) -> str:
        return self.filename.rsplit(".", 1)[-1].upper()


class QuizQuestion(db.Model):
    """One question of a quiz, answered by one of its choices. A quiz of one question may leave `text` empty:
    the item's body asks it (as every quiz did before quizzes had several questions)."""

    __tablename__ = "quiz_questions"
    __table_args__ = (sa.UniqueConstraint("item_id", "position", name="uq_quiz_questions_item_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("course_items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    item: Mapped[CourseItem] = relationship(back_populates="questions")

    @property
    def choices(self) -> list["QuizChoice"]:
        return [choice for choice in self.item.choices if choice.question_id == self.id]

    @property
    def correct_choices(self) -> list["QuizChoice"]:
        return [choice for choice in self.choices if choice.is_correct]


class QuizChoice(db.Model):
    """A possible answer to a question; `position` runs across the whole quiz."""

    __tablename__ = "quiz_choices"
    __table_args__ = (sa.UniqueConstraint("item_id", "position", name="uq_quiz_choices_item_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("course_items.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(sa.String(500))
    is_correct: Mapped[bool] = mapped_column(default=False)
    feedback: Mapped[str] = mapped_column(sa.Text, default="")

    item: Mapped[CourseItem] = relationship(back_populates="choices")
    question: Mapped[QuizQuestion] = relationship()  # many-to-one: also orders deletes (choices first)


# --- Learners -----------------------------------------------------------------------------------------


class EnrolmentState(StrEnum):
    ACTIVE = "active"
    UNENROLLED = "unenrolled"


ENROLMENT_TRANSITIONS = {
    EnrolmentState.ACTIVE: {EnrolmentState.UNENROLLED},
    EnrolmentState.UNENROLLED: {EnrolmentState.ACTIVE},  # coming back picks up the progress kept
}


class Enrolment(TimestampMixin, db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (sa.UniqueConstraint("run_id", "user_id", name="uq_enrolments_run_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("course_runs.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(sa.String(20), default=EnrolmentState.ACTIVE, index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attestation_code: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    # The learner's name as it was when the course was completed: what the attestation and its verification
    # page print, whatever the account is renamed to later (a document already handed out stays true).
    attestation_name: Mapped[str | None] = mapped_column(sa.String(201))
    # Since when the learner's fiche produit is sent for review (None: a draft, or none yet). The sheets
    # domain tells it (courses.services.record_sheet_sent): courses never read the sheets' tables.
    sheet_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    run: Mapped[CourseRun] = relationship(lazy="joined", innerjoin=True)
    user = relationship("User", lazy="joined", innerjoin=True)

    @property
    def is_active(self) -> bool:
        return self.state == EnrolmentState.ACTIVE

    def can_view(self, user) -> bool:
        if user is None or not user.is_authenticated:
            return False
        return user.id == self.user_id or self.run.can_manage(user)


class EnrolmentSheetPart(db.Model):
    """A part of the learner's fiche produit is answered: the part that follows sequence `sequence_number`.
    The sheets domain tells it (courses.services.record_sheet_parts) and takes it back when the part is
    emptied again; the outline ticks it. Courses never read the sheets' tables."""

    __tablename__ = "enrolment_sheet_parts"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "sequence_number", name="uq_enrolment_sheet_parts_enrolment_sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    sequence_number: Mapped[int]
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ItemCompletion(db.Model):
    """An item done by a learner: recorded once (unique), whatever the number of events."""

    __tablename__ = "item_completions"
    __table_args__ = (sa.UniqueConstraint("enrolment_id", "item_id", name="uq_item_completions_enrolment_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("course_items.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(sa.String(20))  # opened | video | button | quiz | pass_mark
    # The answer of a quiz completed before attempts were recorded (kept as history; see QuizAttempt).
    choice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz_choices.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class QuizAttempt(db.Model):
    """One submission of a quiz by a learner: every attempt is kept, the best score counts.

    A quiz is done (an ItemCompletion) once an attempt reaches the run's pass mark, or at the first attempt
    when the run has none. `submission_key` is the rendered form's: a double submit records one attempt."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        sa.UniqueConstraint("enrolment_id", "item_id", "number", name="uq_quiz_attempts_enrolment_item_number"),
        sa.UniqueConstraint("enrolment_id", "submission_key", name="uq_quiz_attempts_enrolment_submission"),
        sa.CheckConstraint("correct >= 0 AND correct <= total", name="correct_within_total"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("course_items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1, 2, 3… per learner and quiz
    correct: Mapped[int]
    total: Mapped[int]
    score: Mapped[int]  # round(100 × correct / total), for display and averages
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submission_key: Mapped[str | None] = mapped_column(sa.String(40))

    answers: Mapped[list["QuizAnswer"]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="QuizAnswer.id", lazy="selectin"
    )


class QuizAnswer(db.Model):
    """The choice given to one question in an attempt. A quiz edited later loses its old questions and
    choices (set to NULL here): the attempt keeps its score."""

    __tablename__ = "quiz_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz_questions.id", ondelete="SET NULL"), index=True)
    choice_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz_choices.id", ondelete="SET NULL"), index=True)
    is_correct: Mapped[bool]

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class CourseInvitation(db.Model):
    """An email invited by a trainer; the account with that address is enrolled when it opens the course."""

    __tablename__ = "course_invitations"
    __table_args__ = (sa.UniqueConstraint("run_id", "email", name="uq_course_invitations_run_email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("course_runs.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    run: Mapped[CourseRun] = relationship(lazy="joined", innerjoin=True)


class RunBulkEmail(db.Model):
    """One grouped email to the learners of a run: who sent it, to which audience, what. The form's one-time
    key makes a double submit send it once (the second click finds this row)."""

    __tablename__ = "course_run_bulk_emails"
    __table_args__ = (sa.UniqueConstraint("sender_id", "submission_key", name="uq_course_run_bulk_emails_sender_submission"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("course_runs.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    audience: Mapped[str] = mapped_column(sa.String(20))
    stalled_days: Mapped[int | None]  # the « sans activité depuis N jours » audience only
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    recipient_count: Mapped[int]
    submission_key: Mapped[str | None] = mapped_column(sa.String(40))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the job wrote the messages to the outbox (None: not yet; see services.write_bulk_messages).
    written_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sender = relationship("User", lazy="joined")


# --- The trainers' dashboard, counted as progress is recorded ----------------------------------------------
# Derived from the facts above (enrolments, completions, attempts) and kept in step with them, in the same
# transaction, by the services that change them (courses/tallies.py); recompute_dashboard() rebuilds them from
# the facts. The dashboard reads these few rows instead of counting 100,000 learners at every view.


class RunDayCount(db.Model):
    """Per run and Paris day, among the run's active enrolments: how many enrolled that day, had their last
    activity that day, completed the course that day."""

    __tablename__ = "course_run_day_counts"

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("course_runs.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    enrolled: Mapped[int] = mapped_column(default=0, server_default="0")
    last_active: Mapped[int] = mapped_column(default=0, server_default="0")
    completed: Mapped[int] = mapped_column(default=0, server_default="0")


class RunSequenceCount(db.Model):
    """Per run and sequence: active learners who have done at least one of its items (started), all of them
    (finished)."""

    __tablename__ = "course_run_sequence_counts"

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("course_runs.id", ondelete="CASCADE"), primary_key=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    started: Mapped[int] = mapped_column(default=0, server_default="0")
    finished: Mapped[int] = mapped_column(default=0, server_default="0")


class RunQuizCount(db.Model):
    """Per run and quiz, among active learners: who tried it, the sum of their best scores and of their
    attempts (the dashboard divides), and who has it done."""

    __tablename__ = "course_run_quiz_counts"

    run_id: Mapped[int] = mapped_column(sa.ForeignKey("course_runs.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("course_items.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    learners: Mapped[int] = mapped_column(default=0, server_default="0")
    best_total: Mapped[int] = mapped_column(default=0, server_default="0")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    done: Mapped[int] = mapped_column(default=0, server_default="0")


class EnrolmentSequenceCount(db.Model):
    """How many items of a sequence a learner has done (whatever her enrolment's state): tells, as she does
    one more, whether she has just started or finished it, without counting her completions again."""

    __tablename__ = "enrolment_sequence_counts"

    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="CASCADE"), primary_key=True)
    sequence_id: Mapped[int] = mapped_column(sa.ForeignKey("sequences.id", ondelete="CASCADE"), primary_key=True,
                                             index=True)
    done: Mapped[int] = mapped_column(default=0, server_default="0")
