"""Bad input found after the run row exists (e.g. by `runner.invocations` once the files are on
the device) leaves the run `failed` (`bad_input`) and still exits 2 with a one-line error."""

from __future__ import annotations

import json

from click.testing import CliRunner

from conftest import bench_json
from harness.cli import main
from harness.job import BadInput
from harness.runners.llama_cpp import LlamaCpp


def test_bad_input_after_the_run_row_fails_the_run_and_exits_2(registered, tiny_model, env,
                                                               monkeypatch):
    real = LlamaCpp.invocations
    calls = []

    def second_call_refuses(self, device, job, binary, model, **kw):
        calls.append(binary)
        if len(calls) == 2:  # resolve() on the host passed; this is execute() after the push
            raise BadInput(f"--param p: refused for {binary.rsplit('/', 1)[-1]}")
        return real(self, device, job, binary, model, **kw)

    monkeypatch.setattr(LlamaCpp, "invocations", second_call_refuses)
    res = CliRunner().invoke(main, ["run", "--device", "local", "--runner", "llama.cpp",
                                    "--model", str(tiny_model), "--param", "p=8",
                                    "--param", "n=4", "--repetitions", "1", "--json"])
    assert res.exit_code == 2, res.output
    assert res.stderr.strip() == "error: --param p: refused for llama-bench"
    assert res.stdout == "" and len(calls) == 2
    (run,) = bench_json("runs")["runs"]
    shown = bench_json("show", str(run["id"]))
    assert shown["status"] == "failed" and shown["reason"] == "bad_input"
    assert shown["error"] == "--param p: refused for llama-bench"
    assert [p["phase"] for p in shown["phases"]] == ["push"] and shown["results"] == []
    json.dumps(shown)  # the stored run is plain JSON


def test_a_crash_after_the_run_row_is_not_recorded_as_ok(registered, tiny_model, env,
                                                         monkeypatch):
    def broken(self, stdout, stderr=""):
        raise KeyError("tg")  # a parser bug, not a ParseError

    monkeypatch.setattr(LlamaCpp, "parse", broken)
    res = CliRunner().invoke(main, ["run", "--device", "local", "--runner", "llama.cpp",
                                    "--model", str(tiny_model), "--param", "p=8",
                                    "--param", "n=4", "--repetitions", "1", "--json"])
    assert isinstance(res.exception, KeyError)
    (run,) = bench_json("runs")["runs"]
    shown = bench_json("show", str(run["id"]))
    assert shown["status"] == "failed" and shown["reason"] == "internal_error"
    assert shown["error"] == "KeyError: 'tg'"
