"""The export's CSV files as a French agent reads them in a spreadsheet: French column headers, codes through the
labels the interface shows, « oui » / « non », date-times in Europe/Paris as « JJ/MM/AAAA HH:MM ».

`donnees.json` stays machine-readable (codes, ISO 8601 in UTC): these labels are for the CSV files only.
A header is the kind's own label for the column, else the shared one (the same word everywhere); a column
without any label fails tests/privacy/test_export.py, so a new column gets its French name here.
"""

import json
import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from beta_training.accounts.models import ADMINISTRATION_TYPE_LABELS, ROLE_LABELS
from beta_training.calls.models import DOSSIER_STATE_LABELS
from beta_training.cohorts.models import APPLICATION_STATE_LABELS, SITUATION_LABELS
from beta_training.core.models import OUTBOX_STATE_LABELS, to_paris
from beta_training.forum.models import EMAIL_FREQUENCY_LABELS, THREAD_KIND_LABELS, THREAD_STATE_LABELS
from beta_training.privacy.models import ORIGIN_LABELS
from beta_training.products.models import BUDGET_LINES, COMMITTEE_STATE_LABELS, DECISION_LABELS, PHASE_LABELS
from beta_training.products.models import GRID as COMMITTEE_GRID
from beta_training.sheets.models import (
    COMMENT_TARGETS,
    GRID,
    MILESTONE_STATUS_LABELS,
    QUESTIONS,
    SAVE_KIND_LABELS,
    SHEET_STATE_LABELS,
    USERTYPES,
    content_label,
)

