"""axe-core (bundled in axe-playwright-python) on a live page: WCAG 2.x A and AA rules."""

from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_axe = Axe()
FINITE_ANIMATIONS_DONE = """() => document.getAnimations().every(
    (animation) => animation.playState !== "running" || animation.effect.getTiming().iterations === Infinity)"""


def assert_accessible(page, label: str = "") -> None:
    # A page whose text is there may still be loading its stylesheets (after a form post, under load):
    # axe must judge the page as people see it.
    page.wait_for_load_state("load")
    # …nor halfway through a transition (a DSFR menu opening covers its neighbours until it has unfolded).
    page.wait_for_function(FINITE_ANIMATIONS_DONE, timeout=5000)
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{label or page.url}\n{results.generate_report()}"
