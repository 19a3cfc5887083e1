"""Analysis of stored measurements: statistics, regression verdicts, change points."""
