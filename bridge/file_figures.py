"""Pictures of what the file commands found (``--plot OUT.png``): an audio file's drum strokes with their
velocities, and its instrument activity over time with the clip tags.

matplotlib is not a runtime dependency of the daemon; these need it (``pip install matplotlib``, or the
package's ``train`` extra) and say so when it is missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def drum_onsets_figure(result: dict, classes: list[str], path: Path, title: str) -> Path:
    """Every stroke of ``bridge transcribe-drums``' ``result`` on its drum's row at its time, its size and colour
    its velocity; ``classes``: the rows, bottom to top. Returns ``path``."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(max(6.0, min(24.0, result["duration_s"] / 2)), 0.5 * len(classes) + 1.5))
    onsets = result["onsets"]
    rows = [classes.index(o["drum"]) for o in onsets]
    velocities = np.array([o["velocity"] for o in onsets], float)
    points = axes.scatter([o["time"] for o in onsets], rows, c=velocities, s=8 + velocities / 2, cmap="viridis",
                          vmin=1, vmax=127)
    figure.colorbar(points, ax=axes, label="MIDI velocity")
    axes.set(yticks=range(len(classes)), yticklabels=classes, xlim=(0, result["duration_s"]), ylim=(-0.5, len(classes) - 0.5),
             xlabel="time (s)", title=title)
    axes.grid(axis="x", alpha=0.3)
    return _save(plt, figure, path)


def instrument_activity_figure(result: dict, path: Path, title: str) -> Path:
    """``bridge detect-instruments``' ``result``: each class's smoothed activity over time as a heat map, the
    updates at which it was on outlined, and beside it the clip tags. Returns ``path``."""
    plt = _pyplot()
    classes = result["classes"]
    activity = np.array(result["activity"], float).T.reshape(len(classes), -1)  # (classes, updates)
    on = np.array([[name in active for active in result["active"]] for name in classes], float).reshape(activity.shape)
    times = np.array(result["time_s"], float)
    end = times[-1] + result["hop_s"] if len(times) else 1.0
    figure, (axes, tags) = plt.subplots(1, 2, figsize=(12, 0.3 * len(classes) + 2), sharey=True,
                                        gridspec_kw={"width_ratios": [6, 1]})
    image = axes.imshow(activity, aspect="auto", origin="lower", cmap="magma", vmin=0, vmax=1,
                        extent=(times[0] - result["hop_s"] if len(times) else 0.0, end, -0.5, len(classes) - 0.5))
    if on.any() and activity.shape[1] > 1:
        axes.contour(times, np.arange(len(classes)), on, levels=[0.5], colors="white", linewidths=0.8)
    axes.set(yticks=range(len(classes)), yticklabels=classes, xlabel="time (s)",
             title=f"{title}: activity (white: on)")
    tags.barh(range(len(classes)), [result["clip"][name] for name in classes], color="tab:blue")
    tags.set(xlim=(0, 1), xlabel="clip tag", title="clip tags")
    figure.colorbar(image, ax=tags, label="activity")
    return _save(plt, figure, path)


def _save(plt, figure, path: Path) -> Path:
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
