"""Who may use each route: one access matrix for the whole app.

Every GET and POST of every rule of `app.url_map` has an entry here (or is in PUBLIC, with the reason);
tests/test_access_matrix.py fails for a route that has neither, and for an entry whose rule is gone. An
entry builds its request from the shared `World` and says what each role gets:

- "anonymous": nobody signed in;
- "owner": the learner whose object it is: the candidate of the application, the learner enrolled in the
  run, the author of the forum thread and reply, the owner of the fiche produit (and an Alpha alumna);
- "member": another learner in the same place who does not own the object: a candidate of the same
  session (a submitted application, no seat offered), a learner of the same run, a member of the forum;
- "outsider": a signed-in learner with no link to any of it;
- the three roles of `accounts.models.Role`: trainer, course lead, admin (admins hold every role).

An expected value is an HTTP status; LOGIN, the redirect to the login page with `next` set to the page
asked for; or SHOWN_AGAIN, a POST answered with its form again (200) having written nothing. POST entries
send a valid form (most reuse the builders of tests/route_scenarios.py), so a status says who may really
act. A refused answer (LOGIN, 400, 401, 403, 404, 405) must also leave the database as it was and show none
of the world's `secrets`.

Requests that change something build their own rows, once per role (`Request` objects are built afresh for
every role), so one role's success never changes what the next one sees. Where an entry builds its object
through a scenario of tests/route_scenarios.py, « owner » is the scenario's own user (`owner=True`).
"""

import inspect
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

import sqlalchemy as sa
from flask import current_app

from beta_training.accounts import tokens
from beta_training.accounts.models import Role, User
from beta_training.calls.models import CallJuror, Dossier
from beta_training.core import db as core_db
from beta_training.core.models import utcnow
from beta_training.courses import services as course_services
from beta_training.courses.models import CourseItem, CourseModule, Sequence
from beta_training.extensions import db
from beta_training.forum import emails as forum_emails
from beta_training.forum import services as forum_services
from beta_training.forum.models import ForumThread
from beta_training.privacy import services as privacy_services
from beta_training.sheets.models import ProductSheet, SheetMilestone
from tests import factories as f
from tests.route_scenarios import COMPLETE_SHEET, FETCH, FORM, SCENARIOS, closed_call_with_dossiers

LOGIN = "login"
SHOWN_AGAIN = "200, nothing written"  # a POST answered with its page again (a refusal the form explains)
REFUSED = (LOGIN, 400, 401, 403, 404, 405)
LEARNERS = ("owner", "member", "outsider")
ROLES = ("anonymous", *LEARNERS, *Role)
REVIEWER_ROLES = (Role.TRAINER, Role.COURSE_LEAD, Role.ADMIN)  # fiches produit
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- The world every entry is built from ----------------------------------------------------------------


@dataclass
class World:
    users: dict[str, User]
    cohort: object  # open for applications: the owner has a seat offered, the member a submitted application
    draft_cohort: object  # not published yet
    programme_item: object
    application: object  # the owner's
    course: object
    run: object  # the owner and the member are enrolled
    course_item: object  # the course's first item
    resource_item: object  # a downloadable file
    finished_course: object  # the owner finished its run (attestation), the member is still active
    unpublished_course: object  # being written: only staff see it
    finished_run: object
    finished_enrolment: object
    forum: object  # the run's forum
    thread: object  # opened by the owner
    reply: object  # the owner's reply
    sheet: object  # the owner's fiche produit, a draft
    submitted_sheet: object  # the owner's, waiting for a reviewer
    approved_sheet: object  # the owner's, approved (roadmap)
    outbox_message: object
    call: object  # an appel à intrapreneurs, open
    upcoming_call: object  # opens in a few days: only its team reads it
    closed_call: object  # closed yesterday: a dossier pre-selected, one left out
    dossier: object  # the owner's, a draft
    submitted_dossier: object  # the owner's, filed
    product: object  # the owner is in its team
    committee: object  # the product's comité, its file being prepared
    submitted_committee: object  # another product of the owner's team, its file sent
    # Words of the owner's application, forum thread and reply, fiche produit, dossier and product: no refused answer shows them.
    secrets: tuple = ("Projet secret de la candidate", "Sujet secret du forum", "Message secret du forum", "Produit secret",
                      "Problème secret du dossier", "Mission secrète du produit")

    @property
    def owner(self) -> User:
        return self.users["owner"]

    @property
    def member(self) -> User:
        return self.users["member"]

    @property
    def ids(self) -> dict:
        """What a URL template may name, e.g. "/alpha/candidatures/{application}"."""
        module = db.session.scalar(sa.select(CourseModule).where(CourseModule.course_id == self.course.id)
                                   .order_by(CourseModule.position))
        sequence = db.session.scalar(sa.select(Sequence).where(Sequence.module_id == module.id).order_by(Sequence.position))
        return dict(
            slug=self.cohort.slug, draft_slug=self.draft_cohort.slug, cohort=self.cohort.id,
            programme_item=self.programme_item.id, application=self.application.id,
            course=self.course.id, course_slug=self.course.slug, run=self.run.id, run_slug=self.run.slug,
            course_item=self.course_item.id, key=self.course_item.key, module=module.id, sequence=sequence.id,
            resource=self.resource_item.id, finished_slug=self.finished_course.slug,
            unpublished_slug=self.unpublished_course.slug,
            finished_run_slug=self.finished_run.slug, attestation_code=self.finished_enrolment.attestation_code,
            forum=self.forum.id, thread=self.thread.id, post=self.reply.id, category=self.forum.categories[0].id,
            sheet=self.sheet.id, submitted_sheet=self.submitted_sheet.id, approved_sheet=self.approved_sheet.id,
            user=self.users["outsider"].id, message=self.outbox_message.id,
            call=self.call.id, upcoming_call=self.upcoming_call.id, closed_call=self.closed_call.id,
            dossier=self.dossier.id, submitted_dossier=self.submitted_dossier.id,
            product=self.product.id, committee=self.committee.id, submitted_committee=self.submitted_committee.id,
        )


