import re
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from beta_training.accounts.models import Role, User
from beta_training.core.mail import drain_deliveries
from beta_training.core.models import OutboxMessage, OutboxState, utcnow
from beta_training.extensions import db
from tests.conftest import login, text_part
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "une phrase de passe solide"


def _link_in(message) -> str:
    url = re.search(r"https?://\S+", text_part(message)).group(0)
    return urlsplit(url).path


def _register(client, email="nouvelle@example.gouv.fr", **overrides):
    data = {"first_name": "Nadia", "last_name": "Nouvelle", "email": email, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    data.update(overrides)
    return client.post("/compte/inscription", data=data)


def test_sign_up_confirm_by_mail_then_log_in(client, mailbox):
    response = _register(client)
    assert response.status_code == 302 and "verifiez-vos-courriels" in response.headers["Location"]
    [message] = mailbox.wait_for(1)
    assert message["To"] == "nouvelle@example.gouv.fr"

    # Unconfirmed: the password is right but the account waits for the link.
    response = client.post("/compte/connexion", data={"email": "nouvelle@example.gouv.fr", "password": NEW_PASSWORD})
    assert response.status_code == 200 and "pas encore confirmée" in response.text

    link = _link_in(message)
    assert client.get(link).status_code == 200  # GET shows a button: prefetchers confirm nothing
    assert db.session.scalar(sa.select(User.email_confirmed_at)) is None
    assert client.post(link).status_code == 302
    assert db.session.scalar(sa.select(User.email_confirmed_at)) is not None

    response = client.post("/compte/connexion", data={"email": "nouvelle@example.gouv.fr", "password": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/compte/"
    assert "Nadia Nouvelle" in client.get("/compte/").text


def test_sign_up_with_a_taken_address_looks_the_same(client, mailbox):
    make_user(email="prise@example.gouv.fr")
    response = _register(client, email="prise@example.gouv.fr")
    assert response.status_code == 302 and "verifiez-vos-courriels" in response.headers["Location"]
    [message] = mailbox.wait_for(1)
    assert message["Subject"] == "Vous avez déjà un compte"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"email": "pas-une-adresse"}, "Saisissez une adresse électronique valide"),
        ({"password": "court", "confirm": "court"}, "au moins 12 caractères"),
        ({"confirm": "autre chose encore"}, "ne sont pas identiques"),
        ({"first_name": ""}, "Saisissez votre prénom"),
    ],
)
def test_sign_up_errors_are_shown_on_the_fields(client, overrides, error):
    response = _register(client, **overrides)
    assert response.status_code == 200
    assert error in response.text
    assert 'aria-invalid="true"' in response.text and "fr-message--error" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_post_without_csrf_token_is_refused_and_writes_nothing(client):
    data = {"first_name": "A", "last_name": "B", "email": "csrf@example.gouv.fr", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    response = client.post("/compte/inscription", data=data, csrf=False)
    assert response.status_code == 400 and "Votre session a expiré" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_wrong_password_and_unknown_email_get_the_same_message(client):
    make_user(email="connue@example.gouv.fr")
    wrong = client.post("/compte/connexion", data={"email": "connue@example.gouv.fr", "password": "mauvais mot de passe"})
    unknown = client.post("/compte/connexion", data={"email": "inconnue@example.gouv.fr", "password": "mauvais mot de passe"})
    message = "Adresse électronique ou mot de passe incorrect."
    assert message in wrong.text and message in unknown.text
    assert wrong.status_code == unknown.status_code == 200


def test_rate_limit_per_account_after_repeated_wrong_passwords(client):
    make_user(email="cible@example.gouv.fr")
    for _ in range(5):
        assert client.post("/compte/connexion", data={"email": "cible@example.gouv.fr", "password": "devine"}).status_code == 200
    blocked = client.post("/compte/connexion", data={"email": "cible@example.gouv.fr", "password": PASSWORD})
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.text
    # Another account from the same address is not blocked by this account's limit.
    make_user(email="autre@example.gouv.fr")
    assert client.post("/compte/connexion", data={"email": "autre@example.gouv.fr", "password": PASSWORD}).status_code == 302


def test_successful_logins_do_not_count_against_the_limit(client):
    make_user(email="habituee@example.gouv.fr")
    for _ in range(7):
        response = client.post("/compte/connexion", data={"email": "habituee@example.gouv.fr", "password": PASSWORD})
        assert response.status_code == 302
        client.post("/compte/deconnexion")


def test_rate_limit_per_ip_across_accounts(app, client):
    app.config["LOGIN_LIMIT_PER_IP"] = "8 per 15 minutes"
    for n in range(8):
        assert client.post("/compte/connexion", data={"email": f"x{n}@example.gouv.fr", "password": "devine"}).status_code == 200
    assert client.post("/compte/connexion", data={"email": "y@example.gouv.fr", "password": "devine"}).status_code == 429


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/admin/utilisateurs", "/admin/utilisateurs"),
        ("https://evil.example/", "/compte/"),
        ("//evil.example/", "/compte/"),
        ("/\\evil.example", "/compte/"),
        ("javascript:alert(1)", "/compte/"),
    ],
)
def test_next_only_goes_to_local_pages(client, target, expected):
    make_user(email="next@example.gouv.fr", roles=[Role.ADMIN])
    response = client.post("/compte/connexion", data={"email": "next@example.gouv.fr", "password": PASSWORD, "next": target})
    assert response.headers["Location"] == expected


