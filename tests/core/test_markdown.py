import pytest
from bs4 import BeautifulSoup

from beta_training.core.markdown import ALLOWED_TAGS, render_markdown


def test_renders_markdown():
    html = render_markdown("**Usagers** et [lien](https://beta.gouv.fr)")
    assert "<strong>Usagers</strong>" in html
    assert 'href="https://beta.gouv.fr"' in html
    assert 'rel="nofollow noopener noreferrer"' in html


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[clic](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=alert(1)>",
        '<p style="background:url(javascript:alert(1))">x</p>',
    ],
)
def test_strips_dangerous_markup(payload):
    soup = BeautifulSoup(str(render_markdown(payload)), "html.parser")
    for tag in soup.find_all(True):
        assert tag.name in ALLOWED_TAGS
        assert not any(name.startswith("on") or name == "style" for name in tag.attrs)
        href = tag.get("href", "")
        assert not href or href.startswith(("http://", "https://", "mailto:"))


def test_no_h1_from_users():
    assert "<h1" not in str(render_markdown("# Titre"))


def test_markdown_as_plain_text_keeps_the_words_not_the_marks():
    from beta_training.core.markdown import markdown_to_text

    text = markdown_to_text("Une **session** *express*, voir [le site](https://beta.gouv.fr).\n\n- un\n- deux\n\n1. a\n2. b")
    assert text == "Une session express, voir le site (https://beta.gouv.fr).\n\n- un\n- deux\n\n1. a\n2. b"


def test_headings_nest_under_the_page_heading_they_sit_below():
    from beta_training.core.markdown import render_markdown

    assert str(render_markdown("## Calendrier\n\n### Mars", below=2)) == "<h3>Calendrier</h3>\n<h4>Mars</h4>\n"
    assert "<h3>Titre</h3>" in str(render_markdown("# Titre", below=2))
    assert "<h2>Calendrier</h2>" in str(render_markdown("## Calendrier"))  # as typed without `below`


def test_a_text_is_rendered_once_per_process_per_level(monkeypatch):
    """Kept per process (a course's description at every view of its outline): the same text and level are not
    parsed nor sanitised again; another level, or another text, is its own rendering."""
    import nh3

    from beta_training.core import markdown

    cleaned = []
    original = nh3.clean
    monkeypatch.setattr(nh3, "clean", lambda *args, **kwargs: cleaned.append(1) or original(*args, **kwargs))
    text = "## Un texte que seul ce test rend\n\n*une fois*"
    first = [str(render_markdown(text)) for _view in range(3)]
    under_h2 = str(render_markdown(text, below=2))
    assert first == ["<h2>Un texte que seul ce test rend</h2>\n<p><em>une fois</em></p>\n"] * 3
    assert under_h2 == "<h3>Un texte que seul ce test rend</h3>\n<p><em>une fois</em></p>\n"
    assert str(render_markdown(text + " !")) != first[0]
    assert len(cleaned) == 3  # the text, the text under an h2, the other text
    assert markdown._rendered.cache_info().maxsize == 256  # bounded


def test_a_lazy_text_is_rendered_in_the_language_of_the_moment(app):
    from flask import session
    from flask_babel import lazy_gettext

    with app.test_request_context():
        session["lang"] = "en"
        assert str(render_markdown(lazy_gettext("Se connecter"))) == "<p>Log in</p>\n"