def build_world() -> World:
    owner, member, outsider = (f.make_user(first_name=name) for name in ("Owner", "Member", "Outsider"))
    users = {"owner": owner, "member": member, "outsider": outsider,
             **{role: f.make_user(roles=[role], first_name=role.value) for role in Role}}

    cohort = f.make_cohort()
    programme_item = f.make_programme_item(cohort, speakers=[f.make_speaker(cohort)])
    application = f.make_application(cohort, owner, state="accepted", problem=World.secrets[0])
    f.make_application(cohort, member, state="submitted")
    past = f.make_cohort(status="archived", starts_on=utcnow().date() - timedelta(days=90),
                         applications_open_at=utcnow() - timedelta(days=150),
                         applications_close_at=utcnow() - timedelta(days=120))
    f.make_application(past, owner, state="confirmed", attended=True)  # the owner is an alumna

    course, run = f.make_mooc()
    for learner in (owner, member):
        f.make_enrolment(run, learner)
    course_item = db.session.scalar(sa.select(CourseItem).where(CourseItem.course_id == course.id).order_by(CourseItem.id))
    resource_item = f.make_course_item(course_item.sequence, kind="resource", key="guide")
    course_services.attach_resource_file(resource_item, filename="guide.pdf", data=PDF, max_bytes=len(PDF))
    finished_course, finished_run = f.make_mooc(sequences=(1,), kinds=("text",))
    finished = f.make_enrolment(finished_run, owner, completed_at=utcnow(), attestation_code=f"ATT{f._n()}")
    f.make_enrolment(finished_run, member)
    unpublished_course = f.make_course(published=False)
    f.make_course_run(unpublished_course)

    call = f.make_call()
    closed_call = closed_call_with_dossiers()
    # The member sits on the closed call's jury (and on no other).
    db.session.add(CallJuror(call_id=closed_call.id, email=member.email, user_id=member.id))

    forum = f.make_forum(run=run)
    thread = f.make_forum_thread(forum, owner, title=World.secrets[1])
    reply = f.make_forum_post(thread, owner, body=World.secrets[2])

    product = f.make_product(team=[owner], pitch=World.secrets[5])
    submitted_product = f.make_product(team=[owner])
    return World(
        users=users, cohort=cohort, draft_cohort=f.make_cohort(status="draft"), programme_item=programme_item,
        application=application, course=course, run=run, course_item=course_item, resource_item=resource_item,
        finished_course=finished_course, finished_run=finished_run, finished_enrolment=finished,
        unpublished_course=unpublished_course, forum=forum,
        thread=thread, reply=reply, sheet=f.make_product_sheet(owner, content={"name": World.secrets[3]}),
        submitted_sheet=f.make_product_sheet(owner, state="submitted"),
        approved_sheet=f.make_product_sheet(owner, state="approved", approved_at=utcnow()),
        outbox_message=f.make_outbox_message(attachments=[{"filename": "session.ics", "content_type": "text/calendar",
                                                           "data": "QkVHSU46VkNBTEVOREFSDQo="}]),
        call=call, upcoming_call=f.make_call(opens_at=utcnow() + timedelta(days=3)), closed_call=closed_call,
        dossier=f.make_dossier(call, owner, problem=World.secrets[4]),
        submitted_dossier=f.make_dossier(call, owner, state="submitted", problem=World.secrets[4]),
        product=product, committee=f.make_committee(product),
        submitted_committee=f.make_committee(submitted_product, state="submitted"),
    )


# --- Entries ------------------------------------------------------------------------------------------


@dataclass
class Request:
    url: str
    data: dict = field(default_factory=dict)
    send: str = FORM
    owner: User | None = None  # who plays « owner » for this request (default: the world's owner)


@dataclass(frozen=True)
class Entry:
    method: str
    rule: str  # as `str(rule)` in app.url_map
    expected: dict  # role -> status or LOGIN
    build: Callable[[World, str], Request]
    variant: str | None = None

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}" + (f" [{self.variant}]" if self.variant else "")


ENTRIES: list[Entry] = []


def _builder(url) -> Callable[[World, str], Request]:
    """A builder is called with the world and the role about to act; most need only the world."""
    if not callable(url):
        return lambda w, _role: Request(url.format(**w.ids))
    if len(inspect.signature(url).parameters) == 1:
        return lambda w, _role: _as_request(url(w))
    return lambda w, role: _as_request(url(w, role))


def _as_request(value) -> Request:
    return value if isinstance(value, Request) else Request(value)


def _add(method, rule, expected, url, variant=None):
    missing = set(ROLES) - set(expected)
    assert not missing, f"{method} {rule}: no expected status for {sorted(missing)}"
    ENTRIES.append(Entry(method, rule, dict(expected), _builder(url), variant))


def get(rule, url, expected, variant=None):
    """`url`: a template formatted with `World.ids`, or a function of the world (and of the role about to act,
    if it takes a second argument) returning the URL or a `Request`."""
    _add("GET", rule, expected, url, variant)


def post(rule, build, expected, variant=None):
    """`build`: a function of the world (and of the role about to act, if it takes a second argument) returning
    a `Request` whose rows are its own."""
    _add("POST", rule, expected, build, variant)


def from_scenario(rule, variant=None, owner=False) -> Callable[[World, str], Request]:
    """The valid request of tests/route_scenarios.py for `rule`; with owner=True its user plays « owner »."""
    [found] = [s for s in SCENARIOS if s.rule == rule and s.variant == variant]

    def build(_world, _role):
        prepared = found.build()
        return Request(prepared.url, prepared.data, prepared.send, owner=prepared.user if owner else None)

    return build


# --- Who gets what --------------------------------------------------------------------------------------


def everyone(status) -> dict:
    return {role: status for role in ROLES}


def signed_in(status=200, anonymous=LOGIN, **others) -> dict:
    return {**everyone(status), "anonymous": anonymous, **others}


def anonymous_only(status=200) -> dict:
    """Sign-in and sign-up pages: someone signed in is sent to their account."""
    return {**everyone(302), "anonymous": status}


def holders(allowed: tuple, status=200, anonymous=LOGIN, refused=403, **others) -> dict:
    """Those holding one of the `allowed` roles (admins hold every role) get `status`; others `refused`."""
    granted = {Role.ADMIN, *allowed}
    return {**{role: status if role in granted else refused for role in ROLES}, "anonymous": anonymous, **others}


def admins(status=200, **others) -> dict:
    return holders((), status, **others)


def trainers(status=200, **others) -> dict:
    """Alpha sessions are managed by trainers (a course lead has no say there)."""
    return holders((Role.TRAINER,), status, **others)


def staff(status=200, **others) -> dict:
    """MOOC and fiches produit: trainers and course leads."""
    return holders((Role.TRAINER, Role.COURSE_LEAD), status, **others)


def owner_only(status=200, anonymous=LOGIN, **others) -> dict:
    return {**everyone(403), "anonymous": anonymous, "owner": status, **others}


def owner_and_staff(status=200, **others) -> dict:
    """A fiche produit: its owner, and the reviewers (trainers, course leads)."""
    return staff(status, **{"owner": status, **others})


def readers(status=200, **others) -> dict:
    """A forum: its members and staff. To anyone else it does not exist (404)."""
    return staff(status, **{"owner": status, "member": status, "outsider": 404, **others})


def moderators(status=200, **others) -> dict:
    """Forum moderation: staff; members are refused (403), outsiders still see nothing (404)."""
    return staff(status, **{"outsider": 404, **others})


# --- Site and accounts ---------------------------------------------------------------------------------

# Deliberately public: the same page for everyone, nothing behind it. Each is requested anonymously by the
# test (it must answer, not send to the login page); a rule with a variable part or a role to check belongs
# in ENTRIES instead.
PUBLIC = {
    "/": "home page: upcoming sessions and published courses, for anyone",
    "/accessibilite": "accessibility statement (a legal obligation of a public service)",
    "/mentions-legales": "legal notice",
    "/donnees-personnelles": "personal data notice",
    "/gestion-des-cookies": "cookie notice",
    "/plan-du-site": "site map",
    "/langue": "language choice: writes only the visitor's own session",
    "/compte/inscription/verifiez-vos-courriels": "« check your inbox » after signing up: shows a form, reads nothing",
    "/healthz": "health check for the platform's router and monitoring: database, Redis and queue status, no data",
}

