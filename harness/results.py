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


def warning_events(rows: list[Result], t_s: float, phase: str | None = None) -> list[dict]:
    """Run events (`kind: parse_warning`) for the parser's warnings, once each: a cut-off output
    still yields rows, and `bench show` must say why they may be incomplete."""
    seen: list[str] = []
    for r in rows:
        seen += [w for w in r.warnings if w not in seen]
    where = f"{phase}: " if phase else ""
    return [{"t_s": round(t_s, 3), "kind": "parse_warning", "detail": where + w} for w in seen]


class ParseError(ValueError):
    """The text is not output of the tool the parser reads."""