COLUMN_LABELS = {
    "id": _l("Numéro"),
    "user_id": _l("Numéro de compte"),
    "email": _l("Adresse électronique"),
    "first_name": _l("Prénom"),
    "last_name": _l("Nom"),
    "administration": _l("Administration"),
    "administration_type": _l("Type d’administration"),
    "job_title": _l("Fonction"),
    "departement": _l("Département"),
    "siret": _l("SIRET"),
    "proconnect_sub": _l("Identifiant ProConnect (sub)"),
    "proconnect_idp_id": _l("Fournisseur d’identité ProConnect (idp_id)"),
    "email_confirmed_at": _l("Adresse confirmée le"),
    "last_login_at": _l("Dernière connexion le"),
    "password_changed_at": _l("Mot de passe changé le"),
    "active": _l("Actif"),
    "created_at": _l("Créé le"),
    "updated_at": _l("Modifié le"),
    "role": _l("Rôle"),
    "granted_at": _l("Attribué le"),
    "action": _l("Action"),
    "method": _l("Moyen de connexion"),
    "network": _l("Réseau d’origine"),
    "state": _l("État"),
    "session": _l("Session"),
    "cohort_id": _l("Numéro de la session Alpha"),
    "anonymised_at": _l("Anonymisée le"),
    "situation": _l("Situation"),
    "product_name": _l("Nom du produit"),
    "problem": _l("Problème à résoudre"),
    "solution": _l("Solution envisagée"),
    "first_users": _l("Premiers utilisateurs et partenaires"),
    "motivation": _l("Motivation"),
    "needs": _l("Besoins d’accessibilité ou régime alimentaire"),
    "consent_guide": _l("Accord : guide"),
    "consent_share": _l("Accord : partage"),
    "submitted_at": _l("Envoyé le"),
    "decided_at": _l("Décision le"),
    "offer_expires_at": _l("Offre valable jusqu’au"),
    "offer_reminder_sent_at": _l("Rappel de l’offre envoyé le"),
    "confirmed_at": _l("Confirmée le"),
    "session_reminder_sent_at": _l("Rappel de la session envoyé le"),
    "calendar_sent_at": _l("Invitation d’agenda envoyée le"),
    "waitlist_position": _l("Rang sur la liste d’attente"),
    "rejection_reason": _l("Motif du refus"),
    "attended": _l("Présent·e"),
    "review_count": _l("Nombre d’évaluations"),
    "problem_score_total": _l("Total des notes : problème"),
    "motivation_score_total": _l("Total des notes : motivation"),
    "solution_score_total": _l("Total des notes : solution"),
    "average_score": _l("Note moyenne"),
    "application_id": _l("Numéro de candidature"),
    "problem_score": _l("Note : problème"),
    "motivation_score": _l("Note : motivation"),
    "solution_score": _l("Note : solution"),
    "comment": _l("Commentaire"),
    "subject_id": _l("Numéro de l’objet"),
    "from_state": _l("État avant"),
    "to_state": _l("État après"),
    "reason": _l("Motif"),
    "listed": _l("Visible dans l’annuaire"),
    "project": _l("Projet"),
    "contact": _l("Contact"),
    "run_id": _l("Numéro de la session du MOOC"),
    "enrolled_at": _l("Inscrit·e le"),
    "last_activity_at": _l("Dernière activité le"),
    "completed_at": _l("Terminé le"),
    "attestation_code": _l("Code de l’attestation"),
    "attestation_name": _l("Nom sur l’attestation"),
    "sheet_sent_at": _l("Fiche produit envoyée le"),
    "enrolment_id": _l("Numéro d’inscription"),
    "item_id": _l("Numéro de l’élément"),
    "source": _l("Comment il a été terminé"),
    "choice_id": _l("Numéro du choix"),
    "number": _l("Numéro"),
    "correct": _l("Bonnes réponses"),
    "total": _l("Questions"),
    "score": _l("Score (%)"),
    "submission_key": _l("Clé d’envoi du formulaire"),
    "attempt_id": _l("Numéro de la tentative"),
    "question_id": _l("Numéro de la question"),
    "is_correct": _l("Bonne réponse"),
    "sequence_number": _l("Numéro de la séquence"),
    "answered_at": _l("Répondu le"),
    "code": _l("Code"),
    "name": _l("Nom"),
    "owner_id": _l("Numéro de compte de l’autrice ou de l’auteur"),
    "title": _l("Titre"),
    "current_version": _l("Version actuelle"),
    "claimed_at": _l("Prise en relecture le"),
    "approved_at": _l("Validée le"),
    "reminder_sent_at": _l("Rappel envoyé le"),
    "roadmap_reminders_sent": _l("Rappels de feuille de route envoyés"),
    "launched_on": _l("Lancé le"),
    "review_round": _l("Tour de relecture en cours"),
    "round": _l("Tour de relecture"),
    "restored_from": _l("Restaure la version"),
    "milestone_id": _l("Numéro du jalon"),
    "sheet_id": _l("Numéro de la fiche"),
    "content": _l("Contenu"),
    "author_id": _l("Numéro de compte de l’autrice ou de l’auteur"),
    "saved_at": _l("Enregistrée le"),
    "version_number": _l("Version relue"),
    "verdict": _l("Avis"),
    "overall_comment": _l("Commentaire général"),
    "section_comments": _l("Commentaires par partie"),
    "scores": _l("Notes (sur 5)"),
    "position": _l("Position"),
    "due_on": _l("Échéance"),
    "status": _l("Statut"),
    "done_on": _l("Fait le"),
    "indicator": _l("Indicateur"),
    "value": _l("Valeur"),
    "measured_on": _l("Mesuré le"),
    "call_id": _l("Numéro de l’appel à intrapreneurs"),
    "opinion": _l("Message à l’incubateur sur son appel"),
    "callback": _l("Souhaite être rappelé·e"),
    "dossier_id": _l("Numéro du dossier"),
    "average": _l("Note moyenne (sur 5)"),
    "jury_position": _l("Rang dans l’ordre de passage devant le jury"),
    "slot_sent": _l("Créneau de pitch envoyé (début, fin, lieu)"),
    "slot_sequence": _l("Version du créneau envoyé"),
    "decision_reason": _l("Raison de la décision du jury"),
    "forum_id": _l("Numéro du forum"),
    "category_id": _l("Numéro de la catégorie"),
    "kind": _l("Type"),
    "state_reason": _l("Motif de l’état"),
    "pinned": _l("Épinglé"),
    "is_announcement": _l("Annonce"),
    "opening_state": _l("État du premier message"),
    "accepted_post_id": _l("Numéro de la réponse acceptée"),
    "reply_count": _l("Réponses"),
    "has_staff_reply": _l("Réponse de l’équipe"),
    "last_post_id": _l("Numéro du dernier message"),
    "last_post_at": _l("Dernier message le"),
    "thread_id": _l("Numéro du sujet"),
    "parent_id": _l("En réponse au message numéro"),
    "is_opening": _l("Premier message du sujet"),
    "author_is_staff": _l("Écrit au nom de l’équipe"),
    "body": _l("Texte"),
    "edited_at": _l("Modifié le"),
    "hidden_reason": _l("Motif du masquage"),
    "post_id": _l("Numéro du message"),
    "email_frequency": _l("Courriels du forum"),
    "target": _l("Où il sera publié"),
    "reporter_id": _l("Numéro de compte de la personne qui signale"),
    "resolved_at": _l("Traité le"),
    "outcome": _l("Suite donnée"),
    "recipient": _l("Destinataire"),
    "subject": _l("Objet"),
    "text_body": _l("Texte du courriel"),
    "attempts": _l("Tentatives d’envoi"),
    "next_attempt_at": _l("Prochaine tentative le"),
    "sent_at": _l("Envoyé le"),
    "erase_after_delivery": _l("Effacé après l’envoi"),
    "attachments": _l("Pièces jointes"),
    "origin": _l("À la demande de"),
    "last_read_post_id": _l("Dernier message lu (numéro)"),
    "emailed_at": _l("Traitée le (courriel ou abandon)"),
    "warned_at": _l("Avertissement envoyé le"),
    "accepted_at": _l("Acceptée le"),
    "product_id": _l("Numéro du produit"),
    "product": _l("Produit"),
    "phase": _l("Phase"),
    "held_on": _l("Date du comité"),
    "objectives_reached": _l("Bilan : objectifs atteints"),
    "learnings": _l("Bilan : apprentissages"),
    "priorities": _l("Priorités des 6 prochains mois"),
    "budget": _l("Besoins budgétaires (euros)"),
    "team_needs": _l("Besoins en équipe"),
    "file_saved_at": _l("Dossier enregistré le"),
    "decision": _l("Décision"),
    "decision_reasons": _l("Raisons de la décision"),
    "phase_before": _l("Phase avant le comité"),
    "phase_after": _l("Phase après le comité"),
    "indicator_id": _l("Numéro de l’indicateur"),
    "committee_id": _l("Numéro du comité"),
}

