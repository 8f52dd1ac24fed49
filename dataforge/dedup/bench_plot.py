"""The chart of a ``dedup bench`` result: time against names, dataforge's scores, F1 across thresholds.

matplotlib is imported only when a chart is drawn, with the Agg backend (files, no display).
"""
from __future__ import annotations

import numpy as np

from dataforge.dedup.bench import BenchResult

PLOT_FORMATS = ("png", "svg", "pdf")


def plot(result: BenchResult, out, fmt: str = "png", title: str = "") -> None:
    """Time against names (log-log) for both methods; dataforge's scores with the threshold; with a
    truth, F1 across thresholds with the best marked.  Written to the binary stream *out*."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    sweep = result.sweep
    with_f1 = sweep is not None and sweep.best is not None
    panels = 2 + with_f1 if sweep is not None else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.2 * panels, 4.4), squeeze=False)
    axes = axes[0]
    threshold = result.options.match.threshold

    ax = axes[0]
    sizes = [s.size for s in result.sizes]
    ax.plot(sizes, [s.dataforge_s for s in result.sizes], "o-", color="tab:blue",
            label="dataforge dedup match (measured)")
    for library, colour in zip(result.libraries, ("tab:orange", "tab:red", "tab:purple")):
        runs = [s.pairwise[library] for s in result.sizes]
        ax.plot(sizes, [r.estimate for r in runs], "o--", color=colour, markerfacecolor="white",
                label=f"{library} extractOne all-vs-all\n(extrapolated: time a query x names)")
        ax.plot(sizes, [r.seconds for r in runs], "s", color=colour, markersize=4,
                label=f"{library}: the {runs[-1].queries} timed queries (measured)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [f"{s:,}" for s in sizes])
    ax.minorticks_off()
    ax.set_xlabel("names")
    ax.set_ylabel("seconds")
    ax.set_title("time against number of names")
    last = result.sizes[-1]
    middle = (last.dataforge_s * last.pairwise["rapidfuzz"].estimate) ** 0.5  # halfway on the log axis
    ax.annotate(f"{last.speedup:,.0f}x faster ", (last.size, middle), ha="right", va="center", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")

    if sweep is not None:
        ax = axes[1]
        bins = np.linspace(sweep.run_threshold, 1.0, 41)
        if sweep.true_pair is not None:
            ax.hist(sweep.scores[~sweep.true_pair], bins=bins, color="tab:gray", alpha=0.6, label="other pairs")
            ax.hist(sweep.scores[sweep.true_pair], bins=bins, color="tab:green", histtype="step", linewidth=1.5,
                    label="true duplicates")
        else:
            ax.hist(sweep.scores, bins=bins, color="tab:blue", label="pairs")
        ax.axvline(threshold, color="black", linestyle="--", label=f"--threshold {threshold:g}")
        ax.set_yscale("log")
        ax.set_xlabel("cosine similarity")
        ax.set_ylabel("record pairs")
        ax.set_title(f"dataforge's scores, {sweep.names:,} names")
        ax.legend(fontsize=7)
    if with_f1:
        ax = axes[2]
        ts = [t for t, _, _ in sweep.thresholds]
        for measure, style in (("precision", ":"), ("recall", "-."), ("f1", "-")):
            ax.plot(ts, [getattr(q, measure) for _, _, q in sweep.thresholds], style, marker=".",
                    label="F1" if measure == "f1" else measure)
        best = sweep.best
        best_f1 = max(q.f1 for _, _, q in sweep.thresholds)
        ax.plot([best], [best_f1], "*", color="tab:red", markersize=14, label=f"best F1 {best_f1:.2f} at {best:g}")
        ax.axvline(threshold, color="black", linestyle="--", label=f"--threshold {threshold:g}")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("threshold")
        ax.set_title(f"dataforge pairs against the truth, {sweep.names:,} names")
        ax.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(out, format=fmt, dpi=100, metadata={"Software": None} if fmt == "png" else None)
    plt.close(fig)