get("/compte/", "/compte/", signed_in())
get("/compte/profil", "/compte/profil", signed_in())
post("/compte/profil", from_scenario("/compte/profil"), signed_in(302))
get("/compte/mot-de-passe", "/compte/mot-de-passe", signed_in())
post("/compte/mot-de-passe", from_scenario("/compte/mot-de-passe"), signed_in(302))
get("/compte/connexion", "/compte/connexion", anonymous_only())
post("/compte/connexion", from_scenario("/compte/connexion"), everyone(302))
post("/compte/deconnexion", from_scenario("/compte/deconnexion"), everyone(302))
get("/compte/inscription", "/compte/inscription", anonymous_only())
post("/compte/inscription", from_scenario("/compte/inscription"), everyone(302))
post("/compte/confirmation/renvoyer", from_scenario("/compte/confirmation/renvoyer"), everyone(302))
get("/compte/mot-de-passe-oublie", "/compte/mot-de-passe-oublie", everyone(200))
post("/compte/mot-de-passe-oublie", from_scenario("/compte/mot-de-passe-oublie"), everyone(302))


# ProConnect (configured for this module, with the loopback provider of tests/oidc_provider.py). Starting a
# sign-in sends to the provider, or a signed-in person to her account; the callbacks without the state this
# browser holds are refused (400).
get("/compte/proconnect/connexion", "/compte/proconnect/connexion", everyone(302))
get("/compte/proconnect/retour", "/compte/proconnect/retour", {**everyone(302), "anonymous": 400})
get("/compte/proconnect/deconnexion/retour", "/compte/proconnect/deconnexion/retour", everyone(400))
get("/compte/proconnect/confirmer-identite", "/compte/proconnect/confirmer-identite", signed_in(302))
get("/compte/profil/completer", "/compte/profil/completer", signed_in())
post("/compte/profil/completer", from_scenario("/compte/profil/completer"), signed_in(302))


def _pending_link(_world) -> str:
    user = f.make_user()
    identity = {"sub": f"proconnect-{f._n()}", "email": user.email}
    return f"/compte/proconnect/associer/{tokens.proconnect_pending_token(user, identity)}"


def _emailed_link(_world) -> str:
    user = f.make_user()
    identity = {"sub": f"proconnect-{f._n()}", "email": user.email}
    return f"/compte/proconnect/associer/confirmer/{tokens.proconnect_link_token(user, identity)}"


# The signed token is what ProConnect vouched for (or the emailed link): the proof asked is the account's
# password, or its mailbox, whoever is signed in.
get("/compte/proconnect/associer/<token>", _pending_link, everyone(200))
post("/compte/proconnect/associer/<token>", from_scenario("/compte/proconnect/associer/<token>"), everyone(302))
post("/compte/proconnect/associer/<token>/courriel", from_scenario("/compte/proconnect/associer/<token>/courriel"),
     everyone(302))
get("/compte/proconnect/associer/confirmer/<token>", _emailed_link, everyone(200))
post("/compte/proconnect/associer/confirmer/<token>", from_scenario("/compte/proconnect/associer/confirmer/<token>"),
     everyone(302))


def _confirmation_link(_world) -> str:
    return f"/compte/confirmer/{tokens.email_confirmation_token(f.make_user(confirmed=False))}"


def _reset_link(_world) -> str:
    return f"/compte/reinitialiser/{tokens.password_reset_token(f.make_user())}"


# Emailed links: the signed token is the credential, whoever follows it.
get("/compte/confirmer/<token>", _confirmation_link, everyone(200))
post("/compte/confirmer/<token>", from_scenario("/compte/confirmer/<token>"), everyone(302))
get("/compte/reinitialiser/<token>", _reset_link, everyone(200))
post("/compte/reinitialiser/<token>", from_scenario("/compte/reinitialiser/<token>"), everyone(302))

get("/compte/mes-donnees", "/compte/mes-donnees", signed_in())
get("/compte/mes-donnees/export.zip", "/compte/mes-donnees/export.zip", signed_in())
get("/compte/mes-donnees/supprimer", "/compte/mes-donnees/supprimer", signed_in())
# Only the account's own password erases it (the scenario's user, « owner »): another learner typing it is told it
# is wrong (422); an account with a role cannot be erased (its page again, nothing written).
post("/compte/mes-donnees/supprimer", from_scenario("/compte/mes-donnees/supprimer", owner=True),
     signed_in(422, owner=302, **{role: SHOWN_AGAIN for role in Role}))
get("/admin/utilisateurs/<int:user_id>/donnees", "/admin/utilisateurs/{user}/donnees", admins())
post("/admin/utilisateurs/<int:user_id>/donnees/export", from_scenario("/admin/utilisateurs/<int:user_id>/donnees/export"),
     admins(302))


def _recorded_export(w) -> str:
    """An export the world's admin recorded for the outsider: only that admin may download it."""
    record = privacy_services.record_admin_export(w.users["outsider"], actor=w.users[Role.ADMIN], reason="Demande par courriel")
    db.session.commit()
    return f"/admin/utilisateurs/{w.users['outsider'].id}/donnees/export/{record.id}.zip"


get("/admin/utilisateurs/<int:user_id>/donnees/export/<int:request_id>.zip", _recorded_export, admins())
post("/admin/utilisateurs/<int:user_id>/donnees/supprimer",
     from_scenario("/admin/utilisateurs/<int:user_id>/donnees/supprimer"), admins(302))
get("/gestion/effacements", "/gestion/effacements", staff())
get("/admin/utilisateurs", "/admin/utilisateurs", admins())
get("/admin/utilisateurs/<int:user_id>", "/admin/utilisateurs/{user}", admins())
post("/admin/utilisateurs/<int:user_id>/roles", from_scenario("/admin/utilisateurs/<int:user_id>/roles"), admins(302))
post("/admin/utilisateurs/<int:user_id>/roles/<role>/retirer",
     from_scenario("/admin/utilisateurs/<int:user_id>/roles/<role>/retirer", "trainer"), admins(302))
get("/admin/taches", "/admin/taches", admins())
post("/admin/taches/<int:job_id>/relancer", from_scenario("/admin/taches/<int:job_id>/relancer"), admins(302))
# The outbox pages exist in development only (MAIL_OUTBOX_PAGE, on for this module).
get("/admin/courriels", "/admin/courriels", admins())
get("/admin/courriels/<int:message_id>", "/admin/courriels/{message}", admins())
get("/admin/courriels/<int:message_id>/apercu", "/admin/courriels/{message}/apercu", admins())
get("/admin/courriels/<int:message_id>/pieces-jointes/<int:number>", "/admin/courriels/{message}/pieces-jointes/1", admins())


# --- Alpha sessions ---------------------------------------------------------------------------------------

get("/alpha/", "/alpha/", everyone(200))
get("/alpha/<slug>", "/alpha/{slug}", everyone(200))
get("/alpha/<slug>", "/alpha/{draft_slug}", trainers(anonymous=404, refused=404), variant="brouillon")
get("/alpha/<slug>/calendrier.ics", "/alpha/{slug}/calendrier.ics", everyone(200))
get("/alpha/<slug>/calendrier.ics", "/alpha/{draft_slug}/calendrier.ics", trainers(anonymous=404, refused=404),
    variant="brouillon")
# The owner has a seat offered: her application is no longer editable, the page sends her to it.
get("/alpha/<slug>/candidater", "/alpha/{slug}/candidater", signed_in(owner=302))
post("/alpha/<slug>/candidater", from_scenario("/alpha/<slug>/candidater"), signed_in(302))
post("/alpha/<slug>/candidater/brouillon", from_scenario("/alpha/<slug>/candidater/brouillon"), signed_in(anonymous=401))
get("/alpha/mes-candidatures", "/alpha/mes-candidatures", signed_in())
# Staff reading an application are sent to the review page.
get("/alpha/candidatures/<int:application_id>", "/alpha/candidatures/{application}",
    owner_only(trainer=302, admin=302))
