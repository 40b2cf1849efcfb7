"""``python -m export tune instruments``: a threshold per class for the instrument activity's on/off flags.

One threshold of 0.5 for every class suits few of them: the model is less sure of a piano than of drums. Each
class gets a threshold on its 1-s activity with the best F1 on the validation mixes (the top of the range
within 0.01 of the best), found with the exported ONNX graph (what the daemon runs) and written into the
manifest entry, where the live engine reads it as its hysteresis on-threshold. The held-out test mixes then
report the F1 of the flags at 0.5 and at the tuned thresholds, side by side; they choose nothing. The report
also gives the graph's macro AUC and, where the build kept the validation songs' stems, the trio check of
``evaluate instruments`` on them: the validation figures that choose between graphs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from bridge.models import load_manifest_entry
from export.evaluate_instruments import graph_probabilities, held_out_trios, ranking_scores, read_tracks, trios_report
from export.onnx_inpaint import update_manifest
from export.train_instruments import instances, load_split

GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)  # the thresholds tried
F1_TOLERANCE = 0.01
VALID_STEMS = "stems_valid.npz"  # the validation songs' stems, for the trio check


def best_f1_thresholds(truth: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Per class, the highest threshold (of 0.05, 0.06, ..., 0.95) whose F1 is within ``F1_TOLERANCE`` of the best.

    F1 is often flat over a range of thresholds; the top of that range costs nothing on validation and
    gives fewer false alarms, which a visual shows at once. A class that never or always occurs keeps 0.5.
    """
    thresholds = np.full(truth.shape[1], 0.5)
    for c in range(truth.shape[1]):
        if 0 < truth[:, c].sum() < len(truth):
            f1 = np.array([f1_score(truth[:, c], probabilities[:, c] >= t) for t in GRID])
            thresholds[c] = GRID[f1 >= f1.max() - F1_TOLERANCE].max()
    return thresholds


def f1_per_class(truth: np.ndarray, probabilities: np.ndarray, thresholds: np.ndarray | float,
                 classes: list[str]) -> dict[str, float]:
    """F1 of the flags ``probabilities >= thresholds``, per class and their mean (``macro``)."""
    flags = probabilities >= np.broadcast_to(thresholds, (probabilities.shape[1],))
    scores = {name: round(float(f1_score(truth[:, c], flags[:, c], zero_division=0.0)), 4)
              for c, name in enumerate(classes)}
    return {**scores, "macro": round(float(np.mean(list(scores.values()))), 4)}


def tune(models: Path, data: Path, test_folders: list[Path]) -> dict:
    """Tune on ``data``'s validation split, write the thresholds into ``models``' manifest, score the test folders."""
    entry = load_manifest_entry("instruments", models)
    model_path, classes = models / entry["files"]["activity"], list(entry["classes"])
    windows, labels = instances(*load_split(data, "valid"))
    truth = labels >= 0.5
    graph = graph_probabilities(model_path)
    probabilities = graph(windows)
    thresholds = best_f1_thresholds(truth, probabilities)
    report = {"data": str(data), "valid_windows": int(len(windows)), "networks": entry.get("networks", []),
              "cnn_widths": entry.get("cnn_widths", {}),
              "valid_auc_macro": ranking_scores(truth, probabilities)["auc_macro"],
              "thresholds": dict(zip(classes, thresholds.tolist())),
              "valid_f1": {"at_0.5": f1_per_class(truth, probabilities, 0.5, classes),
                           "tuned": f1_per_class(truth, probabilities, thresholds, classes)}}
    if (data / VALID_STEMS).exists():  # the trio check of `evaluate instruments`, on the validation songs
        report["valid_trios"] = trios_report(graph, held_out_trios(data / VALID_STEMS))
    tracks = read_tracks(test_folders)
    if tracks:
        test_truth = np.concatenate([t[1] for t in tracks]) >= 0.5
        test_probabilities = graph(np.concatenate([t[0] for t in tracks]))
        report["test_windows"] = int(len(test_truth))
        report["test_f1"] = {"at_0.5": f1_per_class(test_truth, test_probabilities, 0.5, classes),
                             "tuned": f1_per_class(test_truth, test_probabilities, thresholds, classes)}
    update_manifest(models / "manifest.json", {**entry, "thresholds": thresholds.tolist(),
                                               "thresholds_valid_f1": report["valid_f1"]["tuned"]["macro"]})
    return report
