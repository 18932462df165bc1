"""A product's public page in beta.gouv.fr's startup format (content/_startups/*.md: Markdown with YAML front
matter), as the site's front-matter check wants it: phases with YAML dates (unquoted: `date` objects), sponsors as
`/organisations/<id>`, the incubator as the site's incubator id, the comités as `committee` events."""

import yaml

from beta_training.core.templating import format_d
from beta_training.products.models import DECISION_LABELS, SITE_PHASE_NAMES, CommitteeState, ProductPhase


def front_matter(product, *, periods, committees) -> dict:
    phases = []
    for period in periods:
        phase = {"name": _site_name(period, periods), "start": period.started_on}
        if period.ended_on is not None and period.ended_on > period.started_on:
            phase["end"] = period.ended_on
        phases.append(phase)
    front = {
        "title": product.name,
        "mission": product.pitch or product.name,
        "sponsors": [f"/organisations/{sponsor.organisation_id}" for sponsor in product.sponsors],
        "incubator": product.incubator_id,
        "contact": product.contact_email,
        "phases": phases,
    }
    events = [{"name": "committee", "date": c.held_on, "comment": str(DECISION_LABELS[c.decision])}
              for c in sorted(committees, key=lambda c: c.held_on) if c.state == CommitteeState.DECIDED]
    if events:
        front["events"] = events
    return front


def _site_name(period, periods) -> str:
    # A stop during the investigation is the site's « investigation non concluante ».
    if period.phase in (ProductPhase.STOPPED, ProductPhase.PIVOTED) and len(periods) > 1 \
            and periods[-2].phase == ProductPhase.INVESTIGATION:
        return "abandon-investigation"
    return SITE_PHASE_NAMES[ProductPhase(period.phase)]


def startup_markdown(product, *, periods, series, milestones, committees) -> str:
    front = front_matter(product, periods=periods, committees=committees)
    sections = [f"## Mission\n\n{product.pitch or product.name}"]
    indicators = []
    for indicator, values in series:
        last = f", dernière mesure : {values[-1].value} ({format_d(values[-1].measured_on)})" if values else ""
        indicators.append(f"- {indicator.name} : de {indicator.baseline or '?'} à {indicator.target or '?'}{last}")
    if indicators:
        sections.append("## Indicateurs d’impact\n\n" + "\n".join(indicators))
    if milestones:
        sections.append("## Feuille de route\n\n" + "\n".join(
            f"- {format_d(m.due_on) or 'date à préciser'} : {m.title}" for m in milestones))
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + "\n\n".join(sections) + "\n"
