"""The course's modules, sequences and items are kept per process (issue #16): read once, then given again
until a write that changes them bumps their generation in its own transaction. One test per kind of write;
a learner's own progress is never part of what is kept."""

import dataclasses

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from beta_training.accounts.models import Role
from beta_training.core.models import PageGeneration
from beta_training.courses import queries, services
from beta_training.courses.models import CourseItem, CourseModule, Sequence
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_enrolment, make_mooc, make_user


@pytest.fixture
def mooc(app):
    with app.test_request_context():
        course, run = make_mooc(sequences=(2, 1), kinds=("text", "video", "resource"))
        db.session.commit()
        yield course, run


def _shape(structure) -> list:
    return [(module.label, [(sequence.label, [(item.key, item.title, item.resource_file and item.resource_file.filename)
                                              for item in sequence.items]) for sequence in module.sequences])
            for module in structure.modules]


def _changed_by(course, write) -> tuple[list, list]:
    """The kept structure before and after `write()` and its commit; checks that it was kept before."""
    before = queries.course_structure(course.id)
    assert queries.course_structure(course.id) is before  # kept: not read again
    write()
    db.session.commit()
    db.session.expire_all()
    after = queries.course_structure(course.id)
    return _shape(before), _shape(after)


def _outline(course):
    return queries.get_course_outline(course.slug)


def test_kept_until_something_changes_and_read_in_one_query(mooc, count_queries):
    course, _run = mooc
    first = queries.course_structure(course.id)
    with count_queries() as counter:
        assert queries.course_structure(course.id) is first
    assert counter.count == 1 and "page_cache_generations" in counter.statements[0]
    # Another course's write (a progress, a run) does not retire it either.
    services.record_progress(make_enrolment(mooc[1]), _outline(course).modules[0].sequences[0].items[0], source="button")
    db.session.commit()
    assert queries.course_structure(course.id) is first


def test_what_is_kept_is_frozen_plain_data(mooc):
    course, _run = mooc
    structure = queries.course_structure(course.id)
    item = structure.modules[0].sequences[0].items[2]
    assert item.resource_file is None and item.kind == "resource" and item.icon == "fr-icon-download-line"
    for kept in (structure, structure.modules[0], structure.modules[0].sequences[0], item):
        with pytest.raises(sa.exc.NoInspectionAvailable):
            sa.inspect(kept)  # no ORM object: nothing to lazy-load, nothing a session could take
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(kept, "course_id" if kept is structure else "title", "Changé")
    assert isinstance(structure.modules, tuple) and isinstance(structure.modules[0].sequences[0].items, tuple)


def test_a_module_added(mooc):
    course, _run = mooc
    before, after = _changed_by(course, lambda: services.add_module(course, title="Ouvrir son service"))
    assert after == before + [("Module 3 : Ouvrir son service", [])]


def test_a_sequence_added(mooc):
    course, _run = mooc
    module = _outline(course).modules[1]
    before, after = _changed_by(course, lambda: services.add_sequence(module, title="Mesurer"))
    assert after[1][1][-1] == ("Séquence 4 : Mesurer", []) and after[0] == before[0]


def test_a_module_renamed(mooc):
    course, _run = mooc
    module = _outline(course).modules[0]
    _before, after = _changed_by(course, lambda: services.rename(module, title="Découvrir"))
    assert after[0][0] == "Module 1 : Découvrir"


def test_a_sequence_renamed(mooc):
    course, _run = mooc
    sequence = _outline(course).modules[0].sequences[1]
    _before, after = _changed_by(course, lambda: services.rename(sequence, title="Tester"))
    assert after[0][1][1][0] == "Séquence 2 : Tester"


def test_an_item_added(mooc):
    course, _run = mooc
    sequence = _outline(course).modules[0].sequences[0]
    _before, after = _changed_by(course, lambda: services.add_item(course, sequence, key="s1-nouveau", kind="text",
                                                                    title="Nouveau", body="Lire."))
    assert after[0][1][0][1][-1] == ("s1-nouveau", "Nouveau", None)


def test_an_item_edited(mooc):
    course, _run = mooc
    sequence = _outline(course).modules[0].sequences[0]
    _before, after = _changed_by(course, lambda: services.save_item(sequence, key="s1-text", kind="text",
                                                                     title="Relu", body="Relu."))
    assert after[0][1][0][1][0] == ("s1-text", "Relu", None)


def test_an_item_moved(mooc):
    course, _run = mooc
    item = _outline(course).modules[0].sequences[0].items[0]
    before, after = _changed_by(course, lambda: services.move_item(item, 1))
    first, second, third = before[0][1][0][1]
    assert after[0][1][0][1] == [second, first, third]


def test_an_item_deleted(mooc):
    course, _run = mooc
    item = _outline(course).modules[1].sequences[0].items[1]
    before, after = _changed_by(course, lambda: services.delete_item(item))
    assert [key for key, _title, _file in after[1][1][0][1]] == ["s3-text", "s3-resource"]
    assert after[0] == before[0]


