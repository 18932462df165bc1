"""What every Alpha view shares: the blueprint, labels for the templates, loaders and refusals."""

from flask import Blueprint, abort, current_app, flash
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from beta_training.accounts.models import ADMINISTRATION_TYPE_LABELS
from beta_training.cohorts import services
from beta_training.cohorts.models import (
    APPLICATION_STATE_LABELS,
    COHORT_STATUS_LABELS,
    SITUATION_LABELS,
    Cohort,
    CohortApplication,
)
from beta_training.core import db as core_db
from beta_training.core.states import InvalidTransition
from beta_training.extensions import db

bp = Blueprint("cohorts", __name__, url_prefix="/alpha")

REFUSED = (services.ApplicationError, InvalidTransition)

ANSWER_LABELS = [
    ("problem", _l("Quel est le problème que vous souhaitez résoudre ?")),
    ("solution", _l("Quelle est votre solution potentielle ?")),
    ("first_users", _l("Qui seront vos premiers utilisateurs et les partenaires à mobiliser ?")),
    ("motivation", _l("Votre motivation")),
    ("needs", _l("Besoins d’accessibilité ou régime alimentaire")),
]


@bp.context_processor
def labels():
    return {
        "admin_types": ADMINISTRATION_TYPE_LABELS,
        "situations": SITUATION_LABELS,
        "state_labels": {**COHORT_STATUS_LABELS, **APPLICATION_STATE_LABELS},
        "answer_labels": ANSWER_LABELS,
    }


def refused(error) -> None:
    core_db.rollback()
    flash(services.describe_error(error), "error")


def refused_value(form, error: services.InvalidValue) -> None:
    """A value the service refused: nothing is saved, the message goes under its field."""
    core_db.rollback()
    getattr(form, error.field).errors.append(str(error))


def per_page() -> int:
    return current_app.config["USERS_PER_PAGE"]


def application_or_404(application_id) -> CohortApplication:
    return db.get_or_404(CohortApplication, application_id)



def managed_cohort_or_404(cohort_id) -> Cohort:
    cohort = db.get_or_404(Cohort, cohort_id)
    if not cohort.can_manage(current_user):
        abort(403)
    return cohort
