"""Telemetry: the on-device sampler, channel discovery, traces, conditioning (DESIGN.md)."""
