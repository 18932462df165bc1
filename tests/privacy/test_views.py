"""Who may export or erase whose data, the admin's path for a request made by mail, the trainers' record of
erasures, and the personal data page tied to the configuration."""

import html
import io
import json
import re
import zipfile

from datetime import timedelta

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from freezegun import freeze_time

from beta_training.accounts.models import Role, User
from beta_training.core.models import utcnow
from beta_training.extensions import db
from beta_training.privacy.models import PrivacyAction
from beta_training.privacy.services import DOWNLOAD_WINDOW
from tests import factories as f
from tests.conftest import login


@pytest.fixture
def admin():
    return f.make_user(roles=[Role.ADMIN], first_name="Adèle", last_name="Admin")


def test_admin_exports_someone_elses_data_with_a_reason_recorded(app, client, admin):
    """Post/Redirect/Get: after a refusal (no reason), a valid export leads back to the page, which no longer shows
    the error, lists the request and links its ZIP (a flash and the history) for the download window."""
    subject = f.make_user(first_name="Sujet")
    page_url = f"/admin/utilisateurs/{subject.id}/donnees"
    login(client, admin)
    refused = client.post(f"{page_url}/export", data={"export-reason": ""})
    assert refused.status_code == 422 and "Saisissez le motif" in refused.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrivacyAction)) == 0

    posted = client.post(f"{page_url}/export",
                         data={"export-reason": "Courriel du 3 mars", "export-submission_key": "cle123456"})
    assert posted.status_code == 302 and posted.headers["Location"] == page_url
    [record] = db.session.scalars(sa.select(PrivacyAction)).all()
    assert (record.kind, record.origin, record.subject_id, record.actor_id, record.reason) == (
        "export", "admin", subject.id, admin.id, "Courriel du 3 mars")
    download_url = f"{page_url}/export/{record.id}.zip"

    page = BeautifulSoup(client.get(page_url).text, "html.parser")
    assert "Saisissez le motif" not in page.text and "Aucune demande enregistrée" not in page.text
    assert page.find(id="error-summary") is None
    flash = page.find(class_="fr-alert--success")
    assert "La demande est enregistrée" in flash.text
    assert flash.find("a", string="Télécharger le ZIP")["href"] == download_url
    [entry] = page.find(id="historique-demandes").find_all("li")
    assert "Courriel du 3 mars" in entry.text and entry.find("a")["href"] == download_url
    assert "La demande est enregistrée" not in client.get(page_url).text  # said once

    response = client.get(download_url)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    data = json.loads(zipfile.ZipFile(io.BytesIO(response.data)).read("donnees.json"))
    assert data["compte"][0]["id"] == subject.id
    assert re.search(rf'filename="donnees-{subject.id}-beta-formation-\d{{4}}-\d{{2}}-\d{{2}}\.zip"',
                     response.headers["Content-Disposition"])
    assert "Sujet" not in response.headers["Content-Disposition"]

    # Past the download window the request stays in the history, without its link.
    with freeze_time(utcnow() + DOWNLOAD_WINDOW + timedelta(minutes=1)):
        [entry] = BeautifulSoup(client.get(page_url).text, "html.parser").find(id="historique-demandes").find_all("li")
        assert "Courriel du 3 mars" in entry.text and entry.find("a") is None
        assert client.get(download_url).status_code == 403
    # The download answers only the admin who recorded it: another admin sees the request, no link, and gets 403.
    login(client, f.make_user(roles=[Role.ADMIN]))
    [entry] = BeautifulSoup(client.get(page_url).text, "html.parser").find(id="historique-demandes").find_all("li")
    assert "Courriel du 3 mars" in entry.text and entry.find("a") is None
    assert client.get(download_url).status_code == 403


def test_a_tab_left_open_before_the_erasure_is_told_the_account_is_gone(app, client):
    """Her second tab sends the erasure form again after the first erased the account: its CSRF token belonged to
    the session that ended; she is led home and told, not shown « Votre session a expiré »."""
    user = f.make_user()
    user_id = user.id
    login(client, user)
    stale_token = client.csrf_token()  # the token both tabs' forms carry
    form = {"password": f.PASSWORD, "confirm": "y", "csrf_token": stale_token}
    assert client.post("/compte/mes-donnees/supprimer", data=form).status_code == 302
    assert db.session.get(User, user_id) is None
    client.get("/")  # the first tab shows the confirmation

    again = client.post("/compte/mes-donnees/supprimer", data=form)
    assert again.status_code == 302 and again.headers["Location"] == "/"
    home = client.get("/")
    assert "Ce compte a déjà été supprimé." in home.text and "expiré" not in home.text


