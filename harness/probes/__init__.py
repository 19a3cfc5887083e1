"""Device probes: what a device says about itself, as pure parsers plus the commands that ask."""
