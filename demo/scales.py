"""The three sizes of the demo data: which regions, how many cycles, and
how many organisations of each kind a region gets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """How much demo data: its regions, cycles and organisations per region."""

    regions: tuple[str, ...] | None  # None: all
    cycles: int
    per_region: str  # "small" or "full": how many organisations a region gets


SCALES = {
    "small": Scale(("VR24",), 8, "small"),
    "regional": Scale(("VR20", "VR21", "VR22", "VR23", "VR24"), 12, "full"),
    "national": Scale(None, 20, "full"),
}

# How many organisations of each kind a region with g gemeenten gets.
KIND_COUNTS: dict[str, dict[str, Callable[[int], int]]] = {
    "small": {
        "jgz": lambda g: 2,
        "veilig_thuis": lambda g: 1,
        "wijkteam": lambda g: g // 2 + 2,
        "cjg": lambda g: 4,
        "ivh": lambda g: 1,
        "rvdk": lambda g: 1,
        "gi": lambda g: 2,
        "politie": lambda g: 1,
        "om": lambda g: 1,
        "onderwijs": lambda g: 2,
        "huisarts": lambda g: 3,
        "verloskunde": lambda g: 2,
        "forensisch": lambda g: 1,
    },
    # JGZ, CJG and wijkteams work in local teams, each of which self-assesses.
    "full": {
        "jgz": lambda g: g + g // 6,
        "veilig_thuis": lambda g: 1 + g // 8,
        "wijkteam": lambda g: g + g // 2,
        "cjg": lambda g: g // 2 + 1,
        "ivh": lambda g: 1,
        "rvdk": lambda g: 1,
        "gi": lambda g: 3,
        "politie": lambda g: 2,
        "om": lambda g: 1,
        "onderwijs": lambda g: 4 + g // 3,
        "huisarts": lambda g: g,
        "verloskunde": lambda g: g // 2 + 1,
        "forensisch": lambda g: 1,
    },
}
