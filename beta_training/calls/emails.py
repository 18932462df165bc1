"""Emails of the appel à intrapreneurs, written to the outbox (delivered after commit)."""

from flask import url_for
from flask_babel import gettext as _

from beta_training.core.i18n import elide, ngettext
from beta_training.core.mail import queue_email


def _link(dossier) -> str:
    return url_for("calls.show_dossier", dossier_id=dossier.id, _external=True)


def queue_submitted(dossier) -> None:
    if dossier.owner is not None:
        queue_email(dossier.owner.email, _("Dossier déposé : %(project)s", project=dossier.display_title),
                    "calls/submitted", dossier=dossier, link=_link(dossier))


def queue_preselected(dossier, *, subject: str, body: str) -> None:
    """The trainer's own words, then the coaching slot (date and place) the call offers."""
    if dossier.owner is not None:
        queue_email(dossier.owner.email, subject, "calls/outcome", dossier=dossier, body=body, coaching=True,
                    link=_link(dossier))


def queue_not_preselected(dossier, *, subject: str, body: str) -> None:
    if dossier.owner is not None:
        queue_email(dossier.owner.email, subject, "calls/outcome", dossier=dossier, body=body, coaching=False,
                    link=_link(dossier))


def default_texts(call) -> dict:
    """The two messages of the pre-selection's outcome, prefilled in French for the trainer to edit."""
    return {
        "preselected_subject": _("Votre projet est pré-sélectionné : %(title)s", title=call.title),
        "preselected_body": elide(ngettext(
            "Bonne nouvelle : votre projet est le dossier pré-sélectionné par l’équipe de %(incubator)s à l’appel "
            "« %(title)s ».",
            "Bonne nouvelle : votre projet fait partie des %(num)s dossiers pré-sélectionnés par l’équipe de "
            "%(incubator)s à l’appel « %(title)s ».", call.preselect_count, incubator=call.incubator, title=call.title)
            + "\n\n" + _(
            "Pour vous préparer au pitch devant le jury (3 minutes de présentation, 5 minutes de questions), nous "
            "vous proposons une **session express de coaching** : sa date et son lieu sont indiqués ci-dessous. "
            "Répondez à ce courriel pour nous dire si vous y serez.\n\nÀ très bientôt,\n\nL’équipe de %(incubator)s",
            incubator=call.incubator)),
        "others_subject": _("Votre dossier à l’appel « %(title)s »", title=call.title),
        "others_body": elide(_(
            "Merci d’avoir déposé un dossier à l’appel « %(title)s ». Nous avons reçu de nombreux projets et avons dû "
            "faire des choix : le vôtre n’a pas été retenu à la pré-sélection.\n\n"
            "Ce n’est pas un jugement sur l’intérêt du problème que vous voulez résoudre. Le MOOC « Créer des services "
            "publics numériques innovants » et la formation Alpha peuvent vous aider à le faire avancer, et vous "
            "pourrez candidater de nouveau au prochain appel.\n\nBien cordialement,\n\nL’équipe de %(incubator)s",
            title=call.title, incubator=call.incubator)),
    }

