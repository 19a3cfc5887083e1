"""Analyses of stored measurements: statistics and regression verdicts, change points,
throttling, energy."""
