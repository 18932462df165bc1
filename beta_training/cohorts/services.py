"""Write operations on Alpha sessions. Demo seeding uses them; issue #3 adds applications and seats."""

import sqlalchemy as sa

from beta_training.core.models import assign_changed, upsert
from beta_training.cohorts.models import Cohort, ProgrammeItem, Speaker, programme_item_speakers
from beta_training.extensions import db


def upsert_cohort(*, slug: str, **values) -> Cohort:
    """Create or update the session with this slug (idempotent: used by seeding and imports)."""
    return upsert(Cohort, {"slug": slug}, values)


def upsert_speaker(*, name: str, role: str, organisation: str = "") -> Speaker:
    return upsert(Speaker, {"name": name}, {"role": role, "organisation": organisation})


def replace_programme(cohort: Cohort, items: list[dict]) -> None:
    """Make the programme equal to `items`, keeping rows that already match (no churn on re-seed)."""
    existing = {
        (item.day, item.position): item
        for item in db.session.scalars(sa.select(ProgrammeItem).where(ProgrammeItem.cohort_id == cohort.id))
    }
    wanted_keys = set()
    for position, data in enumerate(items):
        key = (data["day"], position)
        wanted_keys.add(key)
        item = existing.get(key)
        if item is None:
            item = ProgrammeItem(cohort_id=cohort.id, day=data["day"], position=position)
            db.session.add(item)
        assign_changed(
            item,
            {
                "starts_at": data.get("starts_at"),
                "ends_at": data.get("ends_at"),
                "title": data["title"],
                "description": data.get("description", ""),
            },
        )
        speakers = [upsert_speaker(**speaker) for speaker in data.get("speakers", ())]
        db.session.flush()
        _set_speakers(item, {speaker.id for speaker in speakers})
    for key, item in existing.items():
        if key not in wanted_keys:
            db.session.delete(item)
    db.session.flush()


def _set_speakers(item: ProgrammeItem, speaker_ids: set[int]) -> None:
    link = programme_item_speakers
    current = set(db.session.scalars(sa.select(link.c.speaker_id).where(link.c.programme_item_id == item.id)))
    if current == speaker_ids:
        return
    db.session.execute(sa.delete(link).where(link.c.programme_item_id == item.id))
    if speaker_ids:
        db.session.execute(
            sa.insert(link), [{"programme_item_id": item.id, "speaker_id": sid} for sid in sorted(speaker_ids)]
        )
    db.session.expire(item, ["speakers"])
