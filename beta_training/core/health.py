"""What /healthz reports: can this instance reach its database, its Redis, and is the job queue keeping up."""

import logging

import sqlalchemy as sa
from flask import current_app

from beta_training.core import jobs
from beta_training.extensions import db, limiter

log = logging.getLogger(__name__)


def queue_lag_seconds() -> float | None:
    """Age in seconds of the oldest job that is due and not yet taken by a worker; None when there is no queue
    to measure (jobs run in-process)."""
    try:
        return jobs.queue_lag_seconds()
    except Exception as error:  # the database check reports the outage; the lag is then unknown
        log.warning("health check: queue lag unknown: %s", error)
        return None
    finally:
        db.session.rollback()


def _database() -> str:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as error:  # any failure is the answer, not a 500
        log.warning("health check: database unreachable: %s", error)
        return "error"
    finally:
        db.session.rollback()
    return "ok"


def _redis() -> str:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        log.warning("health check: Redis unreachable: %s", error)
        return "error"
    finally:
        client.close()
    return "ok"


def _rate_limit_store() -> str:
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        return "memory"
    return "ok" if limiter.storage.check() else "error"


def report() -> tuple[dict, bool]:
    """The checks, and whether this instance should get traffic."""
    checks = {"database": _database(), "redis": _redis(), "rate_limit_store": _rate_limit_store()}
    lag = queue_lag_seconds()
    checks["queue_lag_seconds"] = None if lag is None else round(lag, 1)
    healthy = (
        checks["database"] == "ok"
        and checks["redis"] != "error"
        and checks["rate_limit_store"] != "error"
        and (lag is None or lag <= current_app.config["HEALTH_MAX_QUEUE_LAG_SECONDS"])
    )
    return {"status": "ok" if healthy else "error", **checks}, healthy
