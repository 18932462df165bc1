"""iCalendar (RFC 5545) file for an Alpha session: one all-day event over the session's days."""

from datetime import datetime, timedelta

from beta_training.core.models import utcnow


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded with CRLF + space (RFC 5545 §3.1)."""
    encoded = line.encode("utf-8")
    if len(encoded) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        piece = char.encode("utf-8")
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += piece
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def cohort_ics(cohort, url: str, now: datetime | None = None) -> bytes:
    stamp = (now or utcnow()).strftime("%Y%m%dT%H%M%SZ")
    location = ", ".join(part for part in (cohort.place_name, cohort.address) if part)
    description = f"{cohort.title} — {cohort.daily_hours}. {url}".strip()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//beta.gouv.fr//beta_training//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:alpha-{cohort.id}@formation.beta.gouv.fr",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{cohort.starts_on.strftime('%Y%m%d')}",
        f"DTEND;VALUE=DATE:{(cohort.ends_on + timedelta(days=1)).strftime('%Y%m%d')}",
        f"SUMMARY:{_escape(cohort.title)}",
        f"LOCATION:{_escape(location)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{url}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
