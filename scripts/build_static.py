#!/usr/bin/env python3
"""Build the static files with Python alone: what `make` built with npm, and what production serves.

    python scripts/build_static.py            # both steps: bin/post_compile runs this on deployment
    python scripts/build_static.py assemble   # static/dsfr/ only: `make assets`, for `make run` and the tests
    python scripts/build_static.py collect    # staticfiles/ from static/ (after assemble)

1. assemble — static/dsfr/ from the two DSFR packages pinned in package-lock.json: from node_modules/ when npm
   installed that very version (a developer's machine), otherwise from the npm registry's tarball, refused
   unless it matches the lock's sha512 integrity (a PaaS build, where the Python buildpack has no Node.js).
   The DSFR's icon and utility stylesheet (utility.min.css, 455 KB on every page) is cut down to the rules
   whose classes the templates, scripts and Python code use, and only the icons drawn by what remains (and by
   dsfr.min.css) are copied.
2. collect — staticfiles/ for WhiteNoise (beta_training.core.static): every file of static/ under its own
   name and under a name carrying a hash of its content, url() references of the CSS pointing to the hashed
   names (a font's new version is a new name too), gzip and brotli versions, and manifest.json mapping each
   name to its hashed one.
"""

import argparse
import base64
import hashlib
import json
import os
import posixpath
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DSFR = "@gouvfr/dsfr"
DSFR_CHART = "@gouvfr/dsfr-chart"
REGISTRY = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org").rstrip("/")
# Where class names used by the site can be written: templates, our scripts, Python (e.g. an item's icon).
CLASS_SOURCES = (("templates", ("*.html", "*.txt")), ("static/js", ("*.js",)), ("beta_training", ("*.py",)))
CLASS = re.compile(r"fr-[A-Za-z0-9_-]+")
SELECTOR_CLASS = re.compile(r"\.(fr-[A-Za-z0-9_-]+)")
NOT = re.compile(r":not\([^)]*\)")
URL = re.compile(r"""url\(\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^)"'\s]*))\s*\)""")
MANIFEST = "manifest.json"


# --- The DSFR packages: node_modules or the registry -------------------------------------------------------


def locked(name: str, lock_file: Path = ROOT / "package-lock.json") -> tuple[str, str]:
    """(version, integrity) of a package as package-lock.json pins it."""
    entry = json.loads(lock_file.read_text(encoding="utf-8"))["packages"][f"node_modules/{name}"]
    return entry["version"], entry["integrity"]


def tarball_url(name: str, version: str, registry: str = REGISTRY) -> str:
    return f"{registry}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def check_integrity(data_path: Path, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    digest = hashlib.new(algorithm)
    with data_path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    if base64.b64encode(digest.digest()).decode() != expected:
        raise SystemExit(f"{data_path.name}: its {algorithm} does not match package-lock.json; refused.")


def download_package(name: str, version: str, integrity: str, into: Path, registry: str = REGISTRY) -> Path:
    """The package's dist/ from its registry tarball, once its integrity is checked; returns the package folder."""
    url = tarball_url(name, version, registry)
    print(f"build_static: {name} {version} from {url}")
    with tempfile.TemporaryDirectory() as scratch:
        tarball = Path(scratch) / "package.tgz"
        with urllib.request.urlopen(url, timeout=120) as response, tarball.open("wb") as out:  # noqa: S310 (https registry)
            shutil.copyfileobj(response, out, 1 << 20)
        check_integrity(tarball, integrity)
        target = into / name.replace("/", "+")
        shutil.rmtree(target, ignore_errors=True)
        with tarfile.open(tarball) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith(("package/dist/", "package/package.json"))]
            archive.extractall(target, members=members, filter="data")
    return target / "package"


def package_folder(name: str, cache: Path, node_modules: Path = ROOT / "node_modules", registry: str = REGISTRY,
                   lock_file: Path = ROOT / "package-lock.json") -> Path:
    """node_modules/<name> when npm installed the locked version there, else the checked registry tarball."""
    version, integrity = locked(name, lock_file)
    installed = node_modules / name / "package.json"
    if installed.is_file() and json.loads(installed.read_text(encoding="utf-8"))["version"] == version:
        return installed.parent
    return download_package(name, version, integrity, cache, registry)


