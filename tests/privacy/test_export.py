"""The export: one ZIP with a JSON file, a CSV per kind and a LISEZMOI.md; every kind of record appears."""

import csv
import io
import json
import re
import zipfile
from datetime import datetime

import sqlalchemy as sa
from freezegun import freeze_time

from beta_training.accounts import services as accounts
from beta_training.accounts.models import Role, SignInEvent
from beta_training.cohorts.models import APPLICATION_STATE_LABELS
from beta_training.core.models import OUTBOX_STATE_LABELS, OutboxMessage, OutboxState, to_paris, utcnow
from beta_training.privacy import services as privacy
from beta_training.extensions import db
from beta_training.privacy.export import KINDS
from tests import factories as f
from tests.conftest import login
from tests.privacy.world import EMAIL, FIRST, LAST, seed_person


def download(client) -> zipfile.ZipFile:
    response = client.get("/compte/mes-donnees/export.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip" and "attachment" in response.headers["Content-Disposition"]
    assert response.is_streamed
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_the_export_has_every_kind_of_record(app, client):
    person = seed_person()
    admin = f.make_user(roles=[Role.ADMIN])
    accounts.grant_role(person.user, Role.COURSE_LEAD, actor=admin)  # a role, and its history
    privacy.record_admin_export(person.user, actor=admin, reason="Demande reçue par courriel")
    db.session.commit()
    login(client, person.user)
    archive = download(client)

    data = json.loads(archive.read("donnees.json"))
    assert list(data) == [kind.name for kind in KINDS]
    empty = [name for name, rows in data.items() if not rows]
    assert empty == [], f"kinds with no record: {empty}"
    assert data["compte"][0]["email"] == EMAIL and "password_hash" not in data["compte"][0]
    assert data["connexions"][0]["network"] == "192.0.2.0/24"  # the network, never the address
    assert any("Zéphyrine" in row["problem"] for row in data["candidatures"])
    assert data["candidatures_evaluations"][0]["comment"].startswith("Très bon profil")
    assert "reviewer_id" not in data["candidatures_evaluations"][0]
    assert {row["number"] for row in data["fiches_produit_versions"]} == {1, 2}
    assert data["fiches_produit_relectures"][0]["overall_comment"] == f"Bravo {FIRST} !"
    assert any(row["body"] == "Ma réponse, signée Zéphyrine" for row in data["forum_messages"])
    assert {row["subject"] for row in data["courriels"]} == {"Candidature reçue"}  # hers only
    assert data["attestations"][0]["code"].startswith("ATT")
    assert data["compte_historique"][0]["to_state"] == "proconnect_linked" and "actor_id" not in data["compte_historique"][0]
    assert data["forum_lectures"][0]["last_read_post_id"] == person.ids["mention"]
    assert data["forum_notifications"][0]["post_id"] == person.ids["mention"] and data["forum_notifications"][0]["emailed_at"] is None
    assert data["compte_avertissements"][0]["warned_at"]
    assert data["mooc_invitations"][0]["email"] == EMAIL.upper() and "invited_by_id" not in data["mooc_invitations"][0]
    assert data["appels_dossiers"][0]["problem"].startswith("Chaque année, Zéphyrine")
    assert "submission_key" not in data["appels_dossiers"][0]
    assert data["appels_dossiers_evaluations"][0]["average"] == 11 / 3
    assert "reviewer_id" not in data["appels_dossiers_evaluations"][0]
    assert data["appels_evaluations_ecrites"][0]["dossier_id"] == person.ids["other_dossier"]
    assert data["appels_dossiers_notes_jury"][0]["average"] == 4.0 and "juror_id" not in data["appels_dossiers_notes_jury"][0]
    assert data["appels_notes_jury_donnees"][0]["average"] == 3.0
    assert data["appels_jurys"][0]["email"] == EMAIL.lower() and "user_id" not in data["appels_jurys"][0]

    for kind in KINDS:  # each CSV's header (written even with no row) is what the rows hold
        assert list(data[kind.name][0]) == kind.header(), kind.name

    names = set(archive.namelist())
    assert {f"{kind.name}.csv" for kind in KINDS} | {"donnees.json", "LISEZMOI.md"} == names
    readme = archive.read("LISEZMOI.md").decode()
    assert all(kind.title in readme for kind in KINDS)
    rows = list(csv.reader(io.StringIO(archive.read("forum_messages.csv").decode("utf-8-sig")), delimiter=";"))
    assert "Texte" in rows[0] and len(rows) == 3  # header, her opening post and her reply


def test_csv_cells_are_neutralised(app, client):
    user = f.make_user(first_name="=HYPERLINK(\"http://exemple.org\")")
    login(client, user)
    archive = download(client)
    [header, row] = list(csv.reader(io.StringIO(archive.read("compte.csv").decode("utf-8-sig")), delimiter=";"))
    assert row[header.index("Prénom")] == "'=HYPERLINK(\"http://exemple.org\")"


def test_the_export_has_no_one_elses_records(app, client):
    someone = seed_person().user
    other = f.make_user()
    login(client, other)
    data = json.loads(download(client).read("donnees.json"))
    assert data["compte"][0]["id"] == other.id
    assert all(rows == [] for name, rows in data.items() if name not in ("compte", "forum_preferences"))
    assert someone.email not in json.dumps(data)


def test_the_login_records_a_sign_in_event_with_the_network_only(app, client):
    user = f.make_user()
    response = client.post("/compte/connexion", data={"email": user.email, "password": f.PASSWORD},
                           environ_base={"REMOTE_ADDR": "2001:db8:1234:5678::1"})
    assert response.status_code == 302
    [event] = db.session.scalars(db.select(SignInEvent)).all()
    assert (event.user_id, event.method, event.network) == (user.id, "password", "2001:db8:1234::/48")


def test_my_data_page_lists_the_kinds_and_links_the_export(app, client):
    login(client, seed_person().user)
    page = client.get("/compte/mes-donnees")
    assert page.status_code == 200
    assert "/compte/mes-donnees/export.zip" in page.text and "Vos messages sur les forums" in page.text
    assert "/compte/mes-donnees" in client.get("/compte/").text  # the account's side menu links it


def read_csv(archive, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(f"{name}.csv").decode("utf-8-sig")), delimiter=";"))