def test_a_file_attached_then_removed(mooc):
    course, _run = mooc
    item = _outline(course).modules[0].sequences[0].items[2]
    _before, after = _changed_by(course, lambda: services.attach_resource_file(
        item, filename="modele.odt", data=b"PK\x03\x04 une fiche", max_bytes=1024))
    assert after[0][1][0][1][2] == ("s1-resource", item.title, "modele.odt")
    item = _outline(course).modules[0].sequences[0].items[2]
    _before, after = _changed_by(course, lambda: services.detach_resource_file(item))
    assert after[0][1][0][1][2] == ("s1-resource", item.title, None)


def test_a_bulk_update_outside_the_orm(mooc):
    """A statement (no flush sees it) bumps the generation too."""
    course, _run = mooc
    _before, after = _changed_by(course, lambda: db.session.execute(
        sa.update(CourseItem).where(CourseItem.key == "s3-video").values(title="Vidéo revue")))
    assert after[1][1][0][1][1] == ("s3-video", "Vidéo revue", None)


def test_a_write_rolled_back_changes_nothing_kept(mooc):
    course, _run = mooc
    def generation():
        return db.session.scalar(sa.select(PageGeneration.generation).where(PageGeneration.page == queries.STRUCTURE))

    kept, counted = queries.course_structure(course.id), generation()
    services.rename(_outline(course).modules[0], title="Jamais")
    db.session.rollback()
    assert queries.course_structure(course.id) is kept and generation() == counted


# --- Through the pages ------------------------------------------------------------------------------------


def test_a_learner_sees_a_sequence_renamed_by_the_course_lead(client, app):
    course, run = make_mooc(sequences=(1,), kinds=("text", "video"))
    learner = make_enrolment(run).user
    lead = make_user(roles=[Role.COURSE_LEAD])
    sequence_id = db.session.scalar(sa.select(Sequence.id).join(CourseModule).where(CourseModule.course_id == course.id))
    db.session.commit()
    login(client, learner)
    assert "Séquence 1 : Séquence 1" in client.get(f"/mooc/{course.slug}/{run.slug}/progression").text
    login(client, lead)
    assert client.post(f"/mooc/gestion/{course.id}/sequences/{sequence_id}", data={"title": "Prototyper"}).status_code == 302
    login(client, learner)
    for url in (f"/mooc/{course.slug}/{run.slug}/progression", f"/mooc/{course.slug}/{run.slug}/contenu/s1-video",
                f"/mooc/{course.slug}?run={run.slug}"):
        page = client.get(url).text
        assert "Prototyper" in page and "Séquence 1 : Séquence 1" not in page, url


def _ticked(client, url) -> set[str]:
    """The outline's rows marked done (the course page) or the side menu's links marked done (an item page)."""
    soup = BeautifulSoup(client.get(url).text, "html.parser")
    rows = soup.select("[id^=outline-item-]") or soup.select(".fr-sidemenu__link")
    return {" ".join((row.a or row).get_text(" ").split()).removesuffix(" (terminé)") for row in rows if row.select(".bt-done")}


def _course_bar(client, url) -> tuple[str, str]:
    bar = BeautifulSoup(client.get(url).text, "html.parser").find(id="progress-course")
    return bar["value"], bar["max"]


def test_one_learners_progress_never_shows_in_anothers_pages(client, app):
    course, run = make_mooc(sequences=(1, 1), kinds=("text", "video"))
    first, second, newcomer = make_enrolment(run), make_enrolment(run), make_enrolment(run)
    items = {item.key: item for item in queries.ordered_items(_outline(course))}
    with app.test_request_context():
        services.record_progress(first, items["s1-text"], source="button")
        services.record_progress(second, items["s2-video"], source="button")
        services.record_progress(second, items["s2-text"], source="button")
        db.session.commit()
    outline, progress = f"/mooc/{course.slug}?run={run.slug}", f"/mooc/{course.slug}/{run.slug}/progression"
    expected = ((first, {"S1 text"}, ("1", "4")), (second, {"S2 text", "S2 video"}, ("2", "4")), (newcomer, set(), ("0", "4")))
    for _round in range(2):  # the second round with the structure kept
        for enrolment, done, percent in expected:
            login(client, enrolment.user)
            assert _ticked(client, outline) == done
            assert _ticked(client, f"/mooc/{course.slug}/{run.slug}/contenu/s2-video") == done & {"S2 text", "S2 video"}
            assert _course_bar(client, progress) == percent


def test_a_kept_outline_reads_none_of_the_structure_again(client, count_queries):
    course, run = make_mooc(sequences=(2, 1), kinds=("text", "video", "quiz"))
    learner = make_enrolment(run).user
    db.session.commit()
    login(client, learner)
    outline = f"/mooc/{course.slug}?run={run.slug}"
    with count_queries() as cold:
        assert client.get(outline).status_code == 200
    structure = ("FROM course_modules", "FROM sequences", "FROM course_items")
    assert all(any(table in statement for statement in cold.statements) for table in structure)
    for url in (outline, f"/mooc/{course.slug}/{run.slug}/progression", f"/mooc/{course.slug}/{run.slug}/contenu/s1-video"):
        with count_queries() as warm:
            assert client.get(url).status_code == 200
        # The item page reads its own item (one row of course_items), nothing else of the structure.
        reads = [statement for statement in warm.statements if any(table in statement for table in structure)]
        assert reads == ([] if "contenu" not in url else reads[:1]) and len(reads) <= 1, url
        if url == outline:
            assert warm.count == cold.count - 4  # modules, sequences, items, their files
