"""Model helpers: synthetic models for speed benchmarks."""

from harness.models.synth import QUANTS, SynthInfo, parse_params, synth_llama

__all__ = ["QUANTS", "SynthInfo", "parse_params", "synth_llama"]