def test_logout_needs_post_with_csrf(client):
    login(client, make_user())
    assert client.get("/compte/deconnexion").status_code == 405
    assert client.post("/compte/deconnexion", csrf=False).status_code == 400
    assert client.get("/compte/").status_code == 200
    assert client.post("/compte/deconnexion").status_code == 302
    assert client.get("/compte/").status_code == 302


def test_password_change_logs_out_other_sessions(app, client, mailbox):
    user = make_user(email="deux@example.gouv.fr")
    other_device = app.test_client()
    login(client, user)
    login(other_device, user)
    assert other_device.get("/compte/").status_code == 200
    response = client.post(
        "/compte/mot-de-passe", data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/compte/").status_code == 200  # this session continues
    assert other_device.get("/compte/").status_code == 302  # the other one is logged out
    assert mailbox.wait_for(1)[0]["Subject"] == "Votre mot de passe a été modifié"


def test_password_change_with_wrong_current_password(client):
    login(client, make_user())
    response = client.post(
        "/compte/mot-de-passe", data={"current_password": "faux", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 200 and "Le mot de passe actuel est incorrect." in response.text


def test_forgotten_password_by_mail(client, mailbox):
    make_user(email="oubli@example.gouv.fr")
    response = client.post("/compte/mot-de-passe-oublie", data={"email": "oubli@example.gouv.fr"})
    assert response.status_code == 302
    link = _link_in(mailbox.wait_for(1)[0])
    assert client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert client.post("/compte/connexion", data={"email": "oubli@example.gouv.fr", "password": NEW_PASSWORD}).status_code == 302
    # The link is spent.
    client.post("/compte/deconnexion")
    assert client.get(link).status_code == 400


def test_password_reset_never_waits_on_a_silent_smtp_server(app, client, silent_smtp):
    """The relay accepts the connection and never answers. Each POST answers while the delivery is still stuck
    at the server (no outcome recorded yet: a request that waited on SMTP would only answer after it), what it
    saved is saved, and its message stays in the outbox for the cron retry."""
    app.config["MAIL_TIMEOUT"] = 60  # longer than the test: only the server hanging up ends the attempts
    user = make_user(email="relais-muet@example.gouv.fr")

    def outbox(subject):
        return db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.subject.contains(subject)))

    response = client.post("/compte/mot-de-passe-oublie", data={"email": user.email}, drain=False)
    assert response.status_code == 302
    reset = outbox("mot de passe")
    assert reset.recipient == user.email and reset.sent_at is None and reset.last_error is None  # still in flight
    link = urlsplit(re.search(r"https?://\S+", reset.text_body).group(0)).path  # the stored reset link
    assert silent_smtp.wait_for_connections(1)  # the delivery did reach the server, which says nothing

    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, drain=False)
    assert response.status_code == 302 and response.headers["Location"] == "/compte/connexion"
    changed = outbox("modifié")
    assert changed.sent_at is None and changed.last_error is None
    assert db.session.get(User, user.id).password_changed_at is not None  # the reset is saved
    assert silent_smtp.wait_for_connections(2)

    silent_smtp.release()  # the server hangs up: both attempts fail, and wait for the cron retry
    assert drain_deliveries(timeout=30)
    db.session.commit()  # end this test's read: see what the deliverer wrote since
    for message in (reset, changed):
        db.session.refresh(message)
        assert message.state == OutboxState.PENDING and message.attempts == 1 and message.sent_at is None
        assert message.last_error.startswith("SMTPServerDisconnected") and message.next_attempt_at > utcnow()


