"""Every page, as every role allowed to see it, at 375 px and 1280 px in Chromium: no horizontal scrolling
of the page, no button or link whose text is cut off, and an example in words on every date or time field.

The pages are those of the access matrix (tests/access_matrix.py): each GET entry, as each role it answers
200 to, with the matrix's own world, plus the public pages. A new page gets its matrix entry (or the matrix
test fails), so it is crawled here without anyone remembering to add it. One browser context per role,
signed in once; each page is loaded once and measured at both widths (the viewport is resized in place).
"""

import pytest
import sqlalchemy as sa
from playwright.sync_api import Error as PlaywrightError

from beta_training.courses.models import CourseItem
from beta_training.extensions import db
from tests.access_matrix import ENTRIES, PUBLIC, ROLES, build_world
from tests.conftest import browser_login, fresh_database_url, running_app, serve
from tests.factories import PASSWORD, make_forum_post

pytestmark = pytest.mark.browser

WIDTHS = (1280, 375)
HEIGHT = 900
# The outbox pages exist (in development), so they are crawled too; one sign-in per role, no rate limit needed.
# Static files come from the browser's cache, as in production (a year there): the crawl loads pages, not 304s.
MODULE_CONFIG = {"MAIL_OUTBOX_PAGE": True, "RATELIMIT_ENABLED": False, "SEND_FILE_MAX_AGE_DEFAULT": 3600}
NOT_PAGES = {"/langue", "/healthz"}  # a form target and a JSON probe

# What a person sees that the layout got wrong, measured in the page. Returns one line per problem.
MEASURE = r"""async () => {
  await document.fonts.ready;
  const root = document.documentElement;
  const problems = [];
  const describe = el => {
    const classes = [...el.classList].filter(c => !c.startsWith('fr-icon')).slice(0, 3).join('.');
    const text = (el.innerText || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 60);
    return `<${el.tagName.toLowerCase()}${classes ? '.' + classes : ''}> « ${text} »`;
  };
  const shown = el => el.checkVisibility({visibilityProperty: true, opacityProperty: true})
    && el.getBoundingClientRect().width > 0 && !el.closest('.fr-sr-only');
  // Inside a box that scrolls or clips (a table's), an element does not widen the page.
  const scrolledIn = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  if (root.scrollWidth > root.clientWidth) {
    // The outermost elements sticking out on the right: their parent still fits.
    const width = root.clientWidth;
    const sticksOut = el => el.getBoundingClientRect().right > width + 1 && el.checkVisibility()
      && (['absolute', 'fixed'].includes(getComputedStyle(el).position) || !scrolledIn(el));
    const out = [...document.body.querySelectorAll('*')].filter(el => sticksOut(el) && !sticksOut(el.parentElement));
    problems.push(`page ${root.scrollWidth} px wide for ${width} px: ` + out.slice(0, 3).map(describe).join(', '));
  }
  if (root.clientWidth >= 1200) {
    // Wide enough for every table: one that scrolls in its box here has a cell that should wrap.
    for (const box of document.querySelectorAll('.fr-table__container, .fr-table > table')) {
      if (shown(box) && box.scrollWidth > box.clientWidth + 1) {
        problems.push(`table scrolls sideways (${box.scrollWidth} px in ${box.clientWidth}): ${describe(box.querySelector('caption') || box)}`);
      }
    }
  }
  // A table's caption above its first row, not over it (the DSFR pads the table's box by the caption's height).
  // After the viewport is resized in place, the DSFR measures a caption that now wraps on its next frames: the
  // overlap is read again until it settles (up to a second), as a person sees the page once it is drawn.
  const captionOverlaps = () => [...document.querySelectorAll('.fr-table caption')].flatMap(caption => {
    const firstRow = caption.closest('table').querySelector('tr');
    if (!shown(caption) || caption.getBoundingClientRect().height < 2 || !firstRow) return [];
    const overlap = caption.getBoundingClientRect().bottom - firstRow.getBoundingClientRect().top;
    return overlap > 1 ? [`table caption over its first row by ${Math.round(overlap)} px: ${describe(caption)}`] : [];
  });
  let overlaps = captionOverlaps();
  for (let tries = 0; overlaps.length && tries < 10; tries++) {
    await new Promise(resolve => setTimeout(resolve, 100));
    overlaps = captionOverlaps();
  }
  problems.push(...overlaps);
  for (const el of document.querySelectorAll('a[href], button, [role=button], input[type=submit], input[type=button]')) {
    if (!shown(el)) continue;
    const style = getComputedStyle(el);
    if (style.display === 'inline') continue;  // a link inside text wraps with it
    const clips = ['hidden', 'clip'].includes(style.overflowX) || ['hidden', 'clip'].includes(style.overflowY)
      || style.textOverflow === 'ellipsis';
    const cut = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
    // DSFR's icon-only buttons (its name in `title`, as DSFR requires) show no text by design.
    // So are its pagination's first and last page links, and previous and next below the lg width (their text
    // is their accessible name, hidden on screen).
    const iconOnly = (el.hasAttribute('title') && el.title.trim().startsWith((el.innerText || '').trim()))
      || el.matches('.fr-pagination__link--first, .fr-pagination__link--last, .fr-pagination__link--prev, .fr-pagination__link--next');
    if (clips && cut && !iconOnly) {
      problems.push(`text cut off (${el.clientWidth} px shown of ${el.scrollWidth}): ${describe(el)}`);
    }
  }
  const entries = [...document.querySelectorAll('.fr-nav__list > .fr-nav__item > :is(.fr-nav__link, .fr-nav__btn)')]
    .filter(shown);
  if (root.clientWidth >= 1200 && entries.length) {
    // The desktop menu: one row of entries, none of them written on two lines.
    const lines = el => {  // rows of the entry's own words (its unread badge aside)
      const tops = new Set();
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest('.fr-badge, .fr-sr-only')) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        for (const rect of range.getClientRects()) if (rect.width > 1) tops.add(Math.round(rect.top));
      }
      return tops.size;
    };
    const rows = new Set(entries.map(el => Math.round(el.getBoundingClientRect().top))).size;
    const wrapped = entries.filter(el => lines(el) > 1);
    if (rows > 1 || wrapped.length) {
      problems.push(`main menu on ${rows} rows, entries on two lines: ${wrapped.map(describe).join(', ') || 'none'}`);
    }
  }
  // French as it is written: no ISO date, « 1er » for the first of a month, no « place(s) ».
  const text = document.body.innerText;
  for (const [pattern, what] of [[/\b\d{4}-\d{2}-\d{2}\b/g, 'ISO date'],
      [/(?<![\d,])1 (?:janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\p{L}*/gu, 'first of a month not « 1er »'],
      [/[\p{L}·]+\((?:e?s)\)/gu, 'plural written « (s) »']]) {
    const found = [...new Set(text.match(pattern) || [])];
    if (found.length) problems.push(`${what} shown: ${found.slice(0, 3).join(', ')}`);
  }
  // A date or time field gives an example in words; a digit format (« JJ/MM/AAAA », « 07/11/2027 », « 09:30 »)
  // could contradict the picker, which orders digits as the browser's language does.
  for (const input of document.querySelectorAll('input[type=date], input[type=datetime-local], input[type=time]')) {
    const label = document.querySelector(`label[for="${input.id}"]`);
    const hint = label && label.querySelector('.fr-hint-text');
    const words = input.type === 'time' ? /\d{1,2} h \d{2}/ : /\d{1,2} (?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre) \d{4}/;
    if (!hint || !words.test(hint.textContent)) {
      problems.push(`date field without its example: #${input.id}`);
    } else if (/JJ|AAAA|hh:mm|\d{1,2}\/\d{1,2}\/\d{2,4}|\d{1,2}:\d{2}/.test(hint.textContent)) {
      problems.push(`date field whose hint a picker may contradict: #${input.id} « ${hint.textContent.trim()} »`);
    }
  }
  return problems;
}"""


