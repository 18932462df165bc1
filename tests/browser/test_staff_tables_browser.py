"""The staff's tables at 1280 px, with data as long as the real one: a state badge on one line, a person's name on
one line, the selection checkbox level with its row's first line; at 375 px the table scrolls inside its box and
the page does not. Axe stays at zero on each."""

import os

import pytest

from beta_training.accounts.models import Role
from beta_training.cohorts.models import ApplicationState
from tests.a11y import assert_accessible
from tests.conftest import browser_login
from tests.factories import (
    PASSWORD,
    make_application,
    make_application_review,
    make_cohort,
    make_product_sheet,
    make_user,
)

pytestmark = pytest.mark.browser

# Names as long as real ones (a hyphenated first name, two family names, letters beyond Latin-1).
LONG_NAMES = [
    ("Marie-Charlotte", "de La Rochefoucauld-Montbazon"),
    ("Nguyễn Thị", "Hương Phạm-Trần"),
    ("Jean-Baptiste", "Brzęczyszczykiewicz-Dupont"),
    ("Anne-Sophie", "Vanderhaeghen-Lefebvre"),
    ("Maximilien", "Kowalczyk-Saint-Exupéry"),
]
ADMINISTRATION = "Direction interministérielle de la transformation publique (DITP)"

# Per row of a table: how many lines the badges and the names take, and how far the checkbox's box is from the
# middle of the row's first line of text. Lines are counted from the text's own boxes, as a reader sees them.
MEASURE_ROWS = r"""([selector, nameSelector]) => {
  const table = document.querySelector(selector);
  const lines = el => {
    const tops = new Set();
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.fr-sr-only') || !node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) if (rect.width > 1) tops.add(Math.round(rect.top));
    }
    return tops.size;
  };
  const firstLine = cell => {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      const rect = range.getClientRects()[0];
      if (rect) return rect;
    }
    return null;
  };
  // The text of each line an element is written on, as laid out (a break inside a word shows as two lines).
  const textLines = el => {
    const rows = [];
    let top = null;
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (!rect || rect.width === 0) continue;  // a space where the line breaks
        if (top === null || rect.top > top + rect.height / 2) { rows.push(''); top = rect.top; }
        rows[rows.length - 1] += node.data[i];
      }
    }
    return rows.map(row => row.trim());
  };
  return [...table.querySelectorAll('tbody tr')].map(row => {
    const badges = [...row.querySelectorAll('.fr-badge')].map(badge => ({text: badge.innerText, lines: lines(badge)}));
    const name = row.querySelector(nameSelector);
    const box = row.querySelector('input[type=checkbox] + label');
    let checkbox = null;
    if (box && name) {
      // DSFR draws the box in the label's ::before; its middle, against the middle of the name's first line.
      const before = getComputedStyle(box, '::before');
      const boxTop = box.getBoundingClientRect().top + parseFloat(before.top || 0);
      const boxMiddle = boxTop + parseFloat(before.height) / 2;
      const line = firstLine(name);
      checkbox = Math.abs(boxMiddle - (line.top + line.height / 2));
    }
    return {name: name && name.innerText, nameLines: name ? textLines(name) : [], badges, checkbox};
  });
}"""

SCROLLS_SIDEWAYS = "(selector) => { const box = document.querySelector(selector); return box.scrollWidth > box.clientWidth + 1; }"
PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def _queue_world():
    cohort = make_cohort(slug="alpha-file", title="Formation Alpha — session de Lyon", seats=3)
    reviewer = make_user(roles=[Role.TRAINER])
    states = [state for state in ApplicationState if state != ApplicationState.DRAFT]
    for number, state in enumerate(states):
        first, last = LONG_NAMES[number % len(LONG_NAMES)]
        user = make_user(first_name=first, last_name=last)
        application = make_application(cohort, user, state=state, administration=ADMINISTRATION,
                                       administration_type="centrale", departement="971")
        make_application_review(application, reviewer)
    make_user(email="file-trainer@example.gouv.fr", roles=[Role.TRAINER])
    return cohort, states


def _shoot(page, name):
    if os.environ.get("TABLE_SHOTS"):
        page.locator(".fr-table").first.screenshot(path=f"{os.environ['TABLE_SHOTS']}/{name}.png")


def test_alpha_review_queue_reads_as_a_table_at_1280_and_scrolls_in_its_box_at_375(page):
    cohort, states = _queue_world()
    browser_login(page, "file-trainer@example.gouv.fr", PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/alpha/gestion/{cohort.id}/candidatures")
    page.evaluate("document.fonts.ready")
    _shoot(page, "queue-1280")
    rows = page.evaluate(MEASURE_ROWS, [".fr-table table", "a[href*='/alpha/gestion/candidatures/']"])
    assert len(rows) == len(states)
    assert page.evaluate(SCROLLS_SIDEWAYS, ".fr-table__container") is False, "at 1280 px the whole table is in view"
    for row in rows:
        # On one line, or, when it is very long, on two: first name, then last name, neither of them cut.
        _names_whole([row], "file de relecture")
        assert [badge["lines"] for badge in row["badges"]] == [1], f"badge on several lines: {row}"
        assert row["checkbox"] is not None and row["checkbox"] <= 4, f"checkbox not level with the first line: {row}"
    assert_accessible(page, "file de relecture à 1280 px")

    page.set_viewport_size({"width": 375, "height": 800})
    _shoot(page, "queue-375")
    assert page.evaluate(PAGE_OVERFLOW) == 0
    assert page.evaluate(SCROLLS_SIDEWAYS, ".fr-table__container") is True, "at 375 px the table scrolls in its box"
    assert_accessible(page, "file de relecture à 375 px")


def _names_whole(rows, what):
    for row in rows:
        assert row["nameLines"] in ([f"{first} {last}"] for first, last in LONG_NAMES) \
            or row["nameLines"] in ([first, last] for first, last in LONG_NAMES), f"{what}: name cut: {row['nameLines']}"


def test_fiche_review_queue_and_users_list_keep_names_whole_and_fit_at_1280(page):
    admin = make_user(email="tables-admin@example.gouv.fr", roles=[Role.ADMIN, Role.TRAINER], first_name="Marie-Charlotte",
                      last_name="de La Rochefoucauld-Montbazon", administration=ADMINISTRATION)
    for number, (first, last) in enumerate(LONG_NAMES):
        owner = make_user(first_name=first, last_name=last, administration=ADMINISTRATION)
        in_review = number % 2 == 0
        make_product_sheet(owner, state="in_review" if in_review else "submitted", claimed_by_id=admin.id if in_review else None,
                           content={"name": "Mes Remboursements Simplifiés : le remboursement des frais de déplacement"})
    browser_login(page, "tables-admin@example.gouv.fr", PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 900})
    for url, name_selector in [("/fiches/relecture", "td:nth-child(2)"), ("/admin/utilisateurs", "td:first-child a")]:
        page.goto(url)
        page.evaluate("document.fonts.ready")
        _shoot(page, url.strip("/").replace("/", "-"))
        rows = page.evaluate(MEASURE_ROWS, [".fr-table table", name_selector])
        assert rows, url
        _names_whole(rows, url)
        assert page.evaluate(SCROLLS_SIDEWAYS, ".fr-table__container") is False, f"{url}: the whole table is in view"
        assert_accessible(page, url)