for _path in ("confirmer", "decliner", "retirer"):
    post(f"/alpha/candidatures/<int:application_id>/{_path}",
         from_scenario(f"/alpha/candidatures/<int:application_id>/{_path}", owner=True), owner_only(302))
get("/alpha/anciens", "/alpha/anciens", trainers(owner=200))
get("/alpha/anciens/mon-profil", "/alpha/anciens/mon-profil", owner_only())
post("/alpha/anciens/mon-profil", from_scenario("/alpha/anciens/mon-profil", owner=True), owner_only(302))

get("/alpha/gestion/", "/alpha/gestion/", trainers())
get("/alpha/gestion/nouvelle", "/alpha/gestion/nouvelle", trainers())
post("/alpha/gestion/nouvelle", from_scenario("/alpha/gestion/nouvelle"), trainers(302))
for _path in ("modifier", "programme", "courriel", "presence"):
    _rule = f"/alpha/gestion/<int:cohort_id>/{_path}"
    get(_rule, f"/alpha/gestion/{{cohort}}/{_path}", trainers())
    post(_rule, from_scenario(_rule), trainers(302))
get("/alpha/gestion/<int:cohort_id>/programme/<int:item_id>", "/alpha/gestion/{cohort}/programme/{programme_item}", trainers())
post("/alpha/gestion/<int:cohort_id>/programme/<int:item_id>",
     from_scenario("/alpha/gestion/<int:cohort_id>/programme/<int:item_id>"), trainers(302))
post("/alpha/gestion/<int:cohort_id>/programme/<int:item_id>/supprimer",
     from_scenario("/alpha/gestion/<int:cohort_id>/programme/<int:item_id>/supprimer"), trainers(302))
post("/alpha/gestion/<int:cohort_id>/intervenants", from_scenario("/alpha/gestion/<int:cohort_id>/intervenants"),
     trainers(302))
post("/alpha/gestion/<int:cohort_id>/statut/<target>", from_scenario("/alpha/gestion/<int:cohort_id>/statut/<target>",
                                                                     "closed"), trainers(302))
get("/alpha/gestion/<int:cohort_id>/annuler", "/alpha/gestion/{cohort}/annuler", trainers())
post("/alpha/gestion/<int:cohort_id>/annuler", from_scenario("/alpha/gestion/<int:cohort_id>/annuler"), trainers(302))
get("/alpha/gestion/<int:cohort_id>/candidatures", "/alpha/gestion/{cohort}/candidatures", trainers())
get("/alpha/gestion/<int:cohort_id>/candidatures.csv", "/alpha/gestion/{cohort}/candidatures.csv", trainers())
post("/alpha/gestion/<int:cohort_id>/candidatures/decisions",
     from_scenario("/alpha/gestion/<int:cohort_id>/candidatures/decisions"), trainers(302))
get("/alpha/gestion/candidatures/<int:application_id>", "/alpha/gestion/candidatures/{application}", trainers())
for _path in ("decision", "evaluation"):
    _rule = f"/alpha/gestion/candidatures/<int:application_id>/{_path}"
    post(_rule, from_scenario(_rule), trainers(302))


# --- MOOC ---------------------------------------------------------------------------------------------------

get("/mooc/", "/mooc/", everyone(200))
get("/mooc/<slug>", "/mooc/{course_slug}", everyone(200))
get("/mooc/<slug>", "/mooc/{unpublished_slug}", staff(anonymous=404, refused=404), variant="non publié")
# Learning pages are for the run's learners; staff see them as a preview.
get("/mooc/<slug>/<run_slug>/progression", "/mooc/{course_slug}/{run_slug}/progression", signed_in(outsider=403))
get("/mooc/<slug>/<run_slug>/contenu/<key>", "/mooc/{course_slug}/{run_slug}/contenu/{key}", signed_in(outsider=403))
# Staff preview records nothing: answering or completing as staff is refused.
post("/mooc/<slug>/<run_slug>/contenu/<key>/quiz", from_scenario("/mooc/<slug>/<run_slug>/contenu/<key>/quiz", owner=True),
     staff(400, owner=302))
post("/mooc/<slug>/<run_slug>/contenu/<key>/termine",
     from_scenario("/mooc/<slug>/<run_slug>/contenu/<key>/termine", owner=True), owner_only(anonymous=401))
post("/mooc/<slug>/<run_slug>/inscription", from_scenario("/mooc/<slug>/<run_slug>/inscription"), signed_in(302))
post("/mooc/<slug>/<run_slug>/desinscription", from_scenario("/mooc/<slug>/<run_slug>/desinscription", owner=True),
     signed_in(400, owner=302))
get("/mooc/<slug>/<run_slug>/attestation.pdf", "/mooc/{course_slug}/{run_slug}/attestation.pdf", signed_in(403),
    variant="personne n’a fini")
get("/mooc/<slug>/<run_slug>/attestation.pdf", "/mooc/{finished_slug}/{finished_run_slug}/attestation.pdf",
    owner_only(), variant="la propriétaire a fini")
# The code printed on an attestation is what anyone checks it with.
get("/mooc/attestations/<code>", "/mooc/attestations/{attestation_code}", everyone(200))
get("/mooc/<int:course_id>/ressources/<int:item_id>", "/mooc/{course}/ressources/{resource}", signed_in(outsider=403))

get("/mooc/gestion/", "/mooc/gestion/", staff())
get("/mooc/gestion/<int:course_id>/contenu", "/mooc/gestion/{course}/contenu", staff())
get("/mooc/gestion/<int:course_id>/apercu/<int:item_id>", "/mooc/gestion/{course}/apercu/{course_item}", staff(302))
get("/mooc/gestion/<int:course_id>/elements/<int:item_id>", "/mooc/gestion/{course}/elements/{course_item}", staff())
post("/mooc/gestion/<int:course_id>/elements/<int:item_id>", from_scenario("/mooc/gestion/<int:course_id>/elements/<int:item_id>"),
     staff(302))
post("/mooc/gestion/<int:course_id>/elements/<int:item_id>/deplacer/<direction>",
     from_scenario("/mooc/gestion/<int:course_id>/elements/<int:item_id>/deplacer/<direction>", "haut"), staff(302))
post("/mooc/gestion/<int:course_id>/elements/<int:item_id>/supprimer",
     from_scenario("/mooc/gestion/<int:course_id>/elements/<int:item_id>/supprimer"), staff(302))
post("/mooc/gestion/<int:course_id>/modules", from_scenario("/mooc/gestion/<int:course_id>/modules"), staff(302))
get("/mooc/gestion/<int:course_id>/modules/<int:module_id>", "/mooc/gestion/{course}/modules/{module}", staff())
post("/mooc/gestion/<int:course_id>/modules/<int:module_id>", from_scenario("/mooc/gestion/<int:course_id>/modules/<int:module_id>"),
     staff(302))
post("/mooc/gestion/<int:course_id>/modules/<int:module_id>/sequences",
     from_scenario("/mooc/gestion/<int:course_id>/modules/<int:module_id>/sequences"), staff(302))
get("/mooc/gestion/<int:course_id>/sequences/<int:sequence_id>", "/mooc/gestion/{course}/sequences/{sequence}", staff())
post("/mooc/gestion/<int:course_id>/sequences/<int:sequence_id>",
     from_scenario("/mooc/gestion/<int:course_id>/sequences/<int:sequence_id>"), staff(302))