@pytest.fixture(scope="module")
def app(request, smtp_server, tmp_path_factory):
    directory = tmp_path_factory.mktemp("layout-crawl")
    with running_app(fresh_database_url(request, directory), smtp_server, directory, MODULE_CONFIG) as app:
        yield app


@pytest.fixture(scope="module")
def live_server(app):
    with serve(app) as server:
        yield server


def _as_long_as_real_content(world) -> None:
    """Texts as long as the real ones (the demo course's titles, a ministry's name): layouts are judged on them,
    not on the factories' « S1 video »."""
    items = db.session.scalars(sa.select(CourseItem).where(CourseItem.course_id == world.course.id)).all()
    for number, item in enumerate(items, start=1):
        item.title = f"Convaincre son sponsor ({number}) : l’histoire de Mes Remboursements Simplifiés"
    world.application.administration = "Direction interministérielle de la transformation publique (DITP)"
    # A reply by another learner on the owner's question: the asker (and staff) see « Accepter cette réponse ».
    make_forum_post(world.thread, world.member, body="Une réponse d’une autre apprenante")
    db.session.commit()


@pytest.fixture(scope="module")
def pages(app):
    """role -> the URLs it may open (200 in the access matrix), built once on the matrix's world."""
    world = build_world()
    _as_long_as_real_content(world)
    found = {role: [url for url in sorted(PUBLIC) if url not in NOT_PAGES] for role in ROLES}
    for entry in ENTRIES:
        if entry.method != "GET":
            continue
        for role in ROLES:
            if entry.expected[role] == 200:
                request = entry.build(world, role)
                if role == "owner" and request.owner is not None:
                    continue  # another person plays the owner here: nobody to sign in as
                found[role].append(request.url)
    return world, found


def _check(page, url) -> list[str]:
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHT})
        problems += [f"{url} at {width} px: {problem}" for problem in page.evaluate(MEASURE)]
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_no_page_scrolls_sideways_or_cuts_a_button(browser, live_server, pages, role):
    world, found = pages
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", viewport={"width": WIDTHS[0], "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        if role != "anonymous":
            browser_login(page, world.users[role].email, PASSWORD)
        problems = []
        for url in found[role]:
            try:
                response = page.goto(url)
            except PlaywrightError as error:
                if "Download is starting" in error.message:
                    continue  # a file to download (CSV, PDF, calendar): no page
                raise
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue  # a file shown as is (Markdown, PDF)
            problems += _check(page, url)
    finally:
        context.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
