"""A tally of what the hardening suites tried (attacks made and refused, fuzz cases, 5xx seen).

Tests add to it as they go; at the end of the run the totals are printed in the terminal
summary and written to `test-artifacts/hardening-figures.json`, where RELIABILITY.md's
figures come from.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

FIGURES_PATH = Path("test-artifacts") / "hardening-figures.json"


class Ledger:
    """Counters per suite: `ledger.add("isolation", attempts=1, refused=1)`."""

    def __init__(self) -> None:
        self.suites: dict[str, Counter[str]] = {}

    def add(self, suite: str, **counts: int) -> None:
        self.suites.setdefault(suite, Counter()).update(counts)

    def attempt(self, suite: str, *, refused: bool) -> bool:
        """Count one attack on `suite`; returns `refused`, for the caller's assert."""
        self.add(suite, attempts=1, refused=int(refused))
        return refused

    def check(self, suite: str, *, held: bool) -> bool:
        """Count one guarantee checked under a fault; returns `held`, for the caller's assert."""
        self.add(suite, checks=1, held=int(held))
        return held

    def lines(self) -> list[str]:
        return [
            f"{suite}: " + ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
            for suite, counts in sorted(self.suites.items())
        ]

    def write(self, root: Path) -> Path:
        path = root / FIGURES_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {suite: dict(counts) for suite, counts in self.suites.items()}
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return path