# Where the same name means something else in a kind.
KIND_COLUMN_LABELS = {
    "compte": {"active": _l("Compte actif"), "created_at": _l("Compte créé le")},
    "roles_historique": {"created_at": _l("Le")},
    "connexions": {"created_at": _l("Connexion le")},
    "candidatures": {"submitted_at": _l("Candidature envoyée le")},
    "candidatures_decisions": {"created_at": _l("Le")},
    "compte_historique": {"created_at": _l("Le")},
    "mooc_quiz_tentatives": {"submitted_at": _l("Envoyée le"), "number": _l("Tentative n°")},
    "fiches_produit": {"submitted_at": _l("Envoyée le")},
    "fiches_produit_versions": {"number": _l("Version"), "content": _l("Contenu (question : réponse)"),
                                "kind": _l("Enregistrement")},
    "fiches_produit_commentaires_suivi_ecrits": {"sheet_id": _l("Numéro de la fiche commentée")},
    "candidatures_evaluations_ecrites": {"application_id": _l("Numéro de la candidature évaluée")},
    "fiches_produit_relectures_ecrites": {"sheet_id": _l("Numéro de la fiche relue")},
    "appels_dossiers": {"submitted_at": _l("Déposé le"), "title": _l("Nom du projet")},
    "appels_evaluations_ecrites": {"dossier_id": _l("Numéro du dossier évalué")},
    "appels_notes_jury_donnees": {"dossier_id": _l("Numéro du dossier noté")},
    "appels_jurys": {"email": _l("Adresse invitée"), "slot_sent": _l("Séance envoyée (début, fin, lieu, ordre)")},
    "produits_equipe": {"name": _l("Nom saisi par l’équipe"), "role": _l("Rôle dans l’équipe"),
                        "position": _l("Rang dans l’équipe"), "phase": _l("Phase actuelle du produit")},
    "produits_comites_dossiers": {"state": _l("État du dossier"), "submitted_at": _l("Dossier envoyé le"),
                                  "reminder_sent_at": _l("Rappel envoyé à l’équipe le")},
    "produits_comites_notes": {"scores": _l("Notes (sur 5)"), "created_at": _l("Notée le"),
                               "updated_at": _l("Modifiée le")},
    "produits_mesures": {"created_at": _l("Enregistrée le")},
    "produits_comites_notes_donnees": {"committee_id": _l("Numéro du comité noté"), "scores": _l("Notes (sur 5)")},
    "forum_abonnements": {"active": _l("Abonnement actif")},
    "forum_messages_versions": {"created_at": _l("Remplacée le")},
    "forum_notifications": {"reason": _l("Pourquoi")},
    "forum_signalements": {"created_at": _l("Signalé le")},
    "courriels": {"created_at": _l("Écrit le")},
    "mooc_invitations": {"email": _l("Adresse invitée"), "created_at": _l("Invitée le")},
    "demandes": {"created_at": _l("Le"), "kind": _l("Demande")},
    "attestations": {"name": _l("Nom sur l’attestation"), "code": _l("Code de l’attestation")},
}