def test_a_stale_erasure_form_without_an_erasure_is_still_an_expired_session(app, client):
    """The flag alone says « déjà supprimé »: any other stale form on that page keeps the generic answer."""
    user = f.make_user()
    login(client, user)
    response = client.post("/compte/mes-donnees/supprimer",
                           data={"password": f.PASSWORD, "confirm": "y", "csrf_token": "perime"})
    assert response.status_code == 400 and "Votre session a expiré" in html.unescape(response.text)
    assert db.session.get(User, user.id) is not None


def test_the_role_refusal_links_the_configured_contact(app, client):
    app.config.update(PRIVACY_CONTACT_EMAIL="equipe-rgpd@exemple.gouv.fr")
    login(client, f.make_user(roles=[Role.TRAINER]))
    page = BeautifulSoup(client.get("/compte/mes-donnees/supprimer").text, "html.parser")
    refusal = page.find(id="refus-role")
    assert refusal.find("a")["href"] == "mailto:equipe-rgpd@exemple.gouv.fr"
    assert "formation@beta.gouv.fr" not in page.text


def test_admin_erases_an_account_on_someones_behalf(app, client, admin, mailbox):
    subject = f.make_user(email="sujet@exemple.gouv.fr")
    subject_id = subject.id
    login(client, admin)
    response = client.post(f"/admin/utilisateurs/{subject_id}/donnees/supprimer",
                           data={"erase-reason": "Demande par courrier", "erase-confirm": "y"})
    assert response.status_code == 302
    assert db.session.get(User, subject_id) is None
    [record] = db.session.scalars(sa.select(PrivacyAction)).all()
    assert (record.kind, record.origin, record.subject_id, record.actor_id, record.reason) == (
        "erasure", "admin", None, admin.id, "Demande par courrier")
    assert len(mailbox.to("sujet@exemple.gouv.fr")) == 1


def test_admin_cannot_erase_an_account_with_a_role(app, client, admin):
    trainer = f.make_user(roles=[Role.TRAINER])
    login(client, admin)
    response = client.post(f"/admin/utilisateurs/{trainer.id}/donnees/supprimer",
                           data={"erase-reason": "Demande", "erase-confirm": "y"})
    assert response.status_code == 422 and "retirez d’abord ses rôles" in response.text
    assert db.session.get(User, trainer.id) is not None


@pytest.mark.parametrize("path", ["/admin/utilisateurs/{id}/donnees", "/admin/utilisateurs/{id}/donnees/export",
                                  "/admin/utilisateurs/{id}/donnees/supprimer"])
def test_a_stranger_cannot_export_or_erase_someone_else(app, client, path):
    victim = f.make_user()
    login(client, f.make_user(roles=[Role.TRAINER]))  # signed in, staff even, but not an admin
    url = path.format(id=victim.id)
    response = client.get(url) if path.endswith("donnees") else client.post(
        url, data={"export-reason": "x", "erase-reason": "x", "erase-confirm": "y"})
    assert response.status_code == 403
    assert db.session.get(User, victim.id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PrivacyAction)) == 0


def test_the_predicate_refuses_a_non_admin(app):
    from beta_training.privacy.models import can_handle_data_of

    someone, other, admin = f.make_user(), f.make_user(), f.make_user(roles=[Role.ADMIN])
    assert can_handle_data_of(someone, someone) and can_handle_data_of(someone, admin)
    assert not can_handle_data_of(someone, other)


def test_trainers_see_that_an_erasure_took_place_without_personal_data(app, client):
    from beta_training.privacy import services
    from beta_training.privacy.models import Origin

    services.erase_account(f.make_user(first_name="Effacée", last_name="Personne"), origin=Origin.SELF)
    db.session.commit()
    login(client, f.make_user(roles=[Role.TRAINER]))
    page = client.get("/gestion/effacements")
    assert page.status_code == 200 and "la personne elle-même" in page.text
    assert "Effacée" not in page.text


def test_the_erasures_are_listed_a_page_at_a_time_none_left_out(app, client):
    from beta_training.privacy import services
    from beta_training.privacy.models import Origin

    app.config["USERS_PER_PAGE"] = 2
    for _ in range(3):
        services.erase_account(f.make_user(), origin=Origin.SELF)
    db.session.commit()
    login(client, f.make_user(roles=[Role.TRAINER]))
    rows = [len(BeautifulSoup(client.get(f"/gestion/effacements?page={n}").text, "html.parser").select("tbody tr"))
            for n in (1, 2)]
    assert rows == [2, 1]


