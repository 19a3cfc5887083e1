"""The Result row every runner parser returns (DESIGN.md "Runner")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    """One measured case: what was measured (`case`) and the numbers (`metrics`, units in names)."""

    case: dict[str, Any]
    metrics: dict[str, float]
    samples: dict[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"case": dict(self.case), "metrics": dict(self.metrics)}


class ParseError(ValueError):
    """The text is not output of the tool the parser reads."""
