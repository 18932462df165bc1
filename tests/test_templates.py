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


def test_icon_buttons_in_a_group_show_their_words():
    """In a DSFR button group, a button with an icon is drawn as the icon alone (its text cut off) unless the group
    says where icons go (fr-btns-group--icon-left/right): « Accepter cette réponse » became a lone ✓. The header's
    tools are styled by the header itself."""
    from bs4 import BeautifulSoup

    cut = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        soup = BeautifulSoup(template.read_text(), "html.parser")
        for group in soup.select(".fr-btns-group"):
            if group.find_parent(class_="fr-header__tools-links") or re.search(r"fr-btns-group--icon-", " ".join(group["class"])):
                continue
            cut += [f"{template.relative_to(TEMPLATES)}: {button.get_text(strip=True)}" for button in group.select(".fr-btn")
                    if any(name.startswith("fr-icon-") for name in button["class"])]
    assert cut == []


def test_no_template_prints_a_stray_jinja_brace():
    """Once every tag, expression and comment is taken out, no « {{ » or « }} » is left: a stray one is printed as
    is (« 0 adresse invalide. }} » on the enrolment result)."""
    from jinja2 import Environment
    from jinja2.lexer import TOKEN_DATA

    environment = Environment(extensions=["jinja2.ext.i18n"])
    strays = []
    for template in sorted(TEMPLATES.rglob("*.html")) + sorted(TEMPLATES.rglob("*.txt")):
        for _line, kind, value in environment.lex(template.read_text(encoding="utf-8")):
            if kind == TOKEN_DATA and ("{{" in value or "}}" in value):
                strays.append(f"{template.relative_to(TEMPLATES)}: {value.strip()[:60]}")
    assert strays == []
