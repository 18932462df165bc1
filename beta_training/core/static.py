"""Static files in production: WhiteNoise serves the folder scripts/build_static.py built (STATIC_ROOT).

There every file exists twice, under its own name and under a name carrying a hash of its content
(`css/app.3f2a9c01b4de.css`), each with its gzip and brotli versions; `manifest.json` maps one to the other.
`url_for('static', filename=…)` gives the hashed name, which WhiteNoise sends with a one-year `immutable`
cache (a new content is a new name); a file asked for by its plain name is cached STATIC_MAX_AGE seconds.
WhiteNoise picks the brotli or gzip version from Accept-Encoding. Nothing here reads the disk per request
(autorefresh off): the files are listed once, at start-up.

On a developer's machine (STATIC_BUILD off) Flask serves static/ as it is.
"""

import json
import logging
from pathlib import Path

from flask import Flask

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


def read_manifest(root: Path) -> dict[str, str] | None:
    """{plain path: hashed path}, both relative to the static root; None if the folder was not built."""
    path = root / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))["paths"]


def init_static(app: Flask) -> None:
    if not app.config["STATIC_BUILD"]:
        return
    root = Path(app.config["STATIC_ROOT"])
    paths = read_manifest(root)
    if paths is None:
        # Still usable (Flask serves static/, without long caching): say how to get the real thing.
        log.warning("%s has no %s: static files are served by Flask, uncompressed and not cached; "
                    "run `python scripts/build_static.py` (bin/post_compile does it on deployment)", root, MANIFEST)
        return
    from whitenoise import WhiteNoise

    prefix = app.static_url_path.rstrip("/") + "/"
    hashed_urls = frozenset(prefix + hashed for hashed in paths.values())

    def add_headers(headers, _path, _url):
        headers["X-Content-Type-Options"] = "nosniff"  # the app's after_request does not see these answers

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=str(root),
        prefix=prefix,
        autorefresh=False,
        max_age=app.config["STATIC_MAX_AGE"],
        immutable_file_test=lambda _path, url: url in hashed_urls,
        add_headers_function=add_headers,
    )

    @app.url_defaults
    def hashed_static_name(endpoint, values):
        if endpoint == "static" and values.get("filename") in paths:
            values["filename"] = paths[values["filename"]]
