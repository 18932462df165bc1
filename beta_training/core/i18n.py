"""Language choice: French unless the user picked another supported language in the footer."""

from flask import current_app, has_request_context, session


def select_locale() -> str:
    """Outside a request (a job, a command: the emails they write), the default language."""
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
