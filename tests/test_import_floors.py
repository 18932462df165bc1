"""The floors of the code (`.importlinter`, README « Organisation du code ») name every package of
beta_training, and the contracts hold.

import-linter's layers contract says nothing of a module it does not name: a new domain left off the list could
import any floor, and be imported by any. So every module directly under beta_training must be on a floor. The
contracts also run here, so that the test suite alone fails on an import that climbs or closes a circle
(`make test` runs `lint-imports` too).
"""

import configparser
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"


def floors() -> list[set[str]]:
    """The layers of the floors contract, top first; a floor may hold siblings (`site | privacy`)."""
    config = configparser.ConfigParser()
    config.read(CONFIG)
    layers = config["importlinter:contract:floors"]["layers"]
    return [{name.strip() for name in line.replace(":", "|").split("|")} for line in layers.splitlines() if line.strip()]


def top_level_modules() -> set[str]:
    package = ROOT / "beta_training"
    return ({path.stem for path in package.glob("*.py") if path.name != "__init__.py"}
            | {path.name for path in package.iterdir() if (path / "__init__.py").is_file()})


def test_every_package_of_beta_training_is_on_a_floor():
    named = [name for floor in floors() for name in floor]
    assert sorted({name for name in named if named.count(name) > 1}) == [], "a module on two floors"
    assert sorted(top_level_modules() - set(named)) == [], "add it to the layers of .importlinter (and the README)"
    assert sorted(set(named) - top_level_modules()) == [], "a floor names a module that does not exist"


def test_the_import_contracts_hold():
    assert lint_imports(config_filename=str(CONFIG), no_cache=True, no_logo=True) == 0