def test_the_csv_files_read_in_french_and_the_json_stays_machine_readable(app, client):
    person = seed_person()
    admin = f.make_user(roles=[Role.ADMIN])
    accounts.grant_role(person.user, Role.COURSE_LEAD, actor=admin)
    privacy.record_admin_export(person.user, actor=admin, reason="Demande reçue par courriel")
    with freeze_time("2026-07-14 08:05:00"):  # 10:05 in Paris (summer time)
        accounts.record_login(person.user)
    sent = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.recipient == person.user.email)).first()
    sent.state, sent.next_attempt_at = OutboxState.SENT, utcnow()  # a retry date left behind by an earlier failure
    db.session.commit()
    login(client, person.user)
    before = to_paris(utcnow()).replace(second=0, microsecond=0)
    archive = download(client)
    after = to_paris(utcnow())

    for name in archive.namelist():
        if name.endswith(".csv"):
            header = next(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig")), delimiter=";"))
            raw = [column for column in header if re.fullmatch(r"[a-z0-9_]+", column)]
            assert raw == [], f"{name}: headers not in French: {raw}"
            assert len(set(header)) == len(header), f"{name}: a header twice: {header}"
            assert not any("Clé d’envoi" in column for column in header), f"{name}: an internal key: {header}"
    [account] = read_csv(archive, "compte")
    assert account["Prénom"] == FIRST and account["Compte actif"] == "oui"
    assert "Mot de passe changé le" in account
    sign_ins = read_csv(archive, "connexions")
    assert "14/07/2026 10:05" in {row["Connexion le"] for row in sign_ins}
    assert {row["Moyen de connexion"] for row in sign_ins} == {"mot de passe"}
    assert {row["État"] for row in read_csv(archive, "candidatures")} <= {
        str(label) for label in APPLICATION_STATE_LABELS.values()}
    assert read_csv(archive, "fiches_produit_relectures")[0]["Avis"] == "Modifications demandées"
    assert read_csv(archive, "mooc_inscriptions")[0]["État"] == "Inscrit·e"
    assert read_csv(archive, "roles")[0]["Rôle"] == "Responsable de la formation"
    assert read_csv(archive, "demandes")[0]["À la demande de"] == "un administrateur"
    assert read_csv(archive, "demandes")[0]["Demande"] == "Export de vos données"
    assert "Clé d’envoi du formulaire" not in read_csv(archive, "forum_messages")[0]  # a technical guard, not hers
    sent = [row for row in read_csv(archive, "courriels") if row["État"] == str(OUTBOX_STATE_LABELS[OutboxState.SENT])]
    assert sent and all(row["Prochaine tentative le"] == "" for row in sent)
    assert read_csv(archive, "compte_historique")[0]["État après"] == "Identité ProConnect associée au compte"
    assert read_csv(archive, "forum_notifications")[0]["Pourquoi"] == "Mention"
    text = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist() if n.endswith(".csv"))
    for code in (";active;", ";sent;", ";changes_requested;", ";password;", ";True;", ";False;", "+00:00"):
        assert code not in text, code

    data = json.loads(archive.read("donnees.json"))
    assert data["fiches_produit_relectures"][0]["verdict"] == "changes_requested"
    assert "2026-07-14T08:05:00+00:00" in {row["created_at"] for row in data["connexions"]}
    assert data["compte"][0]["active"] is True
    readme = archive.read("LISEZMOI.md").decode()
    assert "ISO 8601" in readme and "JJ/MM/AAAA HH:MM" in readme
    for info in archive.infolist():  # dated now, in Paris time, not 1980
        assert before <= datetime(*info.date_time) <= after, info.filename


