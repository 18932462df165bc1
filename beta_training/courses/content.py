"""A course as a folder of YAML and Markdown, so it can live in version control.

    <folder>/course.yml          course fields, runs, modules → sequences → item keys (in order); a module
                                 with `numbered: false` is an unnumbered part (an introduction, « Documents
                                 utiles »): it and its sequences are not counted in « Module N », « Séquence N »
    <folder>/items/<key>.md      one item: YAML front matter + Markdown body (the text lesson, the quote,
                                 the resource description, the quiz question, or a video's transcript); a quiz
                                 lists its `choices` (one question, asked by the body), or its `questions`, each
                                 with its `text` and `choices`; `max_attempts` limits its attempts
    <folder>/files/…             downloadable files of resources, named by `file:` in the item's front matter
"""

import shutil
from pathlib import Path

import sqlalchemy as sa
import yaml

from beta_training.core.models import from_paris, to_paris
from beta_training.core.streaming import BLOB_CHUNK_BYTES
from beta_training.courses import queries, services, tallies
from beta_training.courses.models import Course, CourseItem, CourseModule, ItemKind, Sequence
from beta_training.extensions import db

ITEM_FIELDS = ("kind", "title", "video_url", "duration_seconds", "transcript_url", "is_testimony", "subtitles_url",
               "person_name", "person_role", "resource_url", "resource_size_bytes", "max_attempts")
ITEM_DEFAULTS = {"duration_seconds": None, "is_testimony": False, "resource_size_bytes": None, "max_attempts": None}  # the others default to ""
COURSE_FIELDS = ("summary", "partners", "description", "video_minutes", "prerequisites")
RUN_DATES = ("registration_opens_at", "registration_closes_at", "access_starts_at", "access_ends_at")
RUN_FIELDS = ("signatory_name", "signatory_role")  # optional: who signs the run's attestations


class ContentError(Exception):
    pass


def _split_front_matter(text: str) -> tuple[dict, str]:
    if not text.startswith("---\n"):
        raise ContentError("an item file must start with a YAML front matter (---)")
    front, _, body = text[4:].partition("\n---\n")
    return yaml.safe_load(front) or {}, body.strip("\n")


def _body_field(kind: str) -> str:
    return "transcript" if kind == ItemKind.VIDEO else "body"


def import_course(folder: Path, prune: bool = False, max_file_bytes: int = 20 * 1024 * 1024) -> Course:
    """Create or update the course from `folder` (idempotent). With `prune`, items absent from the
    folder are deleted (with the learners' completions of them). When the items of a sequence or the quizzes
    change, the dashboard counts of the course's runs are recomputed, once."""
    folder = Path(folder).resolve()
    spec = yaml.safe_load((folder / "course.yml").read_text(encoding="utf-8"))
    course = services.upsert_course(
        slug=spec["slug"], title=spec["title"], published=bool(spec.get("published", False)),
        **{name: spec.get(name, None if name == "video_minutes" else "") for name in COURSE_FIELDS},
    )
    counted_content = tallies.content_signature(course.id)
    for run in spec.get("runs", ()):
        try:
            services.upsert_run(course, slug=run["slug"], name=run["name"],
                                **{name: from_paris(run[name]) for name in RUN_DATES},
                                **{name: run.get(name) or "" for name in RUN_FIELDS})
        except services.CourseError as error:
            raise ContentError(f"run {run['slug']}: {error}") from None
    keys = set()
    module_number = sequence_number = 0
    listed_sequences = {}  # module id → how many sequences the folder lists
    for module_position, module_spec in enumerate(spec["modules"], start=1):
        numbered = module_spec.get("numbered", True)
        if numbered:
            module_number += 1
        module = services.upsert_module(course, position=module_position, title=module_spec["title"],
                                        number=module_number if numbered else None, summary=module_spec.get("summary", ""))
        listed_sequences[module.id] = len(module_spec["sequences"])
        for sequence_position, sequence_spec in enumerate(module_spec["sequences"], start=1):
            if numbered:
                sequence_number += 1
            sequence = services.upsert_sequence(module, position=sequence_position,
                                                number=sequence_number if numbered else None,
                                                title=sequence_spec["title"], summary=sequence_spec.get("summary", ""))
            _place_items(sequence, sequence_spec.get("items", ()), folder, keys, max_file_bytes)
    if prune:
        for item in db.session.scalars(sa.select(CourseItem).where(CourseItem.course_id == course.id)):
            if item.key not in keys:
                db.session.delete(item)
        _prune_structure(course, listed_sequences)
    db.session.flush()
    if tallies.content_signature(course.id) != counted_content:
        tallies.recompute_course(course.id)
    return course


def _prune_structure(course: Course, listed_sequences: dict[int, int]) -> None:
    """Modules and sequences the folder no longer has (positions past its own), with what they hold (the
    database cascades to their items)."""
    db.session.flush()
    db.session.execute(sa.delete(Sequence).where(
        Sequence.module_id.in_(list(listed_sequences)),
        Sequence.position > sa.case(listed_sequences, value=Sequence.module_id),
    ))
    db.session.execute(sa.delete(CourseModule).where(CourseModule.course_id == course.id,
                                                     CourseModule.id.not_in(list(listed_sequences))))
    db.session.expire_all()


