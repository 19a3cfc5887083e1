"""Device probes: one round trip per device, pure parsers over the captured text."""
