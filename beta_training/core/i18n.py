"""Language choice: French unless the user picked another supported language in the footer."""

from flask import current_app, session


def select_locale() -> str:
    chosen = session.get("lang")
    return chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