ENROLMENT_STATE_LABELS = {"active": _l("Inscrit·e"), "unenrolled": _l("Désinscrit·e")}
POST_STATE_LABELS = {"held": _l("En attente de modération"), "published": _l("Publié"), "hidden": _l("Masqué"),
                     "refused": _l("Refusé")}
NOTIFICATION_REASON_LABELS = {"followed_thread": _l("Sujet suivi"), "followed_forum": _l("Forum suivi"),
                              "mention": _l("Mention"), "announcement": _l("Annonce")}
ACCOUNT_HISTORY_LABELS = {"proconnect_linked": _l("Identité ProConnect associée au compte"),
                          "proconnect_created": _l("Compte créé par ProConnect"),
                          "password": _l("Compte à mot de passe")}

# Codes shown through their labels (an unknown code is shown as it is).
KIND_VALUE_LABELS = {
    "appels_dossiers": {"state": DOSSIER_STATE_LABELS},
    "produits_equipe": {"phase": PHASE_LABELS},
    "produits_comites_dossiers": {"state": COMMITTEE_STATE_LABELS, "decision": DECISION_LABELS,
                                  "phase_before": PHASE_LABELS, "phase_after": PHASE_LABELS},
    "compte": {"administration_type": ADMINISTRATION_TYPE_LABELS},
    "roles": {"role": ROLE_LABELS},
    "roles_historique": {"role": ROLE_LABELS, "action": {"grant": _l("attribué"), "revoke": _l("retiré")}},
    "compte_historique": {"from_state": ACCOUNT_HISTORY_LABELS, "to_state": ACCOUNT_HISTORY_LABELS},
    "connexions": {"method": {"password": _l("mot de passe"), "proconnect": _l("ProConnect")}},
    "candidatures": {"state": APPLICATION_STATE_LABELS, "administration_type": ADMINISTRATION_TYPE_LABELS,
                     "situation": SITUATION_LABELS},
    "candidatures_decisions": {"from_state": APPLICATION_STATE_LABELS, "to_state": APPLICATION_STATE_LABELS},
    "mooc_inscriptions": {"state": ENROLMENT_STATE_LABELS},
    "mooc_elements_termines": {"source": {"opened": _l("ouvert"), "video": _l("vidéo regardée"),
                                          "button": _l("marqué comme terminé"), "quiz": _l("quiz réussi"),
                                          "pass_mark": _l("seuil du quiz atteint")}},
    "fiches_produit": {"state": SHEET_STATE_LABELS},
    "fiches_produit_versions": {"kind": SAVE_KIND_LABELS},
    "fiches_produit_relectures": {"verdict": SHEET_STATE_LABELS},
    "fiches_produit_relectures_ecrites": {"verdict": SHEET_STATE_LABELS},
    "fiches_produit_jalons": {"status": MILESTONE_STATUS_LABELS},
    "forum_sujets": {"kind": THREAD_KIND_LABELS, "state": THREAD_STATE_LABELS, "opening_state": POST_STATE_LABELS},
    "forum_messages": {"state": POST_STATE_LABELS},
    "forum_preferences": {"email_frequency": EMAIL_FREQUENCY_LABELS},
    "forum_brouillons": {"kind": THREAD_KIND_LABELS},
    "forum_notifications": {"reason": NOTIFICATION_REASON_LABELS},
    "forum_signalements": {"outcome": {"hidden": _l("message masqué"), "kept": _l("message gardé")}},
    "courriels": {"state": OUTBOX_STATE_LABELS},
    "demandes": {"kind": {"export": _l("Export de vos données"), "erasure": _l("Suppression du compte")},
                 "origin": ORIGIN_LABELS},
}


