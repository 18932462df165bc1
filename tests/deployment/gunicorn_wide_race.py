"""Test-only gunicorn config (tests/deployment): every seat decision pauses between counting the holders and
writing, as a slow request would, so that without the lock many requests count before any of them writes.
Applied to both runs of the seat race (lock on, lock off): the lock is the only difference."""

import time

RACE_PAUSE_SECONDS = 0.03


def widen_race_window():
    from beta_training.cohorts import queries

    count = queries.count_seat_holders

    def slow_count(cohort_id):
        holders = count(cohort_id)
        time.sleep(RACE_PAUSE_SECONDS)
        return holders

    queries.count_seat_holders = slow_count


def post_worker_init(worker):
    widen_race_window()
