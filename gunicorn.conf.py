# gunicorn reads this file from the working directory: `gunicorn app:app` (Procfile) needs nothing else.
# Every value comes from the environment, so a PaaS sets them per container size without a code change.
import os

# The PaaS gives the port; the router in front of the container sends every request there.
bind = [f"0.0.0.0:{os.environ.get('PORT', '8000')}"]

# Processes per container. The Python buildpack sets WEB_CONCURRENCY from the container's memory and CPUs;
# the app reads the same variable to refuse an in-process rate-limit store when more than one process serves.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Threads per process: a request waiting on PostgreSQL or on a slow client does not block the others.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"

# A worker whose main loop is silent this long is stuck and replaced (with threads, a long download or CSV
# export keeps its worker alive: only a blocked process counts).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "25"))  # a deploy lets requests finish
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# A worker is replaced after this many requests (plus jitter, so they do not all restart at once).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200

# The app is loaded once, in the master, before the workers fork: a production setting that is missing
# stops gunicorn at once with the app's one-sentence refusal (with the app loaded in each worker, gunicorn
# would restart failing workers for ever), and the workers share the loaded code's memory.
preload_app = True

# No control socket: nothing here uses gunicornc, and two instances on one machine would share its path.
control_socket_disable = True

# Addresses whose X-Forwarded-Proto gunicorn believes (the router's). Scalingo's buildpack sets "*": the
# container is only reachable through the router. The app's own ProxyFix (PROXY_FIX_X_*) decides the rest.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log on stdout with the request id the app sends back (X-Request-ID: the router's or the app's).
accesslog = "-"
errorlog = "-"
access_log_format = 'request_id=%({x-request-id}o)s remote=%(h)s "%(r)s" status=%(s)s bytes=%(B)s duration_ms=%(M)s'
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
if os.environ.get("LOG_FORMAT", "json") == "json":
    # One JSON object per line, like the app's own logs (time, level, message).
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level"},
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            }
        },
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
        },
        "root": {"handlers": []},  # the app puts its own (beta_training.core.observability) there
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
    }


def on_starting(server):
    """`--workers N` on the command line overrides WEB_CONCURRENCY after the app has checked it: check again
    with the number that will really serve."""
    from beta_training.config import StartupRefused, production_refusal

    app = server.app.wsgi()
    settings = {**app.config, "WEB_CONCURRENCY": server.cfg.workers}
    if app.config.get("ENV_NAME") == "production" and (refusal := production_refusal(settings)):
        raise StartupRefused(refusal)


def post_fork(server, worker):
    """Connections opened in the master (none are, but a pool must never be shared across a fork) are
    dropped, not closed: each worker opens its own."""
    from beta_training.extensions import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