get("/mooc/gestion/<int:course_id>/sequences/<int:sequence_id>/nouvel-element",
    "/mooc/gestion/{course}/sequences/{sequence}/nouvel-element", staff())
post("/mooc/gestion/<int:course_id>/sequences/<int:sequence_id>/nouvel-element",
     from_scenario("/mooc/gestion/<int:course_id>/sequences/<int:sequence_id>/nouvel-element"), staff(302))
get("/mooc/gestion/<int:course_id>/sessions/nouvelle", "/mooc/gestion/{course}/sessions/nouvelle", staff())
post("/mooc/gestion/<int:course_id>/sessions/nouvelle", from_scenario("/mooc/gestion/<int:course_id>/sessions/nouvelle"),
     staff(302))
get("/mooc/gestion/<int:course_id>/sessions/<int:run_id>", "/mooc/gestion/{course}/sessions/{run}", staff())
post("/mooc/gestion/<int:course_id>/sessions/<int:run_id>", from_scenario("/mooc/gestion/<int:course_id>/sessions/<int:run_id>"),
     staff(302))
get("/mooc/gestion/sessions/<int:run_id>/tableau-de-bord", "/mooc/gestion/sessions/{run}/tableau-de-bord", staff())
get("/mooc/gestion/sessions/<int:run_id>/apprenants.csv", "/mooc/gestion/sessions/{run}/apprenants.csv", staff())
get("/mooc/gestion/sessions/<int:run_id>/inscriptions", "/mooc/gestion/sessions/{run}/inscriptions", staff())
# The batch form answers on its own page, with what it did.
post("/mooc/gestion/sessions/<int:run_id>/inscriptions", from_scenario("/mooc/gestion/sessions/<int:run_id>/inscriptions"),
     staff(200))
get("/mooc/gestion/sessions/<int:run_id>/courriel", "/mooc/gestion/sessions/{run}/courriel", staff())
post("/mooc/gestion/sessions/<int:run_id>/courriel", from_scenario("/mooc/gestion/sessions/<int:run_id>/courriel"), staff(302))


# --- Fiches produit -----------------------------------------------------------------------------------------

get("/fiches/", "/fiches/", signed_in())
get("/fiches/nouvelle", "/fiches/nouvelle", signed_in())
# The scenario's learner links the sheet to her own enrolment; another person cannot pick it.
post("/fiches/nouvelle", from_scenario("/fiches/nouvelle", owner=True), signed_in(SHOWN_AGAIN, owner=302))
get("/fiches/<int:sheet_id>", "/fiches/{sheet}", owner_and_staff())
get("/fiches/<int:sheet_id>/apercu", "/fiches/{sheet}/apercu", owner_and_staff())
get("/fiches/<int:sheet_id>/fiche.md", "/fiches/{sheet}/fiche.md", owner_and_staff())
get("/fiches/<int:sheet_id>/fiche.pdf", "/fiches/{sheet}/fiche.pdf", owner_and_staff())
get("/fiches/<int:sheet_id>/modifier", "/fiches/{sheet}/modifier", owner_only())
post("/fiches/<int:sheet_id>/modifier", from_scenario("/fiches/<int:sheet_id>/modifier", owner=True), owner_only(302))
post("/fiches/<int:sheet_id>/brouillon", from_scenario("/fiches/<int:sheet_id>/brouillon", owner=True),
     owner_only(anonymous=401))
post("/fiches/<int:sheet_id>/envoyer", from_scenario("/fiches/<int:sheet_id>/envoyer", owner=True), owner_only(302))
post("/fiches/<int:sheet_id>/retirer", from_scenario("/fiches/<int:sheet_id>/retirer", owner=True), owner_only(302))
get("/fiches/<int:sheet_id>/feuille-de-route", "/fiches/{approved_sheet}/feuille-de-route", owner_and_staff())
post("/fiches/<int:sheet_id>/feuille-de-route", from_scenario("/fiches/<int:sheet_id>/feuille-de-route", "jalons", owner=True),
     owner_only(302))
# A part of the fiche, at the end of its sequence: for the learners enrolled in the run, each into her own fiche
# (staff previewing the course are not enrolled: nothing to answer into). A sequence without a part: 404.
get("/fiches/mooc/<slug>/<run_slug>/sequence/<int:number>", "/fiches/mooc/{course_slug}/{run_slug}/sequence/1",
    {**everyone(403), "anonymous": LOGIN, "owner": 200, "member": 200})
get("/fiches/mooc/<slug>/<run_slug>/sequence/<int:number>", "/fiches/mooc/{course_slug}/{run_slug}/sequence/9",
    signed_in(404), variant="sans partie")
post("/fiches/mooc/<slug>/<run_slug>/sequence/<int:number>",
     from_scenario("/fiches/mooc/<slug>/<run_slug>/sequence/<int:number>", owner=True), owner_only(302))
post("/fiches/mooc/<slug>/<run_slug>/sequence/<int:number>/brouillon",
     from_scenario("/fiches/mooc/<slug>/<run_slug>/sequence/<int:number>/brouillon", owner=True), owner_only(anonymous=401))
get("/fiches/relecture", "/fiches/relecture", staff())
get("/fiches/impact", "/fiches/impact", staff())
get("/fiches/<int:sheet_id>/relecture", "/fiches/{submitted_sheet}/relecture", staff())
post("/fiches/<int:sheet_id>/prendre", from_scenario("/fiches/<int:sheet_id>/prendre"), staff(302))


def _own_submitted_sheet(w, role) -> ProductSheet:
    """A sheet sent for review by whoever is about to act (by the owner when nobody is signed in)."""
    return f.make_product_sheet(w.users.get(role, w.owner), state="submitted", content=COMPLETE_SHEET)


# Nobody reviews their own sheet, whatever their roles.
get("/fiches/<int:sheet_id>/relecture", lambda w, role: f"/fiches/{_own_submitted_sheet(w, role).id}/relecture", staff(403),
    variant="sa propre fiche")
post("/fiches/<int:sheet_id>/prendre", lambda w, role: Request(f"/fiches/{_own_submitted_sheet(w, role).id}/prendre"),
     staff(403), variant="sa propre fiche")


def _claimed_sheet(w, role) -> ProductSheet:
    """A sheet in review, claimed by the acting reviewer (or by another trainer if the role reviews nothing):
    reviewing or releasing is then what that reviewer may do."""
    reviewer = w.users[role] if role in REVIEWER_ROLES else f.make_user(roles=[Role.TRAINER])
    return f.make_product_sheet(state="in_review", content=COMPLETE_SHEET, claimed_by_id=reviewer.id, claimed_at=utcnow())


post("/fiches/<int:sheet_id>/relecture",
     lambda w, role: Request(f"/fiches/{_claimed_sheet(w, role).id}/relecture",
                             {"verdict": "approved", "overall_comment": "Très clair.", "score_positioning": "4"}), staff(302))
post("/fiches/<int:sheet_id>/rendre", lambda w, role: Request(f"/fiches/{_claimed_sheet(w, role).id}/rendre"), staff(302))
post("/fiches/<int:sheet_id>/relecture",
     lambda w, role: Request(f"/fiches/{_claimed_sheet(w, role).id}/relecture",
                             {"verdict": "second_review", "second_opinion_reason": "Un autre regard.", "score_positioning": "3"}),
     staff(302), variant="second avis")
post("/fiches/<int:sheet_id>/prendre", from_scenario("/fiches/<int:sheet_id>/prendre", "second avis"), staff(302),
     variant="second avis")


