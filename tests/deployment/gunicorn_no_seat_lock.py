"""Test-only gunicorn config (tests/deployment): the same wide race window, and the seat lock switched off in
each worker (the service's `_lock_seats` becomes a no-op): what the app would do without it. No setting of
the app turns the lock off; only this file, which production never loads."""

from tests.deployment.gunicorn_wide_race import widen_race_window


def post_worker_init(worker):
    from beta_training.cohorts import services

    widen_race_window()
    services._lock_seats = lambda cohort_id: None
