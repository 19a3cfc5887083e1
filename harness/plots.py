"""matplotlib figures with labelled axes and units."""

from __future__ import annotations

from pathlib import Path


def bar_chart(df, metric: str, output: Path) -> None:
    """Grouped bars: one group per test, one bar per run (labelled by model and quant)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = df.assign(label=df.apply(lambda r: f"#{r.run_id} {r.model} ({r.quantization or '?'})",
                                  axis=1))
    table = df.pivot_table(index="test", columns="label", values="value", aggfunc="mean")
    ax = table.plot.bar(figsize=(8, 4.5), rot=0)
    ax.set_ylabel(metric.replace("_per_s", " / s").replace("_", " "))
    ax.set_xlabel("test")
    ax.set_title(f"{metric} by test")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    fig = ax.get_figure()
    fig.tight_layout()
    fig.savefig(output, dpi=120)
    plt.close(fig)


# --------------------------------------------------------------------------- suite figures
# One style for every figure: same size, palette, grid and label units, so reports read alike.

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf"]
UNITS = {"tokens_per_s": "tokens/s", "prefill_tokens_per_s": "tokens/s",
         "decode_tokens_per_s": "tokens/s", "bandwidth_gbps": "GB/s", "avg_power_mw": "mW",
         "energy_mj_per_token": "mJ/token", "energy_mj_per_inference": "mJ/inference",
         "peak_memory_mb": "MB"}


def metric_label(metric: str) -> str:
    """'latency_avg_ms' -> 'latency avg (ms)', 'decode_tokens_per_s' -> 'decode (tokens/s)'."""
    if metric == "tokens_per_s":
        return "tokens/s"
    if metric in UNITS:
        name = metric.replace("_tokens_per_s", "")
        for unit in ("_mj", "_mw", "_mb", "_gbps"):
            name = name.replace(unit, "")
        return f"{name.replace('_per_', ' per ').replace('_', ' ')} ({UNITS[metric]})"
    for suffix in ("_ms", "_mw", "_mj", "_mb", "_c", "_mhz", "_pct"):
        if metric.endswith(suffix):
            return f"{metric[:-len(suffix)].replace('_', ' ')} ({suffix[1:]})"
    return metric.replace("_", " ")


def _style():
    """pyplot with the shared style applied."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"axes.prop_cycle": matplotlib.cycler(color=PALETTE),
                         "axes.spines.top": False, "axes.spines.right": False,
                         "font.size": 9, "axes.titlesize": 10})
    return plt


def _figure(width: float = 8.0, height: float = 4.5):
    plt = _style()
    fig, ax = plt.subplots(figsize=(width, height))
    ax.grid(axis="y", alpha=0.3)
    return fig, ax