# --- Fiches produit: their JSON as the person reads it ------------------------------------------------------
#
# A version's answers and a review's comments and scores are JSON keyed by codes (« s1_problem », « s3 »,
# « expected_utility »): the CSV writes each as « Libellé : texte », one paragraph each (a blank line between
# them, an answer keeps its own line breaks), in the fiche's order, with the labels the fiche's pages show.

ROW_FIELD_LABELS = {"name": _l("Indicateur"), "baseline": _l("Valeur de départ"), "target": _l("Cible à 6 mois"),
                    "title": _l("Jalon"), "due_on": _l("Échéance"), "priority": _l("Priorité")}


def _text(value) -> str:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):  # a milestone's date, as typed
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value).strip()


def _answer(key: str, value) -> str:
    if key == "usertypes" and isinstance(value, list):
        return ", ".join(str(USERTYPES.get(code, code)) for code in value)
    if isinstance(value, list):  # indicators, milestones: one line each, its filled fields labelled
        lines = []
        for row in value:
            if isinstance(row, dict):
                fields = [f"{ROW_FIELD_LABELS.get(k, k)} : {_text(v)}" for k, v in row.items() if _text(v or "")]
                if fields:
                    lines.append("- " + " ; ".join(fields))
            elif _text(row or ""):
                lines.append("- " + _text(row))
        return ("\n" + "\n".join(lines)) if lines else ""
    return _text(value) if value is not None else ""


def _paragraphs(pairs) -> str:
    # A list (indicators, milestones) starts on the line after its label.
    return "\n\n".join(f"{label} :{text}" if text.startswith("\n") else f"{label} : {text}" for label, text in pairs if text)


def sheet_content(content: dict) -> str:
    """A version's answers: « Séquence 1 – Le drame… : texte », empty answers left out."""
    order = [*QUESTIONS, "indicators", "milestones", "usertypes", "thematiques"]
    keys = sorted(content, key=lambda key: order.index(key) if key in order else len(order))
    return _paragraphs((content_label(key), _answer(key, content[key])) for key in keys)