def test_forgotten_password_for_unknown_address_says_the_same(client, mailbox):
    response = client.post("/compte/mot-de-passe-oublie", data={"email": "personne@example.gouv.fr"}, follow_redirects=True)
    assert "Si un compte existe pour cette adresse" in response.text
    assert mailbox.messages == []


def test_edit_profile(client):
    user = make_user()
    login(client, user)
    response = client.post(
        "/compte/profil",
        data={"first_name": "Lou", "last_name": "Martin", "administration": "DINUM", "administration_type": "etat",
              "job_title": "Cheffe de projet", "departement": "69"},
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.first_name, user.administration_type, user.departement) == ("Lou", "etat", "69")
    assert "Rhône (69)" in client.get("/compte/").text


def test_edit_profile_rejects_unknown_departement(client):
    login(client, make_user())
    response = client.post("/compte/profil", data={"first_name": "Lou", "last_name": "M", "departement": "999"})
    assert response.status_code == 200 and 'aria-invalid="true"' in response.text


def test_admin_grants_and_revokes_roles_from_the_page(client):
    admin = make_user(roles=[Role.ADMIN])
    user = make_user()
    login(client, admin)
    assert client.post(f"/admin/utilisateurs/{user.id}/roles", data={"role": "course_lead"}).status_code == 302
    db.session.refresh(user)
    assert user.role_names == {"course_lead"}
    page = client.get(f"/admin/utilisateurs/{user.id}").text
    assert "Responsable de la formation" in page and "attribution" in page
    assert client.post(f"/admin/utilisateurs/{user.id}/roles/course_lead/retirer").status_code == 302
    db.session.refresh(user)
    assert user.role_names == set()


def test_admin_cannot_remove_the_last_admin(client):
    admin = make_user(roles=[Role.ADMIN])
    login(client, admin)
    response = client.post(f"/admin/utilisateurs/{admin.id}/roles/admin/retirer", follow_redirects=True)
    assert "dernier administrateur" in response.text
    db.session.refresh(admin)
    assert admin.is_admin


def test_user_list_search_and_pagination(client):
    login(client, make_user(roles=[Role.ADMIN], last_name="Zadmin"))
    for n in range(30):
        make_user(last_name=f"Agent{n:02d}")
    make_user(last_name="Trouvable", email="trouvable@example.gouv.fr")
    first = client.get("/admin/utilisateurs").text
    assert "32 utilisateurs" in first and 'aria-current="page"' in first
    assert "Trouvable" in client.get("/admin/utilisateurs?q=trouv").text
    assert "Trouvable" not in client.get("/admin/utilisateurs?q=trouv&role=trainer").text
    assert "Zadmin" in client.get("/admin/utilisateurs?page=2").text


def test_user_list_queries_do_not_grow_with_users(client, count_queries):
    login(client, make_user(roles=[Role.ADMIN]))

    def queries_for_list():
        with count_queries() as counter:
            assert client.get("/admin/utilisateurs").status_code == 200
        return counter.count

    for _ in range(5):
        make_user(roles=[Role.TRAINER])
    few = queries_for_list()
    for _ in range(20):
        make_user(roles=[Role.TRAINER, Role.COURSE_LEAD])
    assert queries_for_list() == few


def test_visitor_signs_up_on_the_way_and_comes_back_to_the_form(client, mailbox):
    target = "/alpha/alpha-x/candidater"
    login_page = client.get(f"/compte/connexion?next={target}").text
    assert f"/compte/inscription?next={target}" in login_page
    _register(client, email="enroute@example.gouv.fr", next=target)
    link = re.search(r"https?://\S+", text_part(mailbox.wait_for(1)[0])).group(0)
    path = urlsplit(link).path + "?" + urlsplit(link).query
    response = client.post(path)
    assert response.headers["Location"] == f"/compte/connexion?next={target}"
    response = client.post(f"/compte/connexion?next={target}", data={"email": "enroute@example.gouv.fr", "password": NEW_PASSWORD, "next": target})
    assert response.headers["Location"] == target


def test_sign_up_ignores_a_foreign_next(client, mailbox):
    _register(client, email="ailleurs@example.gouv.fr", next="https://evil.example/")
    assert "evil" not in text_part(mailbox.wait_for(1)[0])
