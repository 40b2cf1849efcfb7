"""The drum evaluation's figures: F-measure of kick, snare and hi-hat per held-out set and method, and where a
method's false onsets fall."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file backend)
import numpy as np  # noqa: E402

from bridge.drum_vocabulary import DRUM_CLASSES, MAIN_CLASSES  # noqa: E402

FIGURE_NAME = "drums_evaluation.png"
FALSE_ONSETS_FIGURE_NAME = "drums_false_onsets.png"


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


def false_onset_rates(report: dict, method: str) -> tuple[np.ndarray, np.ndarray]:
    """Over the sets of ``report`` that score ``method``, the onsets it puts where no stroke of their class is (its
    ``false_alarms`` and ``unscored_onsets``): per found class (rows, ``DRUM_CLASSES``), their number, and how
    many of them fall within the window of a stroke of each annotated class (columns), per stroke of that class
    in the sets: how often a stroke of the column's class is also taken for the row's."""
    names = [drum.name for drum in DRUM_CLASSES]
    counts, near, strokes = np.zeros(len(names)), np.zeros((len(names), len(names))), np.zeros(len(names))
    for entry in report.values():
        summary = entry["methods"].get(method)
        if summary is None:
            continue
        strokes += [entry.get("strokes", {}).get(name, 0) for name in names]
        for key in ("false_alarms", "unscored_onsets"):
            for found, groups in summary.get(key, {}).items():
                row = names.index(found)
                for group, count in groups.items():
                    counts[row] += count
                    for stroke in group.split("+"):
                        if stroke != "none":
                            near[row, names.index(stroke)] += count
    return counts, near / np.maximum(strokes, 1)[None, :]


def false_onset_figure(report: dict, path: Path, method: str = "model") -> Path:
    """A heat map of ``false_onset_rates``: how often a stroke of each class is also taken for another."""
    counts, rates = false_onset_rates(report, method)
    names = [drum.name for drum in DRUM_CLASSES]
    figure, axes = plt.subplots(figsize=(7.0, 4.2))
    top = max(0.2, float(rates.max()))
    image = axes.imshow(rates, cmap="Reds", vmin=0, vmax=top)
    for (row, column), rate in np.ndenumerate(rates):
        axes.text(column, row, f"{rate:.3f}", ha="center", va="center", fontsize=8,
                  color="white" if rate > 0.6 * top else "black")
    axes.set_xticks(range(len(names)), names)
    axes.set_yticks(range(len(names)), [f"{name} ({int(n)})" for name, n in zip(names, counts)])
    axes.set_xlabel("annotated stroke of")
    axes.set_ylabel("false onsets of (how many in all)")
    figure.colorbar(image, ax=axes, fraction=0.04, label="false onsets within 50 ms, per stroke")
    axes.set_title(f"What {method} also names at a stroke, over {len(report)} sets", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
