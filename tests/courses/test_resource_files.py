"""Downloadable resource files: what an author may upload, how the folder import carries them, and who may
download them — always as an attachment with a safe name."""

from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role
from beta_training.core.models import utcnow
from beta_training.courses import queries, services
from beta_training.courses.content import ContentError, export_course, import_course
from beta_training.courses.models import CourseItem, ResourceFile
from beta_training.extensions import db
from tests.conftest import login
from tests.factories import make_enrolment, make_mooc, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
MAX = 1024 * 1024


@pytest.fixture
def ctx(app):
    with app.test_request_context():  # messages are translated
        yield


@pytest.fixture
def resource(app):
    course, run = make_mooc(sequences=(1,), kinds=("text", "resource"))
    item = db.session.scalar(sa.select(CourseItem).where(CourseItem.kind == "resource"))
    return course, run, item


@pytest.mark.parametrize("filename,data,message", [
    ("page.html", b"<script>alert(1)</script>", "Type de fichier refusé"),
    ("logo.svg", b"<svg onload=alert(1)>", "Type de fichier refusé"),
    ("sans-extension", PDF, "Type de fichier refusé"),
    ("guide.pdf", b"<html>not a pdf</html>", "ne correspond pas à un fichier .pdf"),
    ("tableau.xlsx", PDF, "ne correspond pas à un fichier .xlsx"),
    ("vide.pdf", b"", "Le fichier est vide"),
    ("gros.pdf", PDF + b"0" * MAX, "Le fichier dépasse 1 Mo"),
    ("latin1.csv", "Intitulé;Valeur".encode("latin-1"), "UTF-8"),
])
def test_refused_files_say_why(ctx, filename, data, message):
    with pytest.raises(services.CourseError, match=message):
        services.check_resource_file(filename, data, MAX)


@pytest.mark.parametrize("given,kept", [
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("C:\\Users\\agent\\Guide Été.PDF", "Guide Été.pdf"),
    ('a"b<c>\r\nd.pdf', "abcd.pdf"),
    ("x" * 300 + ".pdf", "x" * 150 + ".pdf"),
])
def test_names_lose_folders_and_unsafe_characters(given, kept):
    assert services.clean_resource_filename(given) == kept


def test_attach_replace_and_detach(ctx, resource):
    _course, _run, item = resource
    first = services.attach_resource_file(item, filename="guide.pdf", data=PDF, max_bytes=MAX)
    uploaded_at = first.uploaded_at
    again = services.attach_resource_file(item, filename="guide.pdf", data=PDF, max_bytes=MAX, now=utcnow())
    assert again.id == first.id and again.uploaded_at == uploaded_at  # the same file again changes nothing
    services.attach_resource_file(item, filename="notes.txt", data="Été".encode(), max_bytes=MAX)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResourceFile)) == 1
    assert (item.resource_file.filename, item.resource_file.content_type) == ("notes.txt", "text/plain; charset=utf-8")
    services.save_item(item.sequence, key=item.key, kind="text", title=item.title)  # no longer a resource
    db.session.flush()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResourceFile)) == 0


def test_folder_import_reads_files_and_refuses_paths_outside_the_folder(ctx, resource, tmp_path):
    course, _run, item = resource
    services.attach_resource_file(item, filename="guide.pdf", data=PDF, max_bytes=MAX)
    db.session.commit()
    export_course(queries.get_course_outline(course.slug), tmp_path / "course")
    exported = tmp_path / "course" / "files" / item.key / "guide.pdf"
    assert exported.read_bytes() == PDF
    exported.write_bytes(PDF + b"% v2\n")
    import_course(tmp_path / "course")
    assert queries.resource_file_data(item.resource_file.id) == PDF + b"% v2\n"

    item_file = tmp_path / "course" / "items" / f"{item.key}.md"
    (tmp_path / "secret.pdf").write_bytes(PDF)
    item_file.write_text(item_file.read_text().replace(f"files/{item.key}/guide.pdf", "../secret.pdf"))
    with pytest.raises(ContentError, match="inside the course folder"):
        import_course(tmp_path / "course")


def test_seed_course_ships_a_downloadable_file(ctx):
    from beta_training.demo import MOOC_FOLDER

    course = import_course(MOOC_FOLDER)
    files = db.session.scalars(sa.select(ResourceFile).join(CourseItem).where(CourseItem.course_id == course.id)).all()
    assert [f.filename for f in files] == ["fiche-produit-mooc.odt"]  # the fiche produit template of « Documents utiles »
    assert files[0].data == (Path(MOOC_FOLDER) / "files" / "docs-fiche-produit-modele" / "fiche-produit-mooc.odt").read_bytes()
    assert files[0].content_type == "application/vnd.oasis.opendocument.text"


