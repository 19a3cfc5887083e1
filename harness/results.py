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
    # what the parser noticed but could still read around, e.g. output cut off mid-line
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"case": dict(self.case), "metrics": dict(self.metrics)}
        if self.warnings:
            out["warnings"] = list(self.warnings)
        return out


class ParseError(ValueError):
    """The text is not output of the tool the parser reads."""
