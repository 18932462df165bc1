"""The rules beta.gouv.fr's site applies to a startup page's front matter before it publishes it (its CI reads
each content/_startups/*.md with a YAML parser that turns unquoted ISO days into dates, then checks field
types). Written here from those rules, so that an export is known to pass them without the site's repository."""

from datetime import date


def front_matter_problems(front: dict, *, organisations: set[str] = frozenset(), incubators: set[str] = frozenset()) -> list[str]:
    problems = []
    for field in ("title", "mission", "incubator", "contact"):
        if not isinstance(front.get(field), str):
            problems.append(f"{field}: a string is required")
    for field in ("usertypes", "thematiques"):
        if field in front and not (isinstance(front[field], list) and all(isinstance(v, str) for v in front[field])):
            problems.append(f"{field}: a list of strings is required")
    for sponsor in front.get("sponsors") or []:
        if sponsor not in {f"/organisations/{identifier}" for identifier in organisations}:
            problems.append(f"sponsors: {sponsor!r} is no /organisations/<id> of the site")
    if front.get("incubator") and incubators and front["incubator"] not in incubators:
        problems.append(f"incubator: {front['incubator']!r} is no incubator id of the site")
    phases = front.get("phases") or []
    if len({phase.get("name") for phase in phases}) != len(phases):
        problems.append("phases: duplicated phases")
    for index, phase in enumerate(phases):
        if not isinstance(phase.get("name"), str):
            problems.append(f"phases[{index}].name: a string is required")
        if not isinstance(phase.get("start"), date):
            problems.append(f"phases[{index}].start: a date is required, got {type(phase.get('start')).__name__}")
        end = phase.get("end")
        if end is not None and not isinstance(end, date):
            problems.append(f"phases[{index}].end: a date is required")
        elif end is not None and isinstance(phase.get("start"), date) and end <= phase["start"]:
            problems.append(f"phases[{index}]: end should be after start")
    return problems