def _own_claimed_sheet(w, role) -> ProductSheet:
    """A sheet of whoever is about to act, in review by herself (a state no page leads to: it proves the
    route's own check, not the queue's)."""
    me = w.users.get(role, w.owner)
    return f.make_product_sheet(me, state="in_review", content=COMPLETE_SHEET, claimed_by_id=me.id, claimed_at=utcnow())


def _own_second_opinion_sheet(w, role) -> ProductSheet:
    sheet = f.make_product_sheet(w.users.get(role, w.owner), state="second_review", content=COMPLETE_SHEET)
    f.make_sheet_review(sheet, verdict="second_review")
    return sheet


def _own_approved_sheet(w, role) -> ProductSheet:
    from beta_training.sheets.services import create_milestones

    sheet = f.make_product_sheet(w.users.get(role, w.owner), state="approved", content=COMPLETE_SHEET, approved_at=utcnow())
    create_milestones(sheet)
    db.session.commit()
    return sheet


# Nobody reviews their own sheet, on any review route (trainers who write a fiche too): 403, nothing written.
post("/fiches/<int:sheet_id>/relecture",
     lambda w, role: Request(f"/fiches/{_own_claimed_sheet(w, role).id}/relecture", {"verdict": "approved"}),
     staff(403), variant="sa propre fiche")
post("/fiches/<int:sheet_id>/relecture",
     lambda w, role: Request(f"/fiches/{_own_claimed_sheet(w, role).id}/relecture",
                             {"verdict": "second_review", "second_opinion_reason": "Pourquoi pas."}),
     staff(403), variant="second avis sur sa propre fiche")
post("/fiches/<int:sheet_id>/rendre", lambda w, role: Request(f"/fiches/{_own_claimed_sheet(w, role).id}/rendre"),
     staff(403), variant="sa propre fiche")
post("/fiches/<int:sheet_id>/prendre", lambda w, role: Request(f"/fiches/{_own_second_opinion_sheet(w, role).id}/prendre"),
     staff(403), variant="second avis sur sa propre fiche")


def _comment_own_roadmap(w, role) -> Request:
    sheet = _own_approved_sheet(w, role)
    milestone = db.session.scalar(sa.select(SheetMilestone).where(SheetMilestone.sheet_id == sheet.id))
    return Request(f"/fiches/{sheet.id}/feuille-de-route/commentaires",
                   {"target": f"jalon-{milestone.id}", "body": "Bravo à moi.", "submission_key": f"cle{f._n()}"})


post("/fiches/<int:sheet_id>/feuille-de-route/commentaires", from_scenario("/fiches/<int:sheet_id>/feuille-de-route/commentaires"),
     staff(302))
post("/fiches/<int:sheet_id>/feuille-de-route/commentaires", _comment_own_roadmap, staff(403), variant="sa propre fiche")

# Version history: the owner and the reviewers read it; only the owner restores (while she may edit).
get("/fiches/<int:sheet_id>/versions", "/fiches/{sheet}/versions", owner_and_staff())
get("/fiches/<int:sheet_id>/versions/<int:number>", "/fiches/{sheet}/versions/1", owner_and_staff())
get("/fiches/<int:sheet_id>/versions/<int:number>", "/fiches/{sheet}/versions/99", owner_and_staff(404, member=403, outsider=403),
    variant="version inconnue")
get("/fiches/<int:sheet_id>/versions/comparer", "/fiches/{sheet}/versions/comparer?de=1&a=1", owner_and_staff())
post("/fiches/<int:sheet_id>/versions/<int:number>/restaurer",
     from_scenario("/fiches/<int:sheet_id>/versions/<int:number>/restaurer", owner=True), owner_only(302))



# --- Appel à intrapreneurs ------------------------------------------------------------------------------------

get("/appels/", "/appels/", everyone(200))
get("/appels/<int:call_id>", "/appels/{call}", everyone(200))
get("/appels/<int:call_id>", "/appels/{upcoming_call}", trainers(anonymous=404, refused=404), variant="à venir")
get("/appels/nouveau", "/appels/nouveau", trainers())
post("/appels/nouveau", from_scenario("/appels/nouveau"), trainers(302))
get("/appels/<int:call_id>/modifier", "/appels/{call}/modifier", trainers())
post("/appels/<int:call_id>/modifier", from_scenario("/appels/<int:call_id>/modifier"), trainers(302))
get("/appels/<int:call_id>/deposer", "/appels/{call}/deposer", signed_in())
# The scenario's candidate starts from her own fiche produit; nobody else may pick it (the form says so).
post("/appels/<int:call_id>/deposer", from_scenario("/appels/<int:call_id>/deposer", owner=True), signed_in(422, owner=302))
get("/appels/mes-dossiers", "/appels/mes-dossiers", signed_in())
# A filed dossier: its candidate and the call's team (trainers); a draft is hers alone.
get("/appels/dossiers/<int:dossier_id>", "/appels/dossiers/{submitted_dossier}", trainers(owner=200))
get("/appels/dossiers/<int:dossier_id>", "/appels/dossiers/{dossier}", owner_only(), variant="brouillon")
get("/appels/dossiers/<int:dossier_id>/modifier", "/appels/dossiers/{dossier}/modifier", owner_only())
post("/appels/dossiers/<int:dossier_id>/modifier", from_scenario("/appels/dossiers/<int:dossier_id>/modifier", owner=True),
     owner_only(302))
post("/appels/dossiers/<int:dossier_id>/brouillon", from_scenario("/appels/dossiers/<int:dossier_id>/brouillon", owner=True),
     owner_only(anonymous=401))
get("/appels/<int:call_id>/preselection", "/appels/{call}/preselection", trainers())
get("/appels/dossiers/<int:dossier_id>/evaluation", "/appels/dossiers/{submitted_dossier}/evaluation", trainers())
post("/appels/dossiers/<int:dossier_id>/evaluation", from_scenario("/appels/dossiers/<int:dossier_id>/evaluation"),
     trainers(302))


def _own_filed_dossier(w, role):
    """A dossier filed by whoever is about to act (by the owner when nobody is signed in)."""
    return f.make_dossier(w.call, w.users.get(role, w.owner), state="submitted")


# Nobody scores or pre-selects her own dossier, whatever her roles.
get("/appels/dossiers/<int:dossier_id>/evaluation",
    lambda w, role: f"/appels/dossiers/{_own_filed_dossier(w, role).id}/evaluation", signed_in(403), variant="son propre dossier")
post("/appels/dossiers/<int:dossier_id>/preselection", from_scenario("/appels/dossiers/<int:dossier_id>/preselection"),
     trainers(302))
post("/appels/dossiers/<int:dossier_id>/retirer", from_scenario("/appels/dossiers/<int:dossier_id>/retirer", owner=True),
     owner_only(302))
post("/appels/dossiers/<int:dossier_id>/preselection",
     lambda w, role: Request(f"/appels/dossiers/{_own_filed_dossier(w, role).id}/preselection", {"decision": "preselect"}),
     signed_in(403), variant="son propre dossier")
get("/appels/<int:call_id>/informer", "/appels/{closed_call}/informer", trainers())
post("/appels/<int:call_id>/informer", from_scenario("/appels/<int:call_id>/informer"), trainers(302))

# Jury: the trainers run it; the member is a juror of the closed call (only): she reads its scoring page and
# scores its pitches, and nothing else of the jury.


def _jury_dossier(w):
    return db.session.scalar(sa.select(Dossier).where(Dossier.call_id == w.closed_call.id, Dossier.state == "preselected"))


