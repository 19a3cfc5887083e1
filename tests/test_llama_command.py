import pytest

from harness.config import DeviceConfig
from harness.job import BadInput, Job
from harness.runners.llama_cpp import LlamaCpp


def argvs(**kw):
    job = Job(device="local", runner="llama.cpp", model="m.gguf", **kw)
    return [(i.phase, i.argv) for i in LlamaCpp().invocations(DeviceConfig(name="local"), job,
                                                               "/s/llama-bench", "/s/my m.gguf")]


def test_prefill_and_decode_are_separate_invocations():
    out = argvs(params={"p": "256", "n": "64", "t": "4", "ngl": "0"}, repetitions=3)
    assert out == [
        ("prefill", ["/s/llama-bench", "-m", "/s/my m.gguf", "-r", "3", "-o", "jsonl",
                     "-t", "4", "-ngl", "0", "-p", "256", "-n", "0"]),
        ("decode", ["/s/llama-bench", "-m", "/s/my m.gguf", "-r", "3", "-o", "jsonl",
                    "-t", "4", "-ngl", "0", "-p", "0", "-n", "64"]),
    ]


def test_warmup_zero_and_pg():
    out = argvs(params={"p": "0", "n": "0", "pg": "512,128"}, warmup=0)
    assert out == [("prefill+decode", ["/s/llama-bench", "-m", "/s/my m.gguf", "-r", "5", "-o",
                                       "jsonl", "--no-warmup", "-p", "0", "-n", "0",
                                       "-pg", "512,128"])]


def test_unknown_param_lists_known():
    with pytest.raises(BadInput, match=r"--param bogus: not a llama.cpp parameter \(known: .*ngl"):
        argvs(params={"bogus": "1"})
