"""What an operator sees: logs on stdout with time, level and request id (JSON lines in production), the
request id itself (X-Request-ID, taken from the router or made here, sent back), and Sentry when SENTRY_DSN
is set."""

import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# A router's id is passed on as it is when it looks like one (Scalingo and Clever Cloud send a UUID); anything
# else (too long, spaces, quotes, line breaks that would forge a log line) is replaced by one of ours.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is when a record comes (a test runner swaps it), not the one at setup."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (« - » outside a request: commands, threads)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def _formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        from pythonjsonlogger.json import JsonFormatter

        return JsonFormatter(
            "%(asctime)s %(levelname)s %(request_id)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(app: Flask) -> None:
    """One handler on the root logger, writing to stdout (a PaaS collects stdout). Replaces the one an earlier
    app of this process installed (tests build many apps), leaves everyone else's handlers alone."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "beta_training", False)]:
        root.removeHandler(handler)
    handler = StdoutHandler()
    handler.beta_training = True
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(_formatter(app.config["LOG_FORMAT"]))
    # The level on the handler too: a logger with its own level (werkzeug sets INFO on its own) passes its
    # records to the root's handlers whatever the root's level.
    handler.setLevel(app.config["LOG_LEVEL"])
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # a line per plugin at every start
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # a line per step of every PDF
    logging.getLogger("procrastinate.blueprints").setLevel(logging.WARNING)  # « Adding tasks » at every start


def init_request_id(app: Flask) -> None:
    @app.before_request
    def take_request_id():
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        if app.config.get("SENTRY_DSN"):
            import sentry_sdk

            sentry_sdk.set_tag("request_id", g.request_id)

    @app.after_request
    def send_request_id(response):
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response


def init_sentry(app: Flask) -> None:
    """Errors to Sentry when SENTRY_DSN is set; nothing is loaded otherwise. No personal data is sent
    (send_default_pii off: no addresses, no cookies, no form values)."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        environment=app.config["SENTRY_ENVIRONMENT"],
        traces_sample_rate=app.config["SENTRY_TRACES_SAMPLE_RATE"],
        send_default_pii=False,
    )