def _edit_url(course, item):
    return f"/mooc/gestion/{course.id}/elements/{item.id}"


def _form(item, **values):
    return {"key": item.key, "kind": "resource", "title": item.title, "body": "Un guide", **values}


def test_trainer_uploads_replaces_and_removes_a_file(client, resource):
    course, _run, item = resource
    item.resource_url = ""
    db.session.commit()
    login(client, make_user(roles=[Role.TRAINER]))
    missing = client.post(_edit_url(course, item), data=_form(item))
    assert missing.status_code == 422 and "Indiquez un lien ou joignez un fichier." in missing.text
    refused = client.post(_edit_url(course, item), data=_form(item, resource_upload=(BytesIO(b"<h1>x</h1>"), "page.html")))
    assert refused.status_code == 422 and "Type de fichier refusé" in refused.text
    assert item.resource_file is None
    ok = client.post(_edit_url(course, item), data=_form(item, resource_upload=(BytesIO(PDF), "Guide de l’équipe.pdf")))
    assert ok.status_code == 302
    db.session.refresh(item)
    assert item.resource_file.filename == "Guide de l’équipe.pdf" and item.resource_file.size_bytes == len(PDF)
    page = client.get(_edit_url(course, item)).text
    assert "Fichier actuel" in page and "Guide de l’équipe.pdf" in page
    kept = client.post(_edit_url(course, item), data=_form(item, title="Autre titre"))  # no new file: the file stays
    assert kept.status_code == 302 and item.resource_file is not None
    removed = client.post(_edit_url(course, item), data=_form(item, resource_url="https://beta.gouv.fr", remove_resource_file="y"))
    assert removed.status_code == 302
    db.session.refresh(item)
    assert item.resource_file is None


def test_request_over_the_size_limit_gets_the_413_page(client, resource, app):
    course, _run, item = resource
    login(client, make_user(roles=[Role.TRAINER]))
    # A raw multipart body (the test client would spool a form this large to a temporary file).
    boundary = "limite"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="resource_upload"; filename="gros.pdf"\r\n\r\n'.encode()
            + b"%PDF-" + b"0" * app.config["MAX_CONTENT_LENGTH"] + f"\r\n--{boundary}--\r\n".encode())
    response = client.post(_edit_url(course, item), data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413 and "Envoi trop volumineux" in response.text


@pytest.mark.parametrize("role,expected", [
    ("anonymous", 302), ("learner", 200), ("other_learner", 403), ("unenrolled", 403), ("trainer", 200), ("course_lead", 200),
])
def test_download_by_role(client, resource, role, expected):
    course, run, item = resource
    services.attach_resource_file(item, filename="Guide été.pdf", data=PDF, max_bytes=MAX)
    learner = make_user()
    make_enrolment(run, learner)
    users = {"learner": learner, "other_learner": make_user(), "trainer": make_user(roles=[Role.TRAINER]),
             "course_lead": make_user(roles=[Role.COURSE_LEAD]), "unenrolled": make_enrolment(run, state="unenrolled").user}
    db.session.commit()
    if role != "anonymous":
        login(client, users[role])
    response = client.get(f"/mooc/{course.id}/ressources/{item.id}")
    assert response.status_code == expected
    if expected == 200:
        assert response.data == PDF
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.headers["Content-Disposition"] == "attachment; filename=\"Guide ete.pdf\"; filename*=UTF-8''Guide%20%C3%A9t%C3%A9.pdf"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "private, no-cache"


def test_download_of_another_courses_item_or_a_fileless_item_is_404(client, resource):
    course, run, item = resource
    other_course, _other_run = make_mooc(sequences=(1,), kinds=("text",))
    services.attach_resource_file(item, filename="guide.pdf", data=PDF, max_bytes=MAX)
    text_item = db.session.scalar(sa.select(CourseItem).where(CourseItem.course_id == course.id, CourseItem.kind == "text"))
    learner = make_user()
    make_enrolment(run, learner)
    db.session.commit()
    login(client, learner)
    assert client.get(f"/mooc/{other_course.id}/ressources/{item.id}").status_code == 404
    assert client.get(f"/mooc/{course.id}/ressources/{text_item.id}").status_code == 404
    page = client.get(f"/mooc/{course.slug}/{run.slug}/contenu/{item.key}").text
    assert f"/mooc/{course.id}/ressources/{item.id}" in page and "Télécharger « guide.pdf »" in page
