"""What the PaaS reads: Procfile, .python-version, the build hook, and .env.example naming every setting."""

import os
import re
import subprocess
import sys

from tests.deploy.processes import BIN, PRODUCTION, ROOT, run

# Names the app reads as fallbacks from PaaS add-ons: mentioned beside the setting they stand for.
ALIASES = {"SCALINGO_POSTGRESQL_URL", "POSTGRESQL_ADDON_URI", "SCALINGO_REDIS_URL"}


def _settings_read(path) -> set[str]:
    source = path.read_text(encoding="utf-8")
    names = set(re.findall(r"""(?:environ\.get|environ\[|_bool|_int|_list)\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    for arguments in re.findall(r"_first_env\(([^)]*)\)", source):
        names.update(re.findall(r'"([A-Z][A-Z0-9_]+)"', arguments))
    return names


def test_env_example_names_every_setting_with_a_comment():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    read = _settings_read(ROOT / "beta_training" / "config.py") | _settings_read(ROOT / "gunicorn.conf.py")
    assert {"SECRET_KEY", "DATABASE_URL", "BASE_URL", "REDIS_URL", "WEB_CONCURRENCY"} <= read
    assert not read - documented - ALIASES, f"missing from .env.example: {sorted(read - documented - ALIASES)}"
    assert all(alias in example for alias in ALIASES)
    lines = example.splitlines()
    for index, line in enumerate(lines):  # each setting comes after a comment (its own or its group's)
        if re.match(r"[A-Z][A-Z0-9_]+=", line):
            above = [previous for previous in lines[:index] if previous.strip()]
            assert above and (above[-1].startswith("#") or re.match(r"[A-Z][A-Z0-9_]+=", above[-1])), line


def _procfile() -> dict[str, str]:
    return {name: command.strip() for name, command in
            (line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)}


def test_procfile_runs_gunicorn_and_migrates_before_traffic():
    processes = _procfile()
    assert processes["web"] == "gunicorn app:app"
    assert processes["release"] == processes["postdeploy"] == "flask db upgrade"


def test_procfile_starts_the_worker_that_sends_mail_and_runs_the_periodic_jobs():
    """Without a `worker` container no mail leaves: its line must reach the app's `worker` command (asked for
    its help here, which loads the production app without connecting anywhere)."""
    program, *arguments = _procfile()["worker"].split()
    result = run([str(BIN / program), *arguments, "--help"], PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "Run a worker (Procfile `worker`)" in result.stdout


def test_python_version_is_the_one_the_tests_run_on():
    assert (ROOT / ".python-version").read_text().strip() == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_the_build_hook_builds_static_files_and_translations():
    hook = ROOT / "bin" / "post_compile"
    assert os.access(hook, os.X_OK)
    commands = [line for line in hook.read_text().splitlines() if line and not line.startswith(("#", "echo", "set ", "cd "))]
    assert commands == ["python scripts/build_static.py", "pybabel compile --use-fuzzy -d translations"]


def test_the_repository_holds_no_link_to_a_machine_and_no_environment():
    """A clone has only the project's files: no virtualenv or node_modules (or a symlink to one, which a
    checkout writes over the real folder), no symlink leading out of the repository."""
    tracked = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    links = [line.split("\t", 1)[1] for line in tracked.splitlines() if line.startswith("120000 ")]
    outside = [path for path in links if not (ROOT / path).resolve().is_relative_to(ROOT.resolve())]
    assert outside == []
    names = {line.split("\t", 1)[1].split("/", 1)[0] for line in tracked.splitlines()}
    assert not names & {".venv", "venv", "node_modules", ".make", "instance"}