def _score_request(w, role):
    dossier = f.make_dossier(w.closed_call, state="preselected")
    return Request(f"/appels/dossiers/{dossier.id}/jury/note",
                   {f"d{dossier.id}-score_1": "4", f"d{dossier.id}-score_2": "3", f"d{dossier.id}-score_3": "5"})


get("/appels/<int:call_id>/jury", "/appels/{closed_call}/jury", trainers())
post("/appels/<int:call_id>/jury/jures", from_scenario("/appels/<int:call_id>/jury/jures"), trainers(302))
post("/appels/<int:call_id>/jury/jures/<int:juror_id>/retirer",
     from_scenario("/appels/<int:call_id>/jury/jures/<int:juror_id>/retirer"), trainers(302))
post("/appels/<int:call_id>/jury/seance", from_scenario("/appels/<int:call_id>/jury/seance"), trainers(302))
post("/appels/dossiers/<int:dossier_id>/jury/ordre", from_scenario("/appels/dossiers/<int:dossier_id>/jury/ordre"),
     trainers(302))
post("/appels/<int:call_id>/jury/envoyer", from_scenario("/appels/<int:call_id>/jury/envoyer"), trainers(302))
get("/appels/<int:call_id>/jury/notation", "/appels/{closed_call}/jury/notation", trainers(member=200))
get("/appels/<int:call_id>/jury/notation", "/appels/{call}/jury/notation", trainers(), variant="appel sans ce juré")
post("/appels/dossiers/<int:dossier_id>/jury/note", _score_request, {**signed_in(403), "member": 302})
post("/appels/dossiers/<int:dossier_id>/jury/note", lambda w: from_scenario(
    "/appels/dossiers/<int:dossier_id>/jury/note")(w, None), signed_in(403), variant="pitch d’un autre appel")
get("/appels/<int:call_id>/deliberation", "/appels/{closed_call}/deliberation", trainers())
get("/appels/dossiers/<int:dossier_id>/decision", lambda w: f"/appels/dossiers/{_jury_dossier(w).id}/decision", trainers())
post("/appels/dossiers/<int:dossier_id>/decision", from_scenario("/appels/dossiers/<int:dossier_id>/decision"),
     trainers(302))
get("/appels/<int:call_id>/jury/proces-verbal.csv", "/appels/{closed_call}/jury/proces-verbal.csv", trainers())
get("/appels/<int:call_id>/jury/proces-verbal.pdf", "/appels/{closed_call}/jury/proces-verbal.pdf", trainers())

# --- Products and comités d'investissement -----------------------------------------------------------------


def _laureate(w):
    """A lauréat of the closed call, not yet a product."""
    return f.make_dossier(w.closed_call, state="laureate")


def team_and_trainers(status=200, **others) -> dict:
    """A product: its team (the owner is in it) and those who run the comités (trainers, admins)."""
    return trainers(status, **{"owner": status, **others})


get("/produits/", "/produits/", signed_in())
get("/produits/impact", "/produits/impact", trainers())
get("/produits/nouveau", "/produits/nouveau", trainers())
post("/produits/nouveau", from_scenario("/produits/nouveau"), trainers(302))
get("/produits/nouveau/laureat/<int:dossier_id>", lambda w: f"/produits/nouveau/laureat/{_laureate(w).id}", trainers())
post("/produits/nouveau/laureat/<int:dossier_id>", from_scenario("/produits/nouveau/laureat/<int:dossier_id>"),
     trainers(302))
get("/produits/<int:product_id>", "/produits/{product}", team_and_trainers())
get("/produits/<int:product_id>/modifier", "/produits/{product}/modifier", team_and_trainers())
post("/produits/<int:product_id>/modifier", from_scenario("/produits/<int:product_id>/modifier", owner=True),
     team_and_trainers(302))
get("/produits/<int:product_id>/indicateurs/nouveau", "/produits/{product}/indicateurs/nouveau", team_and_trainers())
post("/produits/<int:product_id>/indicateurs/nouveau",
     from_scenario("/produits/<int:product_id>/indicateurs/nouveau", owner=True), team_and_trainers(302))
get("/produits/<int:product_id>/jalons/nouveau", "/produits/{product}/jalons/nouveau", team_and_trainers())
post("/produits/<int:product_id>/jalons/nouveau", from_scenario("/produits/<int:product_id>/jalons/nouveau", owner=True),
     team_and_trainers(302))
get("/produits/<int:product_id>/startup.md", "/produits/{product}/startup.md", team_and_trainers())
post("/produits/<int:product_id>/phase", from_scenario("/produits/<int:product_id>/phase"), trainers(302))
post("/produits/<int:product_id>/comites", from_scenario("/produits/<int:product_id>/comites"), trainers(302))
# Measures are the team's: trainers read them.
post("/produits/<int:product_id>/indicateurs", from_scenario("/produits/<int:product_id>/indicateurs", owner=True),
     owner_only(302))
get("/produits/comites/<int:committee_id>", "/produits/comites/{committee}", team_and_trainers())
get("/produits/comites/<int:committee_id>", "/produits/comites/{submitted_committee}", team_and_trainers(),
    variant="dossier envoyé")
# The file is the team's until sent.
get("/produits/comites/<int:committee_id>/dossier", "/produits/comites/{committee}/dossier", owner_only())
post("/produits/comites/<int:committee_id>/dossier", from_scenario("/produits/comites/<int:committee_id>/dossier", owner=True),
     owner_only(302))
post("/produits/comites/<int:committee_id>/brouillon",
     from_scenario("/produits/comites/<int:committee_id>/brouillon", owner=True), owner_only(anonymous=401))
post("/produits/comites/<int:committee_id>/envoyer", from_scenario("/produits/comites/<int:committee_id>/envoyer", owner=True),
     owner_only(302))
# Then the comité's: scored and decided by trainers and admins.
get("/produits/comites/<int:committee_id>/notation", "/produits/comites/{submitted_committee}/notation", trainers())
post("/produits/comites/<int:committee_id>/notation", from_scenario("/produits/comites/<int:committee_id>/notation"),
     trainers(302))
post("/produits/comites/<int:committee_id>/renvoyer", from_scenario("/produits/comites/<int:committee_id>/renvoyer"),
     trainers(302))
get("/produits/comites/<int:committee_id>/decision", "/produits/comites/{submitted_committee}/decision", trainers())
post("/produits/comites/<int:committee_id>/decision", from_scenario("/produits/comites/<int:committee_id>/decision"),
     trainers(302))


# --- Forum ------------------------------------------------------------------------------------------------

get("/forum/", "/forum/", signed_in())
get("/forum/preferences", "/forum/preferences", signed_in())
post("/forum/preferences", from_scenario("/forum/preferences"), signed_in(302))
# Entering a place's forum: its learners (or participants with a seat) and staff are sent to it.
get("/forum/mooc/<int:run_id>", "/forum/mooc/{run}", readers(302))
get("/forum/alpha/<int:cohort_id>", "/forum/alpha/{cohort}", readers(302, member=404))
get("/forum/<int:forum_id>", "/forum/{forum}", readers())
get("/forum/<int:forum_id>", "/forum/{forum}?filtre=sans-reponse-equipe", readers(), variant="filtre")
get("/forum/<int:forum_id>/recherche", "/forum/{forum}/recherche?q=secret", readers())
get("/forum/<int:forum_id>/moderation", "/forum/{forum}/moderation", moderators())
get("/forum/<int:forum_id>/nouveau-sujet", "/forum/{forum}/nouveau-sujet", readers())
get("/forum/<int:forum_id>/sujets/<int:thread_id>", "/forum/{forum}/sujets/{thread}", readers())
get("/forum/messages/<int:post_id>/modifier", "/forum/messages/{post}/modifier", readers(member=403))
get("/forum/messages/<int:post_id>/historique", "/forum/messages/{post}/historique", readers())
get("/forum/messages/<int:post_id>/signaler", "/forum/messages/{post}/signaler", readers(owner=403))
get("/forum/messages/<int:post_id>/masquer", "/forum/messages/{post}/masquer", moderators())

