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


def _figure(width: float = 8.0, height: float = 4.5):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"axes.prop_cycle": matplotlib.cycler(color=PALETTE),
                         "axes.spines.top": False, "axes.spines.right": False,
                         "font.size": 9, "axes.titlesize": 10})
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
