"""What any request may carry, checked once before every view.

- Bodies are forms: the pages and their scripts only ever send forms (urlencoded or multipart). Flask-WTF
  would take a JSON body as form data of any shape (a bare `false`, nested lists…), which no form expects:
  a JSON body is refused with 415.
- No NUL character anywhere (form fields, names, file names, query, path): nobody types one, and PostgreSQL
  text cannot store it. Refused with a 400 that says so, instead of failing deep in the database.
"""

from itertools import chain

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, UnsupportedMediaType


class NulCharacter(BadRequest):
    reason = _l("Votre envoi contient un caractère nul (invisible), qui ne peut pas être enregistré. "
                "Retirez-le, par exemple en retapant le texte copié, puis réessayez.")


def check_request() -> None:
    if request.method == "POST" and request.is_json:
        raise UnsupportedMediaType()
    texts = [request.path, *chain.from_iterable(request.args.items(multi=True))]
    if request.method == "POST":
        texts += [*chain.from_iterable(request.form.items(multi=True)),
                  *(upload.filename or "" for _name, upload in request.files.items(multi=True))]
    if any("\x00" in text for text in texts):
        raise NulCharacter()


def init_input_checks(app) -> None:
    app.before_request(check_request)
