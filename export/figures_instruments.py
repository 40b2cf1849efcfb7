"""The instrument evaluation's figures: the confusion of errors and the attention over instances."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file backend)
import numpy as np  # noqa: E402

from bridge.instrument_vocabulary import INSTRUMENT_NAMES  # noqa: E402


def confusion_figure(matrix: np.ndarray, path: Path) -> Path:
    """Heat map: given a false positive of the row's class, how often each column's class was missed."""
    figure, axes = plt.subplots(figsize=(9, 8))
    image = axes.imshow(matrix, cmap="magma", vmin=0, vmax=max(0.01, float(matrix.max())))
    axes.set_xticks(range(len(INSTRUMENT_NAMES)), INSTRUMENT_NAMES, rotation=70, ha="right", fontsize=8)
    axes.set_yticks(range(len(INSTRUMENT_NAMES)), INSTRUMENT_NAMES, fontsize=8)
    axes.set_xlabel("false negative")
    axes.set_ylabel("false positive")
    axes.set_title("Missed classes given a false positive (1-s instances, CNN)")
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def attention_figure(attention: np.ndarray, labels: np.ndarray, path: Path, clips: int = 4) -> Path:
    """For a few test clips, the attention weights over the ten 1-s instances of each class present in the clip."""
    figure, grid = plt.subplots(clips, 1, figsize=(9, 2.2 * clips), squeeze=False)
    chosen = np.argsort(-labels.sum(axis=1))[:clips]
    for axes, clip in zip(grid[:, 0], chosen):
        for c in np.flatnonzero(labels[clip]):
            axes.plot(range(1, attention.shape[2] + 1), attention[clip, c], marker="o", label=INSTRUMENT_NAMES[c])
        axes.set_ylabel("weight")
        axes.set_xticks(range(1, attention.shape[2] + 1))
        axes.legend(fontsize=7, ncol=3, loc="upper right")
        axes.set_title(f"test clip {clip}", fontsize=9)
    grid[-1, 0].set_xlabel("instance (second of the 10-s clip)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
