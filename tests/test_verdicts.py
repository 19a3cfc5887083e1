"""Verdict logic on constructed per-repetition samples; change points; case matching."""

import pytest

from harness.analysis import stats
from harness.analysis.verdict import (DIRECTION, LOWER_IS_BETTER, ThresholdTable, Thresholds,
                                      compare_samples, result_verdicts)
from harness.comparison import Side, compare_sides

# ten repetitions, CV ~0.8%: the spread llama-bench shows on a quiet host
BASE = [100.2, 99.1, 100.8, 99.6, 100.4, 98.9, 101.0, 100.1, 99.4, 100.5]


def scaled(xs, f):
    return [x * f for x in xs]


def test_clear_regression_of_tokens_per_s():
    v = compare_samples("tokens_per_s", BASE, scaled(BASE, 0.90))
    assert v.verdict == "regressed"
    assert v.ratio == pytest.approx(0.90)
    assert v.p_value < 0.001 and v.n_baseline == v.n_candidate == 10
    assert v.baseline == pytest.approx(100.15) and v.candidate == pytest.approx(90.135)
    lo, hi = v.ci
    assert lo <= 0.90 <= hi < 1


def test_latency_up_is_a_regression_and_down_an_improvement():
    assert DIRECTION["latency_avg_ms"] == LOWER_IS_BETTER
    assert compare_samples("latency_avg_ms", BASE, scaled(BASE, 1.10)).verdict == "regressed"
    assert compare_samples("latency_avg_ms", BASE, scaled(BASE, 0.85)).verdict == "improved"
    assert compare_samples("energy_mj_per_token", BASE, scaled(BASE, 1.2)).verdict == "regressed"


def test_clear_improvement_of_tokens_per_s():
    v = compare_samples("tokens_per_s", BASE, scaled(BASE, 1.08))
    assert v.verdict == "improved" and v.ratio == pytest.approx(1.08)


def test_a_a_is_unchanged():
    other = [99.8, 100.6, 99.3, 100.9, 100.0, 99.5, 100.3, 99.0, 100.7, 100.2]
    v = compare_samples("tokens_per_s", BASE, other)
    assert v.verdict == "unchanged" and v.p_value > 0.3 and v.note == ""


def test_significant_but_small_change_is_unchanged():
    tight = [100 + 0.01 * i for i in range(10)]
    v = compare_samples("tokens_per_s", tight, scaled(tight, 0.99))
    assert v.p_value < 0.001 and v.verdict == "unchanged"  # 1% < min_effect 3%


def test_noisy_side_is_noisy_with_a_suggestion_not_a_pass():
    noisy = [100, 112, 91, 104, 88, 109, 95, 116, 97, 86]  # CV 10.3% (mean 99.8, std 10.283)
    v = compare_samples("tokens_per_s", BASE, noisy)
    assert v.verdict == "noisy"
    assert stats.cv(noisy) == pytest.approx(0.10303, abs=1e-5)
    assert "candidate CV 10.3% > 5.0%: raise repetitions or cool down between runs" in v.note


def test_a_large_regression_under_noise_is_still_reported():
    noisy = [100, 112, 91, 104, 88, 109, 95, 116, 97, 86]
    v = compare_samples("tokens_per_s", noisy, scaled(noisy, 0.6))
    assert v.verdict == "regressed" and "CV" in v.note


def test_too_few_samples_cannot_pass():
    v = compare_samples("tokens_per_s", BASE[:3], BASE[3:6])
    assert v.verdict == "noisy" and v.p_value is None
    assert "3 baseline / 3 candidate samples cannot reach p < 0.01" in v.note
    assert stats.min_p_value(3, 3) == pytest.approx(0.1)


def test_per_metric_thresholds_apply():
    table = ThresholdTable(Thresholds(), {"tokens_per_s": {"min_effect": 0.15}})
    assert table.for_metric("tokens_per_s").min_effect == 0.15
    assert table.for_metric("latency_avg_ms").min_effect == 0.03
    base = {"case": {"test": "tg16"}, "metrics": {"tokens_per_s": 100.0},
            "samples": {"tokens_per_s": BASE}}
    cand = {"case": {"test": "tg16"}, "metrics": {"tokens_per_s": 90.0},
            "samples": {"tokens_per_s": scaled(BASE, 0.9)}}
    [v] = result_verdicts(base, cand, table)
    assert v.verdict == "unchanged"  # a 10% drop is inside this suite's 15% tolerance


