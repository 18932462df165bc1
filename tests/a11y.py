"""axe-core (bundled in axe-playwright-python) on a live page: WCAG 2.x A and AA rules."""

from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_axe = Axe()


def assert_accessible(page, label: str = "") -> None:
    # A page whose text is there may still be loading its stylesheets (after a form post, under load):
    # axe must judge the page as people see it.
    page.wait_for_load_state("load")
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{label or page.url}\n{results.generate_report()}"