def test_the_personal_data_page_states_the_configured_durations(app, client):
    app.config.update(RETENTION_INACTIVE_YEARS=5, RETENTION_WARNING_DAYS=21, SIGN_IN_EVENTS_RETENTION_DAYS=200,
                      OUTBOX_RETENTION_DAYS=45, DRAFTS_RETENTION_DAYS=60, FORM_KEYS_RETENTION_DAYS=3)
    text = client.get("/donnees-personnelles").text

    def cell(cell_id):
        return re.search(rf'id="{cell_id}">([^<]*)<', text).group(1)

    assert "5 ans" in cell("duree-compte") and "21 jours" in cell("duree-compte")
    assert cell("duree-connexions").startswith("200 jours")
    assert cell("duree-courriels").startswith("45 jours")
    assert cell("duree-brouillons").startswith("60 jours")
    assert cell("duree-cles").startswith("3 jours")
    assert "IPv4" in text  # what the sign-in log keeps of the address


def test_the_personal_data_page_reads_default_durations_in_years(client):
    """The defaults as a citizen reads them: « 1 an » and « 3 ans », not « 365 jours » and « 1095 jours »."""
    text = html.unescape(client.get("/donnees-personnelles").text)
    assert re.search(r'id="duree-connexions">([^<]*)<', text).group(1) == "1 an"
    assert re.search(r'id="duree-registre">([^<]*)<', text).group(1) == "3 ans"
    assert "3 ans après la dernière connexion" in text and "30 jours avant" in text
    assert "1095" not in text and "365 jours" not in text


def test_the_personal_data_page_names_the_controller_security_and_the_cnil(client):
    """RGPD art. 13: the controller and its representative; what protects the data; the right to complain."""
    page = BeautifulSoup(client.get("/donnees-personnelles").text, "html.parser")
    assert "représentée par le directeur interministériel du numérique" in page.find(id="responsable").text
    assert "Argon2" in page.find(id="securite").find_next("ul").text
    assert "après votre décès (article 85 de la loi Informatique et Libertés)" in page.find(id="post-mortem").text
    complaint = page.find(id="cnil").find("a")
    assert complaint["href"] == "https://www.cnil.fr/fr/adresser-une-plainte" and "nouvelle fenêtre" in complaint["title"]


# Every column of `users` and what the page must say of it: a new column fails here until the page lists it.
USER_COLUMNS_ON_THE_PAGE = {
    "email": "adresse électronique", "first_name": "prénom", "last_name": "Nom", "administration": "administration",
    "administration_type": "type d’administration", "job_title": "fonction", "departement": "département",
    "siret": "SIRET", "proconnect_sub": "(sub)", "proconnect_idp_id": "(idp_id)", "password_hash": "mot de passe",
    "last_login_at": "dates de connexion", "password_changed_at": "changement du mot de passe",
}
TECHNICAL_USER_COLUMNS = {"id", "created_at", "updated_at", "email_confirmed_at", "session_token", "active"}


def test_the_personal_data_page_lists_what_the_account_stores(client):
    text = html.unescape(client.get("/donnees-personnelles").text)
    assert set(User.__table__.columns.keys()) == set(USER_COLUMNS_ON_THE_PAGE) | TECHNICAL_USER_COLUMNS
    account = re.search(r'id="donnees-compte">(.*?)</tr>', text, re.S).group(1)
    proconnect = re.search(r'id="donnees-proconnect">(.*?)</tr>', text, re.S).group(1)
    for column, words in USER_COLUMNS_ON_THE_PAGE.items():
        assert words in (proconnect if column.startswith("proconnect_") else account), column
    assert "source : ProConnect" in proconnect and "ProConnect" in account
    assert "ProConnect" in re.search(r'id="source-proconnect">(.*?)</p>', text, re.S).group(1)


def test_the_personal_data_page_gives_a_legal_basis_for_every_processing(client):
    text = html.unescape(client.get("/donnees-personnelles").text)
    assert "<th scope=\"col\">Base légale</th>" in text
    tbody = re.search(r"<tbody>(.*?)</tbody>", text, re.S).group(1)
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", tbody, re.S)
    assert len(rows) >= 10
    for row in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        assert len(cells) == 4
        assert "6-1-e" in cells[2] or "6-1-c" in cells[2], cells[0]