def test_throttled_runs_are_flagged_in_the_verdict():
    v = compare_samples("tokens_per_s", BASE, scaled(BASE, 0.9), flags=["candidate:throttled"])
    assert v.verdict == "regressed" and v.flags == ["candidate:throttled"]
    assert "flagged: candidate:throttled" in v.note


def _run(key_params, results, status="ok", flags=()):
    return {"id": 1, "device": "local", "runner": "llama.cpp", "model": "m.gguf",
            "status": status, "flags": list(flags), "job": {"params": key_params},
            "results": results}


def _res(test, tps, samples):
    return {"case": {"test": test}, "metrics": {"tokens_per_s": tps,
                                                "decode_tokens_per_s": tps,
                                                "tokens_per_s_std": 1.0,
                                                "latency_avg_ms": 10.0,
                                                "bandwidth_gbps": 3.0},
            "samples": {"tokens_per_s": samples}}


def test_missing_cases_on_either_side_are_reported_not_crashed_on():
    a = Side("s1", {"local/llama.cpp/m/t=1": _run({}, [_res("tg16", 100, BASE),
                                                         _res("pp64", 500, scaled(BASE, 5))]),
                    "local/llama.cpp/m/t=2": _run({}, [_res("tg16", 150, scaled(BASE, 1.5))])},
             {"thresholds": {}})
    b = Side("s2", {"local/llama.cpp/m/t=1": _run({}, [_res("tg16", 90, scaled(BASE, 0.9))],
                                                  flags=["started_hot"]),
                    "local/llama.cpp/m/t=4": _run({}, [_res("tg16", 200, scaled(BASE, 2))])},
             {"thresholds": {}})
    out = compare_sides(a, b)
    # only tokens_per_s is compared: decode_ is its alias, bandwidth derived, _std dispersion,
    # latency_avg_ms a summary of the same repetitions
    [c] = out["comparisons"]
    assert (c["case"]["key"], c["case"]["test"], c["metric"], c["verdict"]) == \
        ("local/llama.cpp/m/t=1", "tg16", "tokens_per_s", "regressed")
    assert c["flags"] == ["candidate:started_hot"]
    missing = {(m["case"]["key"], m["case"]["test"], m["missing_in"]) for m in out["missing"]}
    assert missing == {("local/llama.cpp/m/t=4", "tg16", "baseline"),
                       ("local/llama.cpp/m/t=1", "pp64", "candidate"),
                       ("local/llama.cpp/m/t=2", "tg16", "candidate")}


def test_results_without_samples_are_compared_as_noisy():
    base = {"case": {"test": "x"}, "metrics": {"latency_avg_ms": 10.0}, "samples": {}}
    cand = {"case": {"test": "x"}, "metrics": {"latency_avg_ms": 20.0}, "samples": {}}
    [v] = result_verdicts(base, cand)
    assert v.verdict == "noisy" and v.ratio == 2.0 and "no per-repetition samples" in v.note


def test_change_points_find_the_first_run_of_a_step():
    series = [100.0, 101.0, 99.5, 100.4, 99.8, 91.0, 90.2, 90.8, 91.3]
    [cp] = stats.change_points(series)
    assert cp.index == 5
    assert cp.before == pytest.approx(100.14) and cp.after == pytest.approx(90.825)


def test_change_points_ignore_scatter_small_steps_and_a_single_outlier():
    assert stats.change_points([100, 101, 99, 100.5, 99.5, 100.2, 99.8]) == []
    assert stats.change_points([100, 100.2, 99.9, 98.3, 98.1, 98.2]) == []  # 2% < 5%
    assert stats.change_points([100, 100.5, 99.6, 100.2, 80.0]) == []        # one night


def test_two_steps_are_both_found():
    series = [100, 100.5, 99.6, 90, 90.4, 89.8, 110, 110.3, 109.9]
    assert [c.index for c in stats.change_points(series)] == [3, 6]
