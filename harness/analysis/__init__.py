"""Analyses of a stored run: throttling, energy (more to come: statistics, roofline)."""