def test_the_personal_data_page_names_contacts_processors_and_the_request_register(app, client):
    app.config.update(DPO_EMAIL="dpd@exemple.gouv.fr", PRIVACY_CONTACT_EMAIL="equipe@exemple.gouv.fr",
                      MAIL_DELIVERY="smtp", MAIL_SERVER="smtp.routeur.example", PRIVACY_ACTIONS_RETENTION_DAYS=400,
                      SENTRY_DSN="https://cle-secrete@erreurs.example.org/12")
    text = html.unescape(client.get("/donnees-personnelles").text)
    assert 'href="mailto:dpd@exemple.gouv.fr"' in text and 'href="mailto:equipe@exemple.gouv.fr"' in text
    assert "d’un mois" in re.search(r'id="delai">(.*?)</p>', text).group(1)
    processors = re.search(r'id="sous-traitants">(.*?)</ul>', text, re.S).group(1)
    assert "smtp.routeur.example" in processors and "erreurs.example.org" in processors
    assert "cle-secrete" not in text
    assert "voir les mentions légales" in processors and "/mentions-legales#hebergement" in processors  # not set
    assert "HOSTING_PROVIDER" in client.get("/mentions-legales").text
    app.config.update(HOSTING_PROVIDER="Hébergeur SAS, 1 rue de l’Exemple, 67000 Strasbourg", HOSTING_COUNTRY="France")
    processors = re.search(r'id="sous-traitants">(.*?)</ul>', html.unescape(client.get("/donnees-personnelles").text),
                           re.S).group(1)
    assert "Hébergeur SAS, 1 rue de l’Exemple, 67000 Strasbourg, données conservées en France" in processors
    notice = html.unescape(client.get("/mentions-legales").text)
    assert re.search(r'id="hebergeur">Le service et ses données sont hébergés par Hébergeur SAS, 1 rue de l’Exemple, '
                     r'67000 Strasbourg, en France\.<', notice)
    register = re.search(r'<tr><td>(Registre des demandes.*?)</tr>', text, re.S).group(1)
    assert "nom de l’administrateur" in register and "motif" in register
    assert re.search(r'id="duree-registre">([^<]*)<', text).group(1) == "400 jours"
    app.config.update(SENTRY_DSN=None, MAIL_DELIVERY="files")
    processors = re.search(r'id="sous-traitants">(.*?)</ul>', client.get("/donnees-personnelles").text, re.S).group(1)
    assert "Sentry" not in processors and "smtp.routeur.example" not in processors


def test_the_admin_page_speaks_of_the_person_in_the_third_person(app, client, admin):
    subject = f.make_user()
    login(client, admin)
    text = html.unescape(client.get(f"/admin/utilisateurs/{subject.id}/donnees").text)
    section = re.search(r'id="danger-zone-title".*?</ul>', text, re.S).group(0)
    for words in ("votre nom", "vos mentions", "si vous le choisissez", "qui vous ont été envoyés", "la session se termine"):
        assert words not in section, words
    assert "son nom, ses mentions" in section and "ses sessions ouvertes se terminent" in section
    login(client, subject)
    own = html.unescape(client.get("/compte/mes-donnees/supprimer").text)
    assert "votre nom, vos mentions" in own and "la session se termine" in own


def test_the_pages_say_what_becomes_of_dossiers_and_products(app, client, admin):
    """The processing table has the appels à intrapreneurs and the products, with what the erasure does to them;
    the erasure's list says it to the person and, in the third person, to the admin."""
    text = html.unescape(client.get("/donnees-personnelles").text)
    calls = re.search(r'id="donnees-appels">(.*?)</tr>', text, re.S).group(1)
    assert "appels à intrapreneurs" in calls and "évaluations" in calls and "6-1-e" in calls
    assert "supprimés en même temps que lui" in re.search(r'id="duree-appels">([^<]*)<', text).group(1)
    products = re.search(r'id="donnees-produits">(.*?)</tr>', text, re.S).group(1)
    assert "comité d’investissement" in products and "grille d’arbitrage" in products and "6-1-e" in products
    assert "« Ancien·ne formateur·rice »" in re.search(r'id="duree-produits">([^<]*)<', text).group(1)

    subject = f.make_user()
    login(client, admin)
    section = re.search(r'id="danger-zone-title".*?</ul>',
                        html.unescape(client.get(f"/admin/utilisateurs/{subject.id}/donnees").text), re.S).group(0)
    assert "ses dossiers déposés aux appels à intrapreneurs sont supprimés" in section
    assert "sa place dans l’équipe d’un produit est supprimée" in section and "votre place" not in section
    login(client, subject)
    own = html.unescape(client.get("/compte/mes-donnees/supprimer").text)
    assert "vos dossiers déposés aux appels à intrapreneurs sont supprimés" in own
    assert "votre place dans l’équipe d’un produit est supprimée" in own and "signées « Ancien·ne formateur·rice »" in own