def test_the_fiches_read_as_the_person_reads_them(app, client):
    """Answers, review comments and scores in the CSV: the labels of the fiche's pages, « Libellé : texte », no
    internal key; the JSON keeps the codes."""
    person = seed_person()
    login(client, person.user)
    archive = download(client)

    versions = read_csv(archive, "fiches_produit_versions")
    header = next(csv.reader(io.StringIO(archive.read("fiches_produit_versions.csv").decode("utf-8-sig")), delimiter=";"))
    assert header.count("Numéro") == 1 and "Version" in header
    latest = next(row for row in versions if row["Version"] == "2")["Contenu (question : réponse)"]
    assert f"Séquence 1 – Le drame : quel problème, vécu par combien de personnes chaque année ? : Par {FIRST}" in latest
    assert "Nom du produit : Produit de Quatremare" in latest
    [review] = read_csv(archive, "fiches_produit_relectures")
    assert review["Commentaires par partie"] == "Séquence 1 : Résoudre les problèmes des usagers : Quatremare : à préciser"
    [written] = read_csv(archive, "fiches_produit_relectures_ecrites")
    assert written["Commentaires par partie"] == "Séquence 3 : Mesurer son impact dans le réel : Chiffrez les mesures."
    assert written["Notes (sur 5)"] == "Utilité attendue pour les usagers : 4"
    text = "".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist() if n.startswith("fiches_produit"))
    for key in ("s1_problem", '"s1"', '"s3"', "expected_utility", "{"):
        assert key not in text, key

    decisions = read_csv(archive, "candidatures_decisions")
    assert decisions and "Numéro de l’objet" not in decisions[0]
    assert {row["Numéro de candidature"] for row in decisions} == {str(person.ids["application"])}

    data = json.loads(archive.read("donnees.json"))
    assert data["fiches_produit_relectures_ecrites"][0]["scores"] == {"expected_utility": 4}
    assert data["fiches_produit_relectures"][0]["section_comments"] == {"s1": f"{LAST} : à préciser"}


def test_a_former_trainers_export_has_what_she_wrote_about_others_by_number_only(app, client):
    """Her evaluations of applications and her reviews of fiches (art. 15): her scores and words, the object named
    by its number, nothing of the candidate or the author."""
    person = seed_person()
    login(client, person.user)
    archive = download(client)
    data = json.loads(archive.read("donnees.json"))

    [evaluation] = data["candidatures_evaluations_ecrites"]
    assert evaluation["application_id"] == person.ids["evaluated"]
    assert evaluation["comment"] == "Évaluation écrite : dossier solide, public à préciser."
    assert (evaluation["problem_score"], evaluation["motivation_score"], evaluation["solution_score"]) == (4, 3, 2)
    [review] = data["fiches_produit_relectures_ecrites"]
    assert review["sheet_id"] == person.ids["reviewed_sheet"] and review["overall_comment"] == "Relecture écrite : à compléter."
    assert review["verdict"] == "changes_requested" and "reviewer_id" not in review
    written = json.dumps([evaluation, review], ensure_ascii=False)
    for theirs in ("Candidate", "Évaluée", "Autrice", "Relue", "Le problème de la candidate", "Produit de l’autrice"):
        assert theirs not in written and theirs not in archive.read("candidatures_evaluations_ecrites.csv").decode()

    [row] = read_csv(archive, "candidatures_evaluations_ecrites")
    assert row["Numéro de la candidature évaluée"] == str(person.ids["evaluated"]) and row["Note : problème"] == "4"
    [row] = read_csv(archive, "fiches_produit_relectures_ecrites")
    assert row["Numéro de la fiche relue"] == str(person.ids["reviewed_sheet"]) and row["Avis"] == "Modifications demandées"
    readme = archive.read("LISEZMOI.md").decode()
    assert "| `candidatures_evaluations_ecrites.csv` | Les évaluations de candidatures que vous avez écrites (formation) | 1 |" in readme


def test_an_empty_kind_still_has_its_header_and_the_readme_links_the_pages(app, client):
    login(client, f.make_user())
    archive = download(client)
    lines = archive.read("forum_messages.csv").decode("utf-8-sig").splitlines()
    assert len(lines) == 1 and "Texte" in lines[0].split(";") and "aucune donnée" not in lines[0]
    assert read_csv(archive, "forum_messages") == []
    readme = archive.read("LISEZMOI.md").decode()
    base = app.config["BASE_URL"].rstrip("/")
    assert f"({base}/donnees-personnelles)" in readme and f"({base}/compte/mes-donnees)" in readme
    assert " /donnees-personnelles" not in readme


