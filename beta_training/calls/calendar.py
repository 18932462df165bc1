"""iCalendar (RFC 5545) invitations of a call's jury session, with the icalendar library, as the Alpha sessions'.

A candidate gets her pitch slot (UID jury-<call>-dossier-<dossier>@host), a juror the whole session (UID
jury-<call>-juror-<juror>@host). The UID stays; SEQUENCE is the row's slot_sequence, raised when the slot
changes (services.send_timetable), so a calendar replaces the event rather than adding a second one.
"""

from datetime import date, datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event

from beta_training.cohorts.calendar import PRODID, Method, _address, mime_type
from beta_training.core.i18n import format_moment
from beta_training.core.models import utcnow


def _uid(call, kind: str, row_id: int) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"jury-{call.id}-{kind}-{row_id}@{host}"


def _calendar(event: Event, starts: datetime, method: Method = Method.REQUEST) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", str(method))
    calendar.add_component(event)
    calendar.add_missing_timezones(first_date=date(starts.year - 1, 1, 1), last_date=date(starts.year + 2, 1, 1))
    return calendar.to_ical()


def _event(call, uid: str, sequence: int, starts: datetime, ends: datetime, summary: str, description: str,
           email: str, name: str, now: datetime | None) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now or utcnow())
    event.add("sequence", sequence)
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", summary)
    event.add("location", call.jury_place)
    event.add("description", description)
    event.add("status", "CONFIRMED")
    organizer_name, organizer_email = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    event.add("organizer", _address(organizer_email, organizer_name))
    event.add("attendee", _address(email, name, CUTYPE="INDIVIDUAL", ROLE="REQ-PARTICIPANT", RSVP="FALSE",
                                   PARTSTAT="ACCEPTED"))
    return event


def pitch_ics(call, slot, *, now: datetime | None = None) -> bytes:
    dossier = slot.dossier
    description = _("Pitch de « %(t)s » devant le jury de l’appel « %(c)s » : %(p)s minutes de présentation, puis "
                    "%(q)s minutes de questions.", t=dossier.display_title, c=call.title, p=call.pitch_minutes,
                    q=call.questions_minutes)
    event = _event(call, _uid(call, "dossier", dossier.id), dossier.slot_sequence, slot.starts_at, slot.ends_at,
                   _("Pitch devant le jury : %(t)s", t=dossier.display_title), description, dossier.owner.email,
                   dossier.owner.full_name, now)
    return _calendar(event, slot.starts_at)


def session_ics(call, juror, slots, *, now: datetime | None = None) -> bytes:
    lines = [_("Jury de l’appel « %(c)s ». Ordre de passage :", c=call.title)]
    lines += [format_moment(slot.starts_at, "HH'h'mm") + " " + slot.dossier.display_title for slot in slots]
    event = _event(call, _uid(call, "juror", juror.id), juror.slot_sequence, slots[0].starts_at, slots[-1].ends_at,
                   _("Jury : %(c)s", c=call.title), "\n".join(lines), juror.email,
                   juror.user.full_name if juror.user else "", now)
    return _calendar(event, slots[0].starts_at)


def juror_cancellation_ics(call, juror, starts: datetime, ends: datetime, *, now: datetime | None = None) -> bytes:
    """The session's event withdrawn from a juror's calendar (she is no longer on the jury): the same UID, one
    SEQUENCE above the invitation she holds, STATUS CANCELLED (RFC 5546 §3.2.5)."""
    event = _event(call, _uid(call, "juror", juror.id), juror.slot_sequence + 1, starts, ends,
                   _("Jury : %(c)s", c=call.title), _("Vous ne faites plus partie de ce jury."), juror.email,
                   juror.user.full_name if juror.user else "", now)
    event["status"] = "CANCELLED"
    return _calendar(event, starts, Method.CANCEL)


def pitch_cancellation_ics(call, dossier, starts: datetime, ends: datetime, *, now: datetime | None = None) -> bytes:
    """Her pitch withdrawn from her calendar (she took her dossier back): same UID, SEQUENCE + 1, CANCELLED."""
    event = _event(call, _uid(call, "dossier", dossier.id), dossier.slot_sequence + 1, starts, ends,
                   _("Pitch devant le jury : %(t)s", t=dossier.display_title), _("Dossier retiré : pitch annulé."),
                   dossier.owner.email, dossier.owner.full_name, now)
    event["status"] = "CANCELLED"
    return _calendar(event, starts, Method.CANCEL)


ICS_TYPE = mime_type(Method.REQUEST)
CANCEL_TYPE = mime_type(Method.CANCEL)
