"""iCalendar (RFC 5545) files of an Alpha session, built with the icalendar library.

One VEVENT per session, repeated every day (RRULE:FREQ=DAILY;COUNT=<days>) from the first day, with the
daily start and end times in Europe/Paris (its VTIMEZONE included), rather than one VEVENT per day: an
emailed invitation, its updates and its cancellation (iTIP, RFC 5546) speak of one event, one UID, and
Outlook and Gmail read only the first VEVENT of an invitation that holds several. Every client shows the
series as one timed block on each day of the session, and replaces or removes the whole series at once.

UID: alpha-<id>@<BASE_URL's host>, the same for the whole life of the session (its slug may change) and
the one earlier all-day files had, so those are updated too. SEQUENCE: the session's calendar_sequence,
raised when its dates, daily times or place change (services.update_cohort) and when it is cancelled.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from email.utils import parseaddr
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from beta_training.core.i18n import format_day, format_range_start
from beta_training.core.models import utcnow

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//beta.gouv.fr//beta_training//FR"


class Method(StrEnum):
    PUBLISH = "PUBLISH"  # a file to import (the download link): no organizer asking anything
    REQUEST = "REQUEST"  # the invitation, and each update of it
    CANCEL = "CANCEL"  # the seat is given up, or the session cancelled: clients remove the event


@dataclass(frozen=True)
class Invitee:
    """The ATTENDEE of an emailed event: the seat holder it is sent to."""

    email: str
    name: str
    confirmed: bool  # her seat is confirmed (else offered, still to confirm)


def mime_type(method: Method) -> str:
    """iMIP (RFC 6047 §2.4) wants the METHOD repeated as a parameter of the MIME type."""
    return f"text/calendar; method={method}; charset=UTF-8"


def cohort_uid(cohort) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"alpha-{cohort.id}@{host}"


def _location(cohort, invitee: Invitee | None) -> str:
    if cohort.is_remote:
        # The connection link is for participants (as in their reminder email), not for a public file.
        if invitee is not None and invitee.confirmed and cohort.access_link:
            return cohort.access_link
        return _("À distance")
    parts = [cohort.place_name]
    if cohort.address and cohort.address != cohort.place_name:
        parts.append(cohort.address)
    return ", ".join(part for part in parts if part)


def _at(day: date, hour: time) -> datetime:
    return datetime.combine(day, hour, tzinfo=PARIS)


def _address(email: str, name: str, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = vText(name)
    address.params.update(params)
    return address


def cohort_ics(cohort, url: str, *, method: Method = Method.PUBLISH, invitee: Invitee | None = None,
               now: datetime | None = None) -> bytes:
    """The session's event, as `method` says. `url`: the session's page. `invitee`: the ATTENDEE of an
    emailed REQUEST or CANCEL (required for them)."""
    if method != Method.PUBLISH and invitee is None:
        raise ValueError(f"a {method} is addressed to an invitee")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", str(method))

    # The session's cancellation raised the stored SEQUENCE already; one person's CANCEL is one version
    # above the event she holds, while the others keep theirs.
    cancelled = method == Method.CANCEL or cohort.is_cancelled
    sequence = cohort.calendar_sequence + (1 if method == Method.CANCEL and not cohort.is_cancelled else 0)

    event = Event()
    event.add("uid", cohort_uid(cohort))
    event.add("dtstamp", now or utcnow())
    event.add("sequence", sequence)
    event.add("dtstart", _at(cohort.starts_on, cohort.day_starts_at))
    event.add("dtend", _at(cohort.starts_on, cohort.day_ends_at))
    if cohort.duration_days > 1:
        event.add("rrule", {"freq": "daily", "count": cohort.duration_days})
    event.add("summary", cohort.title)
    event.add("location", _location(cohort, invitee))
    event.add("description", "\n".join((
        cohort.title,
        _("Du %(start)s au %(end)s, chaque jour %(hours)s (heure de Paris).",
          start=format_range_start(cohort.starts_on, cohort.ends_on), end=format_day(cohort.ends_on),
          hours=cohort.daily_hours),
        _("Programme et informations pratiques : %(url)s", url=url),
    )))
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")

    organizer_name, organizer_email = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])
    event.add("organizer", _address(organizer_email, organizer_name))
    if invitee is not None:
        # The seat is answered on the site, not from the calendar: no reply asked (RSVP=FALSE); a confirmed
        # seat is already accepted, an offered one still to answer.
        event.add("attendee", _address(
            invitee.email, invitee.name, CUTYPE="INDIVIDUAL", ROLE="REQ-PARTICIPANT", RSVP="FALSE",
            PARTSTAT="ACCEPTED" if invitee.confirmed else "NEEDS-ACTION",
        ))

    calendar.add_component(event)
    # VTIMEZONE for Europe/Paris from zoneinfo, its rules from the year before to the year after the session.
    calendar.add_missing_timezones(first_date=date(cohort.starts_on.year - 1, 1, 1),
                                   last_date=date(cohort.ends_on.year + 2, 1, 1))
    return calendar.to_ical()