# --- Only the utility CSS the site uses --------------------------------------------------------------------


def used_classes(root: Path = ROOT) -> set[str]:
    found = set()
    for folder, patterns in CLASS_SOURCES:
        for pattern in patterns:
            for path in (root / folder).rglob(pattern):
                found.update(CLASS.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def _selector_is_used(selector: str, used: set[str]) -> bool:
    # Every class a selector needs must be on some element; classes inside :not() are not needed.
    return all(name in used for name in SELECTOR_CLASS.findall(NOT.sub("", selector)))


def _split_selectors(prelude) -> list[list]:
    import tinycss2

    selectors, current = [], []
    for token in prelude:
        if isinstance(token, tinycss2.ast.LiteralToken) and token.value == ",":
            selectors.append(current)
            current = []
        else:
            current.append(token)
    selectors.append(current)
    return selectors


def _subset_rules(rules, used: set[str]) -> list:
    import tinycss2

    kept = []
    for rule in rules:
        if isinstance(rule, tinycss2.ast.QualifiedRule):
            selectors = [s for s in _split_selectors(rule.prelude) if _selector_is_used(tinycss2.serialize(s), used)]
            if selectors:
                prelude = ",".join(tinycss2.serialize(s).strip() for s in selectors)
                kept.append(f"{prelude}{{{tinycss2.serialize(rule.content)}}}")
        elif isinstance(rule, tinycss2.ast.AtRule) and rule.lower_at_keyword in ("media", "supports"):
            inner = _subset_rules(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True), used)
            if inner:
                kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{''.join(inner)}}}")
        elif isinstance(rule, tinycss2.ast.AtRule):
            kept.append(tinycss2.serialize([rule]))
    return kept


def subset_css(css: str, used: set[str]) -> str:
    """The stylesheet with only the rules (and, in a rule, only the selectors) that can match the used classes.
    Its licence comment stays at the top."""
    import tinycss2

    header = css[: css.index("*/") + 2] + "\n" if css.startswith("/*") else ""
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    return header + "".join(_subset_rules(rules, used)) + "\n"


def local_urls(css: str) -> list[str]:
    """The url() references of a stylesheet that point to files beside it (not data:, not another site)."""
    refs = []
    for match in URL.finditer(css):
        ref = match.group("double") or match.group("single") or match.group("bare") or ""
        if ref and not ref.startswith(("data:", "http:", "https:", "//", "#", "/")):
            refs.append(re.split(r"[?#]", ref, maxsplit=1)[0])
    return refs


# --- Step 1: static/dsfr/ ---------------------------------------------------------------------------------


def assemble(static_dir: Path = ROOT / "static", root: Path = ROOT, cache: Path | None = None,
             dsfr: Path | None = None, chart: Path | None = None) -> dict:
    """Write static/dsfr/; returns what it kept of the utility CSS (for the build log)."""
    with tempfile.TemporaryDirectory() as scratch:
        cache = cache or Path(scratch)
        dist = (dsfr or package_folder(DSFR, cache)) / "dist"
        chart_dist = (chart or package_folder(DSFR_CHART, cache)) / "dist" / "DSFRChart"
        out = static_dir / "dsfr"
        shutil.rmtree(out, ignore_errors=True)
        (out / "utility").mkdir(parents=True)
        (out / "chart").mkdir()
        for name in ("dsfr.min.css", "dsfr.module.min.js", "dsfr.nomodule.min.js"):
            shutil.copy2(dist / name, out / name)
        for folder in ("fonts", "favicon"):
            shutil.copytree(dist / folder, out / folder)
        full = (dist / "utility" / "utility.min.css").read_text(encoding="utf-8")
        used = used_classes(root)
        subset = subset_css(full, used)
        (out / "utility" / "utility.min.css").write_text(subset, encoding="utf-8")
        # The icons the remaining CSS draws, and only those (the package has about 1,600).
        for css_path in (out / "dsfr.min.css", out / "utility" / "utility.min.css"):
            for ref in local_urls(css_path.read_text(encoding="utf-8")):
                relative = posixpath.normpath(posixpath.join(css_path.parent.relative_to(out).as_posix(), ref))
                if relative.startswith("icons/"):
                    (out / relative).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(dist / relative, out / relative)
        for name in ("DSFRChart.js", "DSFRChart.css"):  # the whole chart build: Vue's runtime loads once
            shutil.copy2(chart_dist / name, out / "chart" / name)
    (out / ".copied").touch()
    return {"utility_bytes": (len(full), len(subset.encode())), "icons": len(list((out / "icons").rglob("*.svg")))}


