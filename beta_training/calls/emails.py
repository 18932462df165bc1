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



# --- Jury ----------------------------------------------------------------------------------------------------


def queue_juror_invitation(juror, call, *, has_account: bool) -> None:
    """An account holder is sent to the jury's page; a new person to sign up with this address (confirming it
    gives her the jury's pages), then to the same page."""
    page = url_for("calls.jury_scoring", call_id=call.id, _external=True)
    link = page if has_account else url_for("accounts.register", next=url_for("calls.jury_scoring", call_id=call.id),
                                            _external=True)
    queue_email(juror.email, _("Vous êtes membre du jury : %(title)s", title=call.title), "calls/juror_invitation",
                call=call, link=link, has_account=has_account)


def queue_pitch_slot(dossier, call, slot, *, update: bool, now=None) -> None:
    from beta_training.calls import calendar

    subject = (_("Nouveau créneau de pitch : %(t)s", t=dossier.display_title) if update
               else _("Votre créneau de pitch devant le jury : %(t)s", t=dossier.display_title))
    queue_email(dossier.owner.email, subject, "calls/pitch_slot", dossier=dossier, call=call, slot=slot, update=update,
                link=_link(dossier), attachments=[{"filename": "pitch.ics", "content_type": calendar.ICS_TYPE,
                                                   "data": calendar.pitch_ics(call, slot, now=now)}])


def queue_jury_session(juror, call, slots, *, update: bool, now=None) -> None:
    from beta_training.calls import calendar

    subject = (_("Jury modifié : %(c)s", c=call.title) if update else _("Séance du jury : %(c)s", c=call.title))
    queue_email(juror.email, subject, "calls/jury_session", call=call, slots=slots, update=update,
                link=url_for("calls.jury_scoring", call_id=call.id, _external=True),
                attachments=[{"filename": "jury.ics", "content_type": calendar.ICS_TYPE,
                              "data": calendar.session_ics(call, juror, slots, now=now)}])


def queue_juror_removal(juror, call, *, sent_session: tuple | None, now=None) -> None:
    """She is told she is off the jury; if she had the session in her calendar, it comes out of it (CANCEL)."""
    from beta_training.calls import calendar

    attachments = []
    if sent_session is not None:
        attachments.append({"filename": "jury.ics", "content_type": calendar.CANCEL_TYPE,
                            "data": calendar.juror_cancellation_ics(call, juror, *sent_session, now=now)})
    queue_email(juror.email, _("Vous ne faites plus partie du jury : %(c)s", c=call.title), "calls/juror_removed",
                call=call, in_calendar=sent_session is not None, attachments=attachments,
                link=url_for("calls.show_call", call_id=call.id, _external=True))


def queue_withdrawn(dossier, *, sent_slot: tuple | None, now=None) -> None:
    from beta_training.calls import calendar

    if dossier.owner is None:
        return
    attachments = []
    if sent_slot is not None:
        attachments.append({"filename": "pitch.ics", "content_type": calendar.CANCEL_TYPE,
                            "data": calendar.pitch_cancellation_ics(dossier.call, dossier, *sent_slot, now=now)})
    queue_email(dossier.owner.email, _("Dossier retiré : %(t)s", t=dossier.display_title), "calls/withdrawn",
                dossier=dossier, call=dossier.call, in_calendar=sent_slot is not None, link=_link(dossier),
                attachments=attachments)


def queue_decision(dossier, *, subject: str, body: str) -> None:
    if dossier.owner is not None:
        queue_email(dossier.owner.email, subject, "calls/outcome", dossier=dossier, body=body, coaching=False,
                    link=_link(dossier))


def decision_texts(call, dossier) -> dict:
    """The decision's message, prefilled in French for the trainer to edit, one per decision."""
    from beta_training.calls.models import DossierState

    hello = _("Merci d’avoir présenté « %(t)s » au jury de l’appel « %(c)s ».", t=dossier.display_title, c=call.title)
    sign = "\n\n" + _("Bien cordialement,\n\nL’équipe de %(i)s", i=call.incubator)
    return {
        DossierState.LAUREATE: (_("Votre projet est lauréat : %(t)s", t=dossier.display_title), elide(
            hello + "\n\n" + _("Bonne nouvelle : le jury a retenu votre projet, lauréat de l’appel. Nous vous "
                               "contacterons très vite pour lancer l’investigation.") + sign)),
        DossierState.WAITLISTED: (_("Votre projet est en liste complémentaire : %(t)s", t=dossier.display_title), elide(
            hello + "\n\n" + _("Le jury a placé votre projet en liste complémentaire : si un projet lauréat ne peut "
                               "pas démarrer, nous vous recontacterons.") + sign)),
        DossierState.NOT_SELECTED: (_("Votre projet à l’appel « %(c)s »", c=call.title), elide(
            hello + "\n\n" + _("Le jury n’a pas retenu votre projet cette fois-ci. Vous pourrez candidater de "
                               "nouveau au prochain appel.") + sign)),
    }
