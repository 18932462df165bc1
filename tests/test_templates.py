"""Templates never trust HTML themselves: trusted HTML is a Markup property in one place (a sanitised post
body, ForumPost.body_markup) or literal markup in a translated string (Flask-Babel escapes its variables)."""

import re
from pathlib import Path

from flask import render_template_string

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_template_marks_html_safe_itself():
    templates = sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt"))
    assert len(templates) > 50
    assert [str(t.relative_to(TEMPLATES)) for t in templates if re.search(r"\|\s*safe\b", t.read_text())] == []


def test_a_translated_string_keeps_its_markup_and_escapes_its_values(app):
    with app.test_request_context():
        html = render_template_string('{{ _("%(site)s est <strong>non conforme</strong>", site=name) }}',
                                      name="<script>x</script>")
    assert html == "&lt;script&gt;x&lt;/script&gt; est <strong>non conforme</strong>"