def section_comments(comments: dict) -> str:
    """A review's comments, part by part: « Séquence 3 : Mesurer son impact dans le réel : texte »."""
    order = list(COMMENT_TARGETS)
    keys = sorted(comments, key=lambda key: order.index(key) if key in order else len(order))
    return _paragraphs((str(COMMENT_TARGETS.get(key, key)), _text(comments[key] or "")) for key in keys)


def grid_scores(scores: dict) -> str:
    """A review's scores on the grid: « Utilité attendue pour les usagers : 4 »."""
    order = list(GRID)
    keys = sorted(scores, key=lambda key: order.index(key) if key in order else len(order))
    return "\n".join(f"{GRID.get(key, key)} : {scores[key]}" for key in keys if scores[key] not in (None, ""))


def dossier_scores(scores: list) -> str:
    """An evaluation of a dossier, criterion by criterion: « Votre idée de solution : 4 (commentaire) »."""
    return "\n".join(f"{item.get('criterion', '')} : {item.get('score', '')}"
                     + (f" ({_text(item['comment'])})" if item.get("comment") else "") for item in scores)


def committee_priorities(priorities: list) -> str:
    """The file's priorities, one paragraph each: « Priorité 1 : titre (résultat attendu : …) »."""
    return _paragraphs((f"Priorité {n}", _text(p.get("title") or "") + (
        f" (résultat attendu : {_text(p['expected'])})" if p.get("expected") else ""))
        for n, p in enumerate(priorities, start=1) if isinstance(p, dict))


def committee_budget(budget: dict) -> str:
    """The budget per line, in the trame's order: « Développement : 120000 »."""
    order = list(BUDGET_LINES)
    keys = sorted(budget, key=lambda key: order.index(key) if key in order else len(order))
    return "\n".join(f"{BUDGET_LINES.get(key, key)} : {budget[key]}" for key in keys if budget[key] not in (None, ""))


def committee_scores(scores: dict) -> str:
    """Notes on the grille d'arbitrage: « Bilan : 4 »."""
    order = list(COMMITTEE_GRID)
    keys = sorted(scores, key=lambda key: order.index(key) if key in order else len(order))
    return "\n".join(f"{COMMITTEE_GRID[key][0] if key in COMMITTEE_GRID else key} : {scores[key]}" for key in keys
                     if scores[key] not in (None, ""))


REVIEW_FORMATTERS = {"section_comments": section_comments, "scores": grid_scores}
KIND_FORMATTERS = {
    "fiches_produit_versions": {"content": sheet_content},
    "fiches_produit_relectures": REVIEW_FORMATTERS,
    "fiches_produit_relectures_ecrites": REVIEW_FORMATTERS,
    "appels_dossiers_evaluations": {"scores": dossier_scores},
    "appels_evaluations_ecrites": {"scores": dossier_scores},
    "appels_dossiers_notes_jury": {"scores": dossier_scores},
    "appels_notes_jury_donnees": {"scores": dossier_scores},
    "produits_comites_dossiers": {"priorities": committee_priorities, "budget": committee_budget},
    "produits_comites_notes": {"scores": committee_scores},
    "produits_comites_notes_donnees": {"scores": committee_scores},
}


def header(kind: str, column: str) -> str:
    label = KIND_COLUMN_LABELS.get(kind, {}).get(column) or COLUMN_LABELS.get(column)
    return str(label) if label is not None else column


def cell(kind: str, column: str, value):
    """One CSV cell, as read by a person."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return to_paris(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    formatter = KIND_FORMATTERS.get(kind, {}).get(column)
    if formatter is not None and isinstance(value, (dict, list)):
        return formatter(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    labels = KIND_VALUE_LABELS.get(kind, {}).get(column)
    if labels and value in labels:
        return str(labels[value])
    return value
