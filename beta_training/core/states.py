"""One guard for every lifecycle: states are StrEnums, allowed moves are a table."""

from collections.abc import Mapping, Set
from enum import StrEnum


class InvalidTransition(Exception):
    def __init__(self, current: StrEnum, target: StrEnum):
        super().__init__(f"transition {current} → {target} is not allowed")
        self.current = current
        self.target = target


def check_transition(table: Mapping[StrEnum, Set[StrEnum]], current: StrEnum, target: StrEnum) -> None:
    if target not in table.get(current, frozenset()):
        raise InvalidTransition(current, target)