# --- Step 2: staticfiles/ ---------------------------------------------------------------------------------


def hashed_name(relative: str, content: bytes) -> str:
    directory, name = posixpath.split(relative)
    stem, dot, extension = name.rpartition(".")
    digest = hashlib.sha256(content).hexdigest()[:12]
    hashed = f"{stem}.{digest}.{extension}" if dot else f"{name}.{digest}"
    return posixpath.join(directory, hashed)


def _rewrite_css(css: str, css_relative: str, paths: dict[str, str]) -> str:
    """url() references to files of the build point to their hashed names (same folder, new file name)."""
    base = posixpath.dirname(css_relative)

    def replace(match):
        ref = match.group("double") or match.group("single") or match.group("bare") or ""
        if not ref or ref.startswith(("data:", "http:", "https:", "//", "#", "/")):
            return match.group(0)
        path, suffix = re.match(r"([^?#]*)(.*)", ref).groups()
        target = posixpath.normpath(posixpath.join(base, path))
        if target not in paths:
            return match.group(0)
        new_path = posixpath.join(posixpath.dirname(path), posixpath.basename(paths[target]))
        return f'url("{new_path}{suffix}")'

    return URL.sub(replace, css)


def collect(static_dir: Path = ROOT / "static", out_dir: Path = ROOT / "staticfiles") -> dict[str, str]:
    """Build staticfiles/ from static/ (into a fresh folder, swapped in at the end); returns the manifest."""
    from whitenoise.compress import Compressor

    files = sorted(p for p in static_dir.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(static_dir).parts))
    building = out_dir.with_name(out_dir.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    paths: dict[str, str] = {}
    # Stylesheets last: their url() references need the hashed names of what they point to.
    for path in sorted(files, key=lambda p: p.suffix == ".css"):
        relative = path.relative_to(static_dir).as_posix()
        content = path.read_bytes()
        if path.suffix == ".css":
            content = _rewrite_css(content.decode("utf-8"), relative, paths).encode("utf-8")
        paths[relative] = hashed_name(relative, content)
        (building / relative).parent.mkdir(parents=True, exist_ok=True)
        (building / paths[relative]).write_bytes(content)
    compressor = Compressor(quiet=True)
    for relative, hashed in paths.items():
        variants = list(compressor.compress(str(building / hashed))) if compressor.should_compress(hashed) else []
        # The plain name is the same file (for a page cached before a deploy, or a file named by another file).
        shutil.copyfile(building / hashed, building / relative)
        for variant in variants:
            shutil.copyfile(variant, str(building / relative) + variant[len(str(building / hashed)):])
    (building / MANIFEST).write_text(json.dumps({"version": 1, "paths": paths}, indent=1, sort_keys=True),
                                     encoding="utf-8")
    shutil.rmtree(out_dir, ignore_errors=True)
    building.rename(out_dir)
    return paths


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", nargs="?", choices=("all", "assemble", "collect"), default="all")
    step = parser.parse_args(argv).step
    if step in ("all", "assemble"):
        kept = assemble()
        before, after = kept["utility_bytes"]
        print(f"build_static: static/dsfr/ (utility CSS {before // 1024} KB → {after // 1024} KB, {kept['icons']} icons)")
    if step in ("all", "collect"):
        paths = collect()
        print(f"build_static: staticfiles/ ({len(paths)} files, hashed names, gzip and brotli)")


if __name__ == "__main__":
    sys.exit(main())