def _save(fig, output) -> None:
    """Write PNG to a path or a binary file object (reports embed it as base64)."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(output, dpi=110, format="png")
    plt.close(fig)


def grouped_bars(groups: list[str], series: dict[str, list[tuple[float, float] | None]],
                 metric: str, title: str, output) -> None:
    """Bars per group (e.g. test x model) and series (e.g. device/runner); each value is
    (median, error) where error is the half-spread of the repetitions; None leaves a gap."""
    fig, ax = _figure(max(6.0, 1.2 * len(groups) + 3), 4.5)
    n = max(1, len(series))
    width = 0.8 / n
    for i, (name, vals) in enumerate(series.items()):
        xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
        ys = [v[0] if v else 0.0 for v in vals]
        errs = [v[1] if v else 0.0 for v in vals]
        ax.bar(xs, ys, width, yerr=errs, capsize=3, label=name)
    ax.set_xticks(range(len(groups)), groups, rotation=20 if len(groups) > 4 else 0,
                  ha="right" if len(groups) > 4 else "center")
    ax.set_ylabel(metric_label(metric))
    ax.set_title(title)
    ax.legend(fontsize=7)
    _save(fig, output)


def roofline(points: list[dict], bandwidth_gbps: dict[str, float], output) -> None:
    """Decode tokens/s against model size, one marker per result, and per device the
    memory-bound ceiling tokens/s = bandwidth / model bytes (decode reads every weight once per
    token). `points`: {device, label, size_bytes, tokens_per_s}."""
    import numpy as np

    fig, ax = _figure()
    devices = sorted({p["device"] for p in points} | set(bandwidth_gbps))
    sizes = [p["size_bytes"] for p in points] or [1e6, 1e9]
    xs = np.geomspace(min(sizes) / 2, max(sizes) * 2, 50)
    for i, dev in enumerate(devices):
        color = PALETTE[i % len(PALETTE)]
        mine = [p for p in points if p["device"] == dev]
        if mine:
            ax.scatter([p["size_bytes"] / 1e6 for p in mine], [p["tokens_per_s"] for p in mine],
                       color=color, label=f"{dev} measured", zorder=3)
            for p in mine:
                ax.annotate(p["label"], (p["size_bytes"] / 1e6, p["tokens_per_s"]),
                            fontsize=7, xytext=(3, 3), textcoords="offset points")
        if dev in bandwidth_gbps:
            ax.plot(xs / 1e6, bandwidth_gbps[dev] * 1e9 / xs, color=color, linestyle="--",
                    label=f"{dev} roofline {bandwidth_gbps[dev]:g} GB/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model size (MB)")
    ax.set_ylabel("decode (tokens/s)")
    ax.set_title("decode tokens/s vs model size" + (
        ", with memory-bandwidth rooflines" if bandwidth_gbps
        else " (no device has memory_bandwidth_gbps configured: no roofline)"))
    ax.legend(fontsize=7)
    _save(fig, output)


def distributions(samples: dict[str, list[float]], metric: str, title: str, output) -> None:
    """Per-repetition distributions (box plot with the points on top), one per label."""
    fig, ax = _figure(max(6.0, 0.9 * len(samples) + 3), 4.5)
    labels = list(samples)
    ax.boxplot([samples[k] for k in labels], showfliers=False)
    for i, k in enumerate(labels, start=1):
        ax.scatter([i] * len(samples[k]), samples[k], s=8, alpha=0.6, color=PALETTE[0],
                   zorder=3)
    ax.set_xticks(range(1, len(labels) + 1), labels, rotation=20 if len(labels) > 4 else 0,
                  ha="right" if len(labels) > 4 else "center")
    ax.set_ylabel(metric_label(metric))
    ax.set_title(title)
    _save(fig, output)


def history(labels: list[str], values: list[float], errors: list[float], change_idx: list[int],
            metric: str, title: str, output) -> None:
    """A metric across suite runs with its change points marked (a vertical line at the first
    suite run of each new level)."""
    fig, ax = _figure()
    xs = list(range(len(values)))
    ax.errorbar(xs, values, yerr=errors, marker="o", capsize=3, color=PALETTE[0])
    for k, i in enumerate(change_idx):
        ax.axvline(i - 0.5, color=PALETTE[3], linestyle="--",
                   label="change point" if k == 0 else None)
    ax.set_xticks(xs, labels, rotation=30 if len(labels) > 8 else 0)
    ax.set_xlabel("suite run")
    ax.set_ylabel(metric_label(metric))
    ax.set_title(title)
    if change_idx:
        ax.legend(fontsize=7)
    _save(fig, output)


def energy_by_quant(rows: list[dict], output) -> bool:
    """Energy per token by quantization, when any result measured energy; False otherwise
    (nothing drawn). rows: {quantization, device, energy_mj_per_token}."""
    rows = [r for r in rows if r.get("energy_mj_per_token") is not None]
    if not rows:
        return False
    quants = sorted({r["quantization"] or "?" for r in rows})
    devices = sorted({r["device"] for r in rows})
    series = {d: [next(((r["energy_mj_per_token"], 0.0) for r in rows
                        if r["device"] == d and (r["quantization"] or "?") == q), None)
                  for q in quants] for d in devices}
    grouped_bars(quants, series, "energy_mj_per_token", "energy per token by quantization",
                 output)
    return True


# --------------------------------------------------------------------------- telemetry timeline
# One implementation for `bench trace RUN --format png` and the suite report's HTML.

PERF_METRICS = ("tokens_per_s", "latency_avg_ms")
_STARTS = {"freq_cap", "rpi_throttled"}


def throttle_spans(events: list[dict], end_s: float) -> list[tuple[float, float]]:
    """Intervals (seconds since the first measured phase) when the device throttled, from the
    run's events: a frequency cap until that channel's release, a rising thermal status until
    it is back to none, Raspberry Pi capping bits to the end; a run flagged `throttled` only by
    falling performance is shaded from its `throttled` event on."""
    open_at: dict[str, float] = {}
    spans: list[tuple[float, float]] = []
    for e in sorted(events, key=lambda e: e["t_s"]):
        key, kind, t = e.get("channel", e["kind"]), e["kind"], float(e["t_s"])
        if (kind in _STARTS and e.get("capped", True)) or (
                kind == "thermal_status" and e.get("rising")):
            open_at.setdefault(key, t)
        elif key in open_at and (kind == "freq_cap_released" or (
                kind == "thermal_status" and e.get("detail", "").endswith("-> none"))):
            spans.append((open_at.pop(key), t))
    spans += [(t, end_s) for t in open_at.values()]
    if not spans:
        spans = [(float(e["t_s"]), end_s) for e in events if e["kind"] == "throttled"][:1]
    return sorted((a, max(a, b)) for a, b in spans)


def _perf_points(results: list[dict], phases: list[dict], origin: float
                 ) -> dict[str, list[tuple[float, float]]]:
    mid = {p["phase"]: (p["start"] + p["end"]) / 2 - origin for p in phases if "end" in p}
    curves: dict[str, list[tuple[float, float]]] = {}
    for r in results:
        metric = next((m for m in PERF_METRICS if m in r["metrics"]), None)
        phase = r["case"].get("phase", "")
        if metric and phase in mid:
            label = f"{phase.split('#')[0]} {r['case'].get('test', '')} {metric}".strip()
            curves.setdefault(label, []).append((mid[phase], r["metrics"][metric]))
    return {k: sorted(v) for k, v in curves.items()}


def telemetry_timeline(trace, phases: list[dict], events: list[dict], results: list[dict],
                       origin: float, title: str, output) -> bool:
    """Temperature, frequency (current solid, cap dashed) and power over the device-clock
    time of one run, with throttling shaded on every panel and trip crossings marked; the
    per-phase throughput on top when the run has results (a --sustained run draws its curve).
    False (nothing drawn) when the trace has none of those channels."""
    panels = {"temperature (C)": [s for s in trace.series.values() if s.kind == "thermal"],
              "frequency (MHz)": [s for s in trace.series.values() if s.kind in (
                  "cpufreq", "devfreq", "cpufreq_max", "devfreq_max")],
              "power (mW)": [s for s in trace.series.values() if s.unit == "mW"
                             and s.kind in ("battery", "rail", "meter", "odpm")]}
    panels = {k: v for k, v in panels.items() if v}
    if not panels:
        return False
    curves = _perf_points(results, phases, origin)
    rows = (["performance"] if curves else []) + list(panels)
    plt = _style()
    fig, axes = plt.subplots(len(rows), 1, sharex=True, figsize=(9, 2.3 * len(rows) + 0.8),
                             squeeze=False)
    axes = [a[0] for a in axes]
    end = max(float(s.t[-1]) for v in panels.values() for s in v) - origin
    spans = throttle_spans(events, end)
    for ax, row in zip(axes, rows):
        if row == "performance":
            for label, pts in curves.items():
                ax.plot([x for x, _ in pts], [y for _, y in pts], "o-", label=label)
            ax.set_ylabel("performance")
        else:
            for s in sorted(panels[row], key=lambda s: s.name):
                style = "--" if s.kind.endswith("_max") else "-"
                ax.plot(s.t - origin, s.v, style, label=s.name, linewidth=1.2)
            ax.set_ylabel(row)
        for k, (a, b) in enumerate(spans):
            ax.axvspan(a, b, color=PALETTE[3], alpha=0.12,
                       label="throttled" if k == 0 else None)
        for e in events:
            if e["kind"] == "trip_crossed":
                ax.axvline(e["t_s"], color=PALETTE[3], linestyle=":", linewidth=1)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="upper left", ncol=2)
    for p in phases:
        if "end" in p and p.get("phase") not in ("push",):
            axes[0].annotate(p["phase"], (p["start"] - origin, 1.0),
                             xycoords=("data", "axes fraction"), fontsize=7, color="#555",
                             va="bottom")
    axes[-1].set_xlabel("seconds since the first measured phase (device clock)")
    fig.suptitle(title)
    _save(fig, output)
    return True