STATE_RULE = "/forum/<int:forum_id>/sujets/<int:thread_id>/<any(verrouiller, fermer, rouvrir):action>"
for _action in ("verrouiller", "fermer"):
    get(STATE_RULE, f"/forum/{{forum}}/sujets/{{thread}}/{_action}", moderators(), variant=_action)
# Reopening has no page of its own (a button): staff asking for one get 405.
get(STATE_RULE, "/forum/{forum}/sujets/{thread}/rouvrir", moderators(405), variant="rouvrir")


def _thread(w, **values) -> ForumThread:
    """A thread of the world's forum, opened by the owner, with the owner's reply (and the member's)."""
    thread = f.make_forum_thread(w.forum, w.owner, title="Un sujet", **values)
    f.make_forum_post(thread, w.owner, body="Réponse de l’auteur")
    return thread


def _thread_url(thread, path="") -> str:
    return f"/forum/{thread.forum_id}/sujets/{thread.id}{path}"


def _owners_reply(w):
    return f.make_forum_post(_thread(w), w.owner, body="Une réponse")


def _accepted_thread(w) -> ForumThread:
    thread = _thread(w)
    forum_services.accept_answer(thread, w.owner, f.make_forum_post(thread, w.member, body="La bonne réponse"))
    db.session.commit()
    return thread


def _unsubscribe_url(w) -> str:
    return f"/forum/desabonnement/{forum_emails.unsubscribe_token(w.member.id, f'forum:{w.forum.id}')}"


post("/forum/<int:forum_id>/suivre", lambda w: Request(f"/forum/{w.forum.id}/suivre", {"suivre": "1"}), readers(302))
post("/forum/<int:forum_id>/nouveau-sujet",
     lambda w: Request(f"/forum/{w.forum.id}/nouveau-sujet", {
         "category_id": str(w.forum.categories[1].id), "kind": "discussion", "title": "Un retour", "body": "Merci.",
         "submission_key": f"cle{f._n()}"}), readers(302))
post("/forum/<int:forum_id>/nouveau-sujet/brouillon",
     lambda w: Request(f"/forum/{w.forum.id}/nouveau-sujet/brouillon", {"title": "Idée", "body": "Premier jet"}, FETCH),
     readers(anonymous=401))
post("/forum/<int:forum_id>/sujets/<int:thread_id>/repondre",
     lambda w: Request(_thread_url(w.thread, "/repondre"), {"body": "Merci, c’est plus clair.", "submission_key": f"cle{f._n()}"}),
     readers(302))
post("/forum/<int:forum_id>/sujets/<int:thread_id>/brouillon",
     lambda w: Request(_thread_url(w.thread, "/brouillon"), {"body": "Je réponds bient"}, FETCH), readers(anonymous=401))
post("/forum/<int:forum_id>/sujets/<int:thread_id>/suivre",
     lambda w: Request(_thread_url(w.thread, "/suivre"), {"suivre": "1"}), readers(302))


def _accept(w) -> Request:
    thread = _thread(w)
    answer = f.make_forum_post(thread, w.member, body="La bonne réponse")
    return Request(_thread_url(thread, f"/accepter/{answer.id}"))


# The asker (the owner) or staff choose the accepted answer.
post("/forum/<int:forum_id>/sujets/<int:thread_id>/accepter/<int:post_id>", _accept, readers(302, member=403))
post("/forum/<int:forum_id>/sujets/<int:thread_id>/retirer-acceptation",
     lambda w: Request(_thread_url(_accepted_thread(w), "/retirer-acceptation")), readers(302, member=403))
post("/forum/<int:forum_id>/sujets/<int:thread_id>/epingler",
     lambda w: Request(_thread_url(_thread(w), "/epingler"), {"epingler": "1"}), moderators(302))


def _change_state(action):
    return lambda w: Request(_thread_url(_thread(w), f"/{action}"), {"reason": "Hors sujet"})


for _action in ("verrouiller", "fermer"):
    post(STATE_RULE, _change_state(_action), moderators(302), variant=_action)
post(STATE_RULE, lambda w: Request(_thread_url(_thread(w, state="closed"), "/rouvrir")), moderators(302), variant="rouvrir")

post("/forum/messages/<int:post_id>/modifier",
     lambda w: Request(f"/forum/messages/{_owners_reply(w).id}/modifier", {"body": "Nouveau texte"}), readers(302, member=403))
post("/forum/messages/<int:post_id>/supprimer",
     lambda w: Request(f"/forum/messages/{_owners_reply(w).id}/supprimer"), readers(302, member=403))
post("/forum/messages/<int:post_id>/signaler",
     lambda w: Request(f"/forum/messages/{_owners_reply(w).id}/signaler", {"reason": "Hors charte"}), readers(302, owner=403))
post("/forum/messages/<int:post_id>/masquer",
     lambda w: Request(f"/forum/messages/{_owners_reply(w).id}/masquer", {"reason": "Charte"}), moderators(302))


def _hidden_reply(w):
    reply = _owners_reply(w)
    with current_app.test_request_context():  # the author's email links back to the thread
        forum_services.hide_post(reply, w.users[Role.COURSE_LEAD], "Hors charte")
        core_db.commit()
    return reply


def _reported_reply(w):
    reply = _owners_reply(w)
    forum_services.report_post(reply, w.member, "Hors sujet")
    core_db.commit()
    return reply


def _held_reply(w):
    """The owner's reply waiting for a moderator (as a newcomer's first posts do when the forum holds them)."""
    held = forum_services.reply(_thread(w), w.owner, body="Ma première réponse",
                                rules=forum_services.PostingRules(max_posts=10**6, hold_first_posts=10**6))
    core_db.commit()
    return held


MODERATE_RULE = "/forum/messages/<int:post_id>/<any(retablir, conserver, approuver):action>"
post(MODERATE_RULE, lambda w: Request(f"/forum/messages/{_hidden_reply(w).id}/retablir"), moderators(302),
     variant="retablir")
post(MODERATE_RULE, lambda w: Request(f"/forum/messages/{_reported_reply(w).id}/conserver"), moderators(302),
     variant="conserver")
# A held post shows to its author and staff only: to other members it does not exist.
post(MODERATE_RULE, lambda w: Request(f"/forum/messages/{_held_reply(w).id}/approuver"), moderators(302, member=404),
     variant="approuver")
post(MODERATE_RULE, lambda w: Request(f"/forum/messages/{_owners_reply(w).id}/approuver"), moderators(302),
     variant="approuver un message déjà visible")

# The link in a forum email: the signed token is the credential, whoever follows it.
get("/forum/desabonnement/<token>", _unsubscribe_url, everyone(200))
post("/forum/desabonnement/<token>", lambda w: Request(_unsubscribe_url(w), {"List-Unsubscribe": "One-Click"}),
     everyone(204))
