"""The drum evaluation's figure: F-measure of kick, snare and hi-hat per held-out set and method."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file backend)
import numpy as np  # noqa: E402

from bridge.drum_vocabulary import MAIN_CLASSES  # noqa: E402

FIGURE_NAME = "drums_evaluation.png"


def f_measure_figure(report: dict, path: Path) -> Path:
    """One panel per main class and one for their mean: for each set of ``report`` (``evaluate_drums.evaluate``),
    a bar per method, its onset F-measure (50 ms) averaged over the set's tracks."""
    sets = list(report)
    methods = list(dict.fromkeys(m for entry in report.values() for m in entry["methods"]))
    panels = [*MAIN_CLASSES, "mean (K, S, H)"]
    figure, grid = plt.subplots(len(panels), 1, figsize=(max(8.0, 1.5 * len(sets)), 2.4 * len(panels)), sharex=True)
    width = 0.8 / len(methods)
    for axes, panel in zip(grid, panels):
        for k, method in enumerate(methods):
            values = [_score(report[s]["methods"].get(method), panel) for s in sets]
            bars = axes.bar(np.arange(len(sets)) + (k - (len(methods) - 1) / 2) * width,
                            [np.nan if v is None else v for v in values], width, label=method)
            axes.bar_label(bars, labels=["" if v is None else f"{v:.2f}" for v in values], fontsize=6, padding=1)
        axes.set_ylim(0, 1.08)
        axes.set_ylabel(f"F, {panel}")
        axes.grid(axis="y", alpha=0.3)
    grid[0].legend(fontsize=8, ncol=len(methods), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    figure.suptitle("Onset F-measure (50 ms window), averaged over the tracks where the class occurs")
    grid[-1].set_xticks(range(len(sets)), sets, rotation=20, ha="right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _score(summary: dict | None, panel: str) -> float | None:
    """A method's F on a panel: a class's (None where the set lacks it) or the mean of the main classes."""
    if summary is None:
        return None
    if panel in MAIN_CLASSES:
        return summary["classes"].get(panel, {}).get("f")
    return summary["f_main"]
