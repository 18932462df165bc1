"""The jury's minutes (procès-verbal): jurors, timetable, every score, averages, decisions and their reasons.

CSV: semicolon-separated with a BOM for spreadsheets, every cell through core.streaming.neutralise (a title or
a comment typed as « =HYPERLINK(…) » stays text). The PDF is templates/calls/minutes.html through core.pdf.
"""

from flask_babel import gettext as _

from beta_training.core.i18n import format_moment
from beta_training.core.streaming import CsvStream


def _number(value) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def csv_text(*, call, jurors, slots, rows, scores) -> str:
    stream = CsvStream()
    out = [stream.header([_("Procès-verbal du jury"), call.title, call.incubator])]
    out.append(stream.line([_("Séance"), format_moment(slots[0].starts_at) if slots else "", call.jury_place]))
    out.append(stream.line([]))
    out.append(stream.line([_("Jurés")]))
    out += [stream.line([juror.display_name, juror.email]) for juror in jurors]
    out.append(stream.line([]))
    out.append(stream.line([_("Ordre de passage"), _("Début"), _("Fin"), _("Projet"), _("Candidat·e")]))
    out += [stream.line([n, format_moment(slot.starts_at, "HH:mm"), format_moment(slot.ends_at, "HH:mm"),
                         slot.dossier.display_title, slot.dossier.owner_name]) for n, slot in enumerate(slots, start=1)]
    out.append(stream.line([]))
    out.append(stream.line([_("Projet"), _("Juré·e"), _("Critère"), _("Note"), _("Commentaire")]))
    titles = {row[0].id: row[0].display_title for row in rows}
    for score in scores:
        name = score.juror.full_name if score.juror is not None else _("Ancien·ne juré·e")
        out += [stream.line([titles.get(score.dossier_id, ""), name, item["criterion"], item["score"], item["comment"]])
                for item in score.scores]
    out.append(stream.line([]))
    out.append(stream.line([_("Projet"), _("Moyenne"), _("Note la plus basse"), _("Note la plus haute"),
                            _("Nombre de notes"), _("Décision"), _("Raison")]))
    out += [stream.line([dossier.display_title, _number(average), _number(lowest), _number(highest), count,
                         dossier.state_label, dossier.decision_reason])
            for dossier, average, lowest, highest, count in rows]
    return "".join(out)
