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
