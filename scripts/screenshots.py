"""Screenshots of the main pages for the README (docs/screenshots/), from the demo data, as each role sees them.

    .venv/bin/python scripts/screenshots.py

A scratch SQLite database gets the migrations and `flask seed-demo`; `flask run` serves it on a free loopback
port; headless Chromium (Debian's, at CHROMIUM) signs in as each demo account and photographs its pages at
1280 px, and two of them at 375 px. Rerun it when a page changes: the README shows what it writes.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "beta-training-demo"

# (file name, account or None, path, width)
SHOTS = [
    ("accueil", None, "/", 1280),
    ("session-alpha", None, "/alpha/", 1280),
    ("mooc-presentation", None, "/mooc/", 1280),
    ("mooc-plan-apprenant", "agent@demo.beta.gouv.fr", "/mooc/{course}", 1280),
    ("mooc-plan-mobile", "agent@demo.beta.gouv.fr", "/mooc/{course}", 375),
    ("fiches-produit", "agent@demo.beta.gouv.fr", "/fiches/", 1280),
    ("forum", "agent@demo.beta.gouv.fr", "/forum/", 1280),
    ("forum-mobile", "agent@demo.beta.gouv.fr", "/forum/", 375),
    ("relecture-fiches", "formatrice@demo.beta.gouv.fr", "/fiches/relecture", 1280),
    ("gestion-alpha", "formatrice@demo.beta.gouv.fr", "/alpha/gestion/", 1280),
    ("gestion-mooc", "responsable@demo.beta.gouv.fr", "/mooc/gestion/", 1280),
    ("administration-utilisateurs", "admin@demo.beta.gouv.fr", "/admin/utilisateurs", 1280),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "BETA_TRAINING_ENV": "development", "FLASK_APP": "app.py",
               "DATABASE_URL": f"sqlite:///{scratch}/screenshots.sqlite3"}
        flask = [str(ROOT / ".venv" / "bin" / "flask")]
        for command in (["db", "upgrade"], ["seed-demo"]):
            subprocess.run(flask + command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen(flask + ["run", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            course = next((ROOT / "content" / "courses").iterdir()).name  # the demo MOOC's folder is its slug
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                     args=["--headless", "--no-sandbox", "--disable-gpu"])
                contexts = {}
                for name, account, path, width in SHOTS:
                    if (account, width) not in contexts:
                        context = browser.new_context(base_url=base, viewport={"width": width, "height": 900},
                                                      locale="fr-FR")
                        if account:
                            page = context.new_page()
                            page.goto("/compte/connexion")
                            page.get_by_label("Adresse électronique").fill(account)
                            page.locator("input[name=password]").fill(PASSWORD)
                            page.get_by_role("button", name="Se connecter", exact=True).click()
                            page.wait_for_url("**/compte/")
                            page.close()
                        contexts[(account, width)] = context
                    page = contexts[(account, width)].new_page()
                    page.goto(path.format(course=course))
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=OUT / f"{name}.png", full_page=False)
                    page.close()
                    print(f"docs/screenshots/{name}.png")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