def test_a_versions_roadmap_and_targets_read_in_words(app):
    from beta_training.privacy import readable

    text = readable.cell("fiches_produit_versions", "content", {
        "thematiques": "emploi", "usertypes": ["particulier", "collectivite-territoriale"],
        "milestones": [{"title": "Premier Open Lab", "due_on": "2027-03-15", "priority": "1"},
                       {"title": "", "due_on": "", "priority": ""}],
        "indicators": [{"name": "Dossiers traités", "baseline": "0", "target": "200"}], "s2_reach": "",
    })
    assert text == ("Indicateurs d’impact :\n- Indicateur : Dossiers traités ; Valeur de départ : 0 ; Cible à 6 mois : 200"
                    "\n\nJalons de la feuille de route :\n- Jalon : Premier Open Lab ; Échéance : 15/03/2027 ; Priorité : 1"
                    "\n\nUsagers cibles : Particulier, Collectivité territoriale\n\nThématiques : emploi")


def test_her_products_comite_files_measures_and_notes_given(app, client):
    """Products (art. 15): her teams, the comité files of her teams' products (the file has no author: the team
    writes it), the comité's notes on those files (without who scored), the measures she recorded, the comité notes
    she gave as a trainer (the comité by number only)."""
    person = seed_person()
    login(client, person.user)
    archive = download(client)
    data = json.loads(archive.read("donnees.json"))

    [member] = data["produits_equipe"]
    assert (member["product"], member["product_id"], member["role"], member["phase"]) == (
        "Quatremare Services", person.ids["product"], "Intrapreneur·e", "investigation")
    [committee] = data["produits_comites_dossiers"]  # her team's only, not the comité she scored
    assert committee["id"] == person.ids["committee"] and committee["objectives_reached"] == f"{FIRST} a mené 12 entretiens."
    assert committee["decision"] == "continue" and committee["budget"] == {"development": 120000}
    assert not {"decided_by_id", "submission_key", "file_version"} & set(committee)
    [note] = data["produits_comites_notes"]  # the comité's notes on her team's file, not the one she gave elsewhere
    assert (note["id"], note["committee_id"], note["product"]) == (
        person.ids["team_committee_score"], person.ids["committee"], "Quatremare Services")
    assert note["scores"] == {"bilan": 4, "objectifs": 2, "besoins": 4} and note["comment"] == f"{FIRST} connaît son terrain."
    assert "scorer_id" not in note and "Formatrice" not in json.dumps(note, ensure_ascii=False)  # who scored: not hers
    [measure] = data["produits_mesures"]
    assert (measure["value"], measure["indicator"], measure["product_id"]) == ("42", "Usagers actifs", person.ids["product"])
    assert "author_id" not in measure
    [score] = data["produits_comites_notes_donnees"]
    assert score["committee_id"] == person.ids["other_committee"] and score["scores"]["bilan"] == 5
    assert score["comment"] == "Note écrite : bilan solide." and "scorer_id" not in score
    assert "Produit d’une autre équipe" not in json.dumps(data, ensure_ascii=False)

    [row] = read_csv(archive, "produits_equipe")
    assert row["Produit"] == "Quatremare Services" and row["Phase actuelle du produit"] == "Investigation"
    assert row["Rôle dans l’équipe"] == "Intrapreneur·e"
    [row] = read_csv(archive, "produits_comites_dossiers")
    assert row["Décision"] == "Continuité du projet à budget iso ou supérieur" and row["État du dossier"] == "Décision rendue"
    assert row["Priorités des 6 prochains mois"] == f"Priorité 1 : Former {FIRST} (résultat attendu : Autonomie)"
    assert row["Besoins budgétaires (euros)"] == "Développement : 120000"
    [row] = read_csv(archive, "produits_comites_notes")
    assert (row["Numéro du comité"], row["Produit"]) == (str(person.ids["committee"]), "Quatremare Services")
    assert row["Notes (sur 5)"] == "Bilan : 4\nObjectifs : 2\nBesoins : 4"
    assert row["Commentaire"] == f"{FIRST} connaît son terrain." and "Notée le" in row
    [row] = read_csv(archive, "produits_mesures")
    assert (row["Valeur"], row["Indicateur"], row["Mesuré le"]) == ("42", "Usagers actifs", "01/02/2021")
    [row] = read_csv(archive, "produits_comites_notes_donnees")
    assert row["Numéro du comité noté"] == str(person.ids["other_committee"])
    assert row["Notes (sur 5)"] == "Bilan : 5\nObjectifs : 3\nBesoins : 4"
