"""The yardstick of benchmarks/load.py: a bare Flask app answering every GET with the same 15 KB of HTML.

Served like the real app (gunicorn, 2 processes, the settings of gunicorn.conf.py: see bare_gunicorn.conf.py),
it says what this machine gives a Flask page that does nothing: a page's req/s is read as a share of it.
"""

from flask import Flask

_HEAD = "<!doctype html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Page nue</title></head><body>\n"
_TAIL = "</body></html>\n"
_LINE = "<p>Une page Flask qui ne fait rien : ni base, ni gabarit, ni session.</p>\n"  # ASCII: 1 character, 1 byte
PAGE = (_HEAD + _LINE * 300)[:15 * 1024 - len(_TAIL)] + _TAIL

app = Flask(__name__)


@app.get("/")
def page():
    return PAGE
