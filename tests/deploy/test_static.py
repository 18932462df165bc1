"""Static files: the DSFR without Node.js (checked npm tarball), only the utility/icon CSS the site uses, hashed
names and gzip/brotli versions served by WhiteNoise with long caching (scripts/build_static.py,
beta_training.core.static)."""

import base64
import gzip
import hashlib
import importlib.util
import io
import json
import re
import tarfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import brotli
import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILT_DSFR = ROOT / "static" / "dsfr"
IMMUTABLE = "max-age=315360000, public, immutable"


def _load_build_script():
    spec = importlib.util.spec_from_file_location("build_static", ROOT / "scripts" / "build_static.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build_script()


def _built(relative: str) -> str:
    path = BUILT_DSFR / relative
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make assets` (scripts/build_static.py assemble).")
    return path.read_text(encoding="utf-8")


# --- Only the icon/utility CSS that is used ------------------------------------------------------------------


def test_every_icon_class_the_site_uses_is_in_the_built_css():
    used = {name for name in build.used_classes(ROOT) if name.startswith("fr-icon-")}
    assert "fr-icon-download-line" in used  # found in Python too (an item kind's icon)
    dangling = sorted(name for name in used if name.endswith("-"))
    assert not dangling, f"write icon classes whole, the build cannot guess the end of {dangling}"
    css = _built("dsfr.min.css") + _built("utility/utility.min.css")
    missing = sorted(name for name in used if not re.search(rf"\.{re.escape(name)}(?![\w-])", css))
    assert not missing, f"icon classes used but not in static/dsfr (run `make assets`): {missing}"
    for ref in build.local_urls(_built("utility/utility.min.css")):
        assert (BUILT_DSFR / "utility" / ref).resolve().is_file(), ref  # and each icon it draws is there


def test_the_utility_css_keeps_only_a_small_part_of_the_package():
    """The DSFR 1.15 package's utility.min.css is 455 KB (1,044 icon classes); the site uses a few dozen."""
    built = (BUILT_DSFR / "utility" / "utility.min.css").stat().st_size
    assert built < 455_000 / 20, built
    assert _built("utility/utility.min.css").startswith("/*!\n * DSFR v")  # the licence notice stays


def test_subset_keeps_the_rules_and_selectors_that_can_match():
    css = ("/*! licence */.fr-icon-a:before,.fr-icon-b:before{mask:url(../icons/a.svg)}"
           ".fr-icon-b:after{color:red}[class^=fr-icon-]{display:inline-block}"
           "@media (min-width:48em){.fr-text--a{font-size:1rem}.fr-text--b{font-size:2rem}}"
           ".fr-x:not(.fr-unused){margin:0}.fr-x.fr-unused{margin:1px}@font-face{font-family:M}")
    subset = build.subset_css(css, {"fr-icon-a", "fr-text--a", "fr-x"})
    assert subset.startswith("/*! licence */")
    assert ".fr-icon-a:before{mask:url(../icons/a.svg)}" in subset
    assert "fr-icon-b" not in subset and "fr-text--b" not in subset and ".fr-x.fr-unused" not in subset
    assert "[class^=fr-icon-]{display:inline-block}" in subset  # no class needed: kept
    assert "@media (min-width:48em){.fr-text--a{font-size:1rem}}" in subset
    assert ".fr-x:not(.fr-unused){margin:0}" in subset and "@font-face" in subset


# --- The DSFR from the npm registry, checked against package-lock.json ---------------------------------------


def _package_tarball() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in (("package/package.json", b'{"version": "9.9.9"}'),
                              ("package/dist/dsfr.min.css", b".fr-btn{}"),
                              ("package/src/secret.txt", b"not needed")):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


@pytest.fixture
def registry(tmp_path):
    """A loopback npm registry serving one tarball at the path npm uses."""
    tarball = _package_tarball()
    folder = tmp_path / "registry" / "@gouvfr" / "dsfr" / "-"
    folder.mkdir(parents=True)
    (folder / "dsfr-9.9.9.tgz").write_bytes(tarball)
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "registry"))
    handler.log_message = lambda *args: None
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    server.shutdown()
    server.server_close()


def test_the_dsfr_comes_from_the_registry_when_node_is_not_there(registry, tmp_path):
    url, integrity = registry
    folder = build.download_package("@gouvfr/dsfr", "9.9.9", integrity, tmp_path / "cache", registry=url)
    assert (folder / "dist" / "dsfr.min.css").read_bytes() == b".fr-btn{}"
    assert not (folder / "src").exists()  # only dist/ is taken


def test_node_modules_is_used_only_when_it_holds_the_locked_version(registry, tmp_path):
    url, integrity = registry
    lock = tmp_path / "package-lock.json"
    lock.write_text(json.dumps({"packages": {"node_modules/@gouvfr/dsfr": {"version": "9.9.9", "integrity": integrity}}}))
    installed = tmp_path / "node_modules" / "@gouvfr" / "dsfr"
    installed.mkdir(parents=True)
    (installed / "package.json").write_text('{"version": "9.9.9"}')
    assert build.package_folder("@gouvfr/dsfr", tmp_path / "cache", tmp_path / "node_modules", url, lock) == installed
    (installed / "package.json").write_text('{"version": "9.9.8"}')  # npm has not caught up with the lock
    downloaded = build.package_folder("@gouvfr/dsfr", tmp_path / "cache", tmp_path / "node_modules", url, lock)
    assert downloaded != installed and (downloaded / "dist" / "dsfr.min.css").is_file()


def test_a_tarball_that_does_not_match_the_lock_is_refused(registry, tmp_path):
    url, _integrity = registry
    wrong = "sha512-" + base64.b64encode(hashlib.sha512(b"something else").digest()).decode()
    with pytest.raises(SystemExit, match="does not match package-lock.json"):
        build.download_package("@gouvfr/dsfr", "9.9.9", wrong, tmp_path / "cache", registry=url)
    assert not (tmp_path / "cache").exists()


def test_the_registry_url_is_npm_s_for_the_locked_version():
    version, integrity = build.locked("@gouvfr/dsfr")
    assert integrity.startswith("sha512-")
    assert build.tarball_url("@gouvfr/dsfr", version, "https://registry.npmjs.org") == (
        f"https://registry.npmjs.org/@gouvfr/dsfr/-/dsfr-{version}.tgz")


# --- Hashed names, compression, WhiteNoise -----------------------------------------------------------------


@pytest.fixture(scope="session")
def staticfiles(tmp_path_factory):
    _built("dsfr.min.css")
    out = tmp_path_factory.mktemp("static") / "staticfiles"
    build.collect(ROOT / "static", out)
    return out


def test_collect_hashes_names_and_points_css_to_them(staticfiles):
    paths = json.loads((staticfiles / "manifest.json").read_text())["paths"]
    css_name = paths["dsfr/dsfr.min.css"]
    assert re.fullmatch(r"dsfr/dsfr\.min\.[0-9a-f]{12}\.css", css_name)
    css = (staticfiles / css_name).read_text()
    font = paths["dsfr/fonts/Marianne-Regular.woff2"]
    assert f'url("fonts/{Path(font).name}")' in css and "url(fonts/Marianne-Regular.woff2)" not in css
    assert hashlib.sha256((staticfiles / css_name).read_bytes()).hexdigest()[:12] in css_name
    assert brotli.decompress((staticfiles / (css_name + ".br")).read_bytes()) == (staticfiles / css_name).read_bytes()
    assert gzip.decompress((staticfiles / (css_name + ".gz")).read_bytes()) == (staticfiles / css_name).read_bytes()


@pytest.fixture
def config_overrides(staticfiles):
    return {"STATIC_BUILD": True, "STATIC_ROOT": str(staticfiles)}


def _stylesheets_and_scripts(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(r'<script[^>]* src="([^"]+)"', html)


def test_pages_link_hashed_files_served_compressed_and_cached_for_a_year(client):
    page = client.get("/")
    assets = _stylesheets_and_scripts(page.text)
    assert any("/static/dsfr/dsfr.min." in url for url in assets)
    weight = 0
    for url in assets:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), url
        with client.get(url, headers={"Accept-Encoding": "br, gzip"}) as response:
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == IMMUTABLE
            assert response.headers["Content-Encoding"] == "br" and response.headers["X-Content-Type-Options"] == "nosniff"
            weight += len(response.data)
    # The first page's CSS and JavaScript, as sent: was 1.48 MB (dsfr.min.css 728 KB + utility.min.css 455 KB…).
    assert weight < 200 * 1024, weight


def test_gzip_for_older_clients_and_a_short_cache_for_unhashed_names(client):
    with client.get("/static/dsfr/dsfr.min.css", headers={"Accept-Encoding": "gzip"}) as response:
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Cache-Control"] == "max-age=3600, public"


@pytest.mark.parametrize("config_overrides", [{"STATIC_BUILD": False}])
def test_on_a_developer_machine_flask_serves_static_as_it_is(client):
    assert '/static/dsfr/dsfr.min.css"' in client.get("/").text
