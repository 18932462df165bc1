"""Alpha training pages, one blueprint in one file per audience (as Indico's controllers/ are split):
`candidate` (public sessions, applying, one's applications), `alumni`, `management` (sessions, programme,
bulk email, attendance) and `review` (the trainers' review of applications); `common` holds what they share.
Views load (404) → authorise with a model predicate (403) → form → one service call → commit → respond."""

from beta_training.cohorts.views import alumni, candidate, management, review  # noqa: F401 — they add their routes to bp
from beta_training.cohorts.views.common import bp

__all__ = ["bp"]