def _place_items(sequence, item_keys, folder: Path, seen: set, max_file_bytes: int) -> None:
    # Items that move (inside the sequence or from another one) first leave their positions, which
    # are unique; items already in place are not touched, so a re-import changes nothing.
    for offset, key in enumerate(item_keys, start=1):
        existing = db.session.scalar(sa.select(CourseItem).where(CourseItem.course_id == _course_id(sequence),
                                                                 CourseItem.key == key))
        if existing is not None and (existing.sequence_id, existing.position) != (sequence.id, offset):
            existing.position = -offset - 1000 * existing.sequence_id
    # Items of this sequence that the folder no longer lists (kept unless pruned) go after the listed ones.
    unlisted = db.session.scalars(sa.select(CourseItem).where(
        CourseItem.sequence_id == sequence.id, CourseItem.key.not_in(list(item_keys)), CourseItem.position > 0,
    ).order_by(CourseItem.position)).all()
    for extra, item in enumerate(unlisted, start=len(item_keys) + 1):
        if item.position != extra:
            item.position = -extra
    db.session.flush()
    for extra, item in enumerate(unlisted, start=len(item_keys) + 1):
        item.position = extra
    db.session.flush()
    for position, key in enumerate(item_keys, start=1):
        if key in seen:
            raise ContentError(f"item {key} is listed twice")
        seen.add(key)
        front, body = _split_front_matter((folder / "items" / f"{key}.md").read_text(encoding="utf-8"))
        kind = ItemKind(front["kind"])
        values = {name: front.get(name, ITEM_DEFAULTS.get(name, "")) for name in ITEM_FIELDS}
        values["kind"] = kind.value
        values["body"] = ""
        values["transcript"] = ""
        values[_body_field(kind)] = body
        upload = _resource_upload(folder, front["file"]) if front.get("file") else None
        try:
            item = services.save_item(sequence, key=key, position=position, choices=front.get("choices"),
                                      questions=front.get("questions"), upload=upload, remove_file=upload is None,
                                      max_file_bytes=max_file_bytes, recount=False, **values)
        except services.CourseError as error:
            raise ContentError(f"item {key}: {error}") from None
        if item.position != position:
            item.position = position
    db.session.flush()


def _resource_upload(folder: Path, relative: str) -> tuple[str, bytes]:
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise ContentError(f"resource file {relative} is not a file inside the course folder")
    return path.name, path.read_bytes()


def _course_id(sequence) -> int:
    return sequence.module.course_id


def export_course(course: Course, folder: Path) -> None:
    """Write the course to `folder` in the format import_course() reads."""
    course = queries.get_course_outline(course.slug)
    folder = Path(folder)
    (folder / "items").mkdir(parents=True, exist_ok=True)
    spec = {
        "slug": course.slug, "title": course.title, **{name: getattr(course, name) for name in COURSE_FIELDS},
        "published": course.published,
        "runs": [{"slug": run.slug, "name": run.name, **{name: to_paris(getattr(run, name)) for name in RUN_DATES},
                  **{name: getattr(run, name) for name in RUN_FIELDS}}
                 for run in course.runs],
        "modules": [
            {"title": module.title, **({} if module.number is not None else {"numbered": False}),
             "summary": module.summary, "sequences": [
                {"title": sequence.title, "summary": sequence.summary, "items": [item.key for item in sequence.items]}
                for sequence in module.sequences]}
            for module in course.modules
        ],
    }
    (folder / "course.yml").write_text(_yaml(_compact(spec)), encoding="utf-8")
    for item in queries.ordered_items(course):
        front = {name: _plain(getattr(item, name)) for name in ITEM_FIELDS
                 if getattr(item, name) not in ("", None) and getattr(item, name) is not False}
        if item.resource_file is not None:
            relative = f"files/{item.key}/{item.resource_file.filename}"
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            # A slice at a time, as downloads read it: a 20 MB file never sits whole in memory.
            with (queries.open_resource_file(item.resource_file, in_transaction=True) as source,
                  (folder / relative).open("wb") as target):
                shutil.copyfileobj(source, target, BLOB_CHUNK_BYTES)
            front["file"] = relative
        if item.kind == ItemKind.QUIZ:
            front.update(_quiz_front(item))
        text = "---\n" + _yaml(front) + "---\n" + getattr(item, _body_field(item.kind)) + "\n"
        (folder / "items" / f"{item.key}.md").write_text(text, encoding="utf-8")


def _quiz_front(item: CourseItem) -> dict:
    """`choices` for a quiz of one question asked by its body (as the course's quizzes are written), else
    `questions`."""
    def choices(question):
        return [{"text": c.text, "correct": c.is_correct, "feedback": c.feedback} for c in question.choices]

    if len(item.questions) == 1 and not item.questions[0].text:
        return {"choices": choices(item.questions[0])}
    return {"questions": [{"text": q.text, "choices": choices(q)} for q in item.questions]}


class _Dumper(yaml.SafeDumper):
    """Text of several lines (a course description) as a YAML block, readable and editable as written."""


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def _yaml(value) -> str:
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)


OPTIONAL_KEYS = ("summary", "runs", "partners", "description", "video_minutes", "prerequisites", "signatory_name",
                 "signatory_role")


def _plain(value):
    """Enum members as their plain string, for YAML."""
    return value.value if hasattr(value, "value") else value


def _compact(value):
    """Leave out empty summaries, lists and optional course fields, as a person writing the file would."""
    if isinstance(value, dict):
        return {k: _compact(v) for k, v in value.items() if not (k in OPTIONAL_KEYS and v in ("", [], None))}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value
