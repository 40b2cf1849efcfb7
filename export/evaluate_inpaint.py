"""``python -m export evaluate inpaint``: LatentRNN against the baselines on held-out tunes.

Fixed-seed windows: gaps of 2-4 bars with 2-6 bars of past and future
context. For each method, over the gap's tokens:

- ``nll``, ``accuracy``: teacher-forced token NLL (nats) and accuracy;
- ``generated_accuracy``: tokens of the greedy inpainting that equal the truth;
- ``pitch_class_overlap``, ``rhythm_overlap``: overlap (sum of minima) of the
  pitch-class and onset-position histograms of inpainted and true bars.

Repeating the last context bar has no probabilities: its NLL is null and its
accuracy is that of the copied tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from bridge.score import N_PITCHES, PITCH_LOW, VOCAB_SIZE
from export.models.attributes import ATTRIBUTES, bar_attributes
from export.models.inpainting import AnticipationRNN, ArnnSize, LatentRNN, LatentRnnSize
from export.train_inpaint import arnn_inputs, encode_bars, load_vae

METHODS = ("latent_rnn", "arnn", "interpolation", "repeat_last_bar")


@dataclass(frozen=True)
class Window:
    tokens: np.ndarray  # (past + gap + future, 24)
    past: int
    gap: int


def evaluation_windows(tunes: list[np.ndarray], count: int = 400, seed: int = 1234) -> list[Window]:
    rng = np.random.default_rng(seed)
    windows = []
    while len(windows) < count:
        past, gap, future = int(rng.integers(2, 7)), int(rng.integers(2, 5)), int(rng.integers(2, 7))
        span = past + gap + future
        candidates = [t for t in tunes if len(t) >= span]
        if not candidates:
            continue
        tune = candidates[int(rng.integers(0, len(candidates)))]
        start = int(rng.integers(0, len(tune) - span + 1))
        windows.append(Window(tune[start : start + span].astype(np.int64), past, gap))
    return windows


def _histogram_overlap(a: np.ndarray, b: np.ndarray) -> float:
    if a.sum() == 0 or b.sum() == 0:
        return float(a.sum() == b.sum())
    return float(np.minimum(a / a.sum(), b / b.sum()).sum())


def _pitch_classes(bars: np.ndarray) -> np.ndarray:
    onsets = bars[bars < N_PITCHES]
    return np.bincount((onsets + PITCH_LOW) % 12, minlength=12)


def _onset_positions(bars: np.ndarray) -> np.ndarray:
    return (bars < N_PITCHES).sum(axis=0)


class Inpainters:
    """The four methods, each mapping a window to (logits or None, generated gap tokens)."""

    def __init__(self, runs: Path) -> None:
        self.vae = load_vae(runs / "measure_vae.pt")
        latent = self.vae.size.latent
        checkpoint = torch.load(runs / "latent_rnn.pt", map_location="cpu", weights_only=False)
        self.latent_rnn = LatentRNN(latent, LatentRnnSize(**checkpoint["size"]))
        self.latent_rnn.load_state_dict(checkpoint["best_weights"])
        self.latent_rnn.eval()
        self.arnn = None  # the baseline is trained once; runs of other sizes go without it
        if (runs / "arnn.pt").exists():
            checkpoint = torch.load(runs / "arnn.pt", map_location="cpu", weights_only=False)
            self.arnn = AnticipationRNN(ArnnSize(**checkpoint["size"]))
            self.arnn.load_state_dict(checkpoint["best_weights"])
            self.arnn.eval()

    @torch.no_grad()
    def run(self, method: str, window: Window) -> tuple[torch.Tensor | None, np.ndarray]:
        tokens = torch.from_numpy(window.tokens).unsqueeze(0)
        past, gap = window.past, window.gap
        truth = tokens[0, past : past + gap]
        if method == "repeat_last_bar":
            return None, np.repeat(window.tokens[past - 1 : past], gap, axis=0)
        if method == "arnn":
            flat, previous, constraints, in_gap = arnn_inputs(tokens, past, gap)
            logits = self.arnn(previous, constraints)[in_gap].reshape(gap, 24, VOCAB_SIZE)
            generated = self.arnn.generate(flat, past * 24, gap * 24)[0, past * 24 : (past + gap) * 24]
            return logits, generated.reshape(gap, 24).numpy()
        latents = encode_bars(self.vae, tokens)
        if method == "latent_rnn":
            z = self.latent_rnn(latents[:, :past], latents[:, past + gap :], gap)[0]
        else:  # linear interpolation between the last past and the first future bar
            alphas = torch.arange(1, gap + 1, dtype=torch.float32).unsqueeze(1) / (gap + 1)
            z = (1 - alphas) * latents[0, past - 1] + alphas * latents[0, past + gap]
        logits, _ = self.vae.decode(z, target=truth)
        _, generated = self.vae.decode(z)
        return logits, generated.numpy()


def evaluate(runs: Path, tunes: list[np.ndarray], count: int = 400, seed: int = 1234) -> dict:
    """Scores of every method on ``count`` windows of ``tunes``, and the attribute correlations."""
    inpainters = Inpainters(runs)
    windows = evaluation_windows(tunes, count, seed)
    results = {}
    for method in [m for m in METHODS if m != "arnn" or inpainters.arnn is not None]:
        nll, correct, generated_correct, total = 0.0, 0, 0, 0
        pitch_overlap, rhythm_overlap = [], []
        for window in windows:
            logits, generated = inpainters.run(method, window)
            truth = window.tokens[window.past : window.past + window.gap]
            if logits is not None:
                target = torch.from_numpy(truth).reshape(-1)
                flat_logits = logits.reshape(-1, VOCAB_SIZE)
                nll += nn.functional.cross_entropy(flat_logits, target, reduction="sum").item()
                correct += int((flat_logits.argmax(-1) == target).sum())
            else:
                correct += int((generated == truth).sum())
            generated_correct += int((generated == truth).sum())
            total += truth.size
            pitch_overlap.append(_histogram_overlap(_pitch_classes(generated), _pitch_classes(truth)))
            rhythm_overlap.append(_histogram_overlap(_onset_positions(generated), _onset_positions(truth)))
        results[method] = {
            "nll": None if method == "repeat_last_bar" else round(nll / total, 4),
            "accuracy": round(correct / total, 4),
            "generated_accuracy": round(generated_correct / total, 4),
            "pitch_class_overlap": round(float(np.mean(pitch_overlap)), 4),
            "rhythm_overlap": round(float(np.mean(rhythm_overlap)), 4),
        }
    return {"windows": len(windows), "tokens": total, "seed": seed, "methods": results,
            "copy_by_distance": copy_by_distance(windows),
            "attribute_correlation": attribute_correlations(inpainters, tunes)}


def copy_by_distance(windows: list[Window]) -> dict[str, dict[str, float]]:
    """How well copying a context bar predicts a gap bar, by their distance in bars (negative: the past).

    For each distance, the token accuracy of the copy over the gap bars that
    have a context bar at that distance, and how many there were.
    """
    scores: dict[int, list[float]] = {}
    for window in windows:
        context = [*range(window.past), *range(window.past + window.gap, len(window.tokens))]
        for bar in range(window.past, window.past + window.gap):
            for source in context:
                scores.setdefault(source - bar, []).append(float((window.tokens[source] == window.tokens[bar]).mean()))
    return {f"{d:+d}": {"accuracy": round(float(np.mean(v)), 4), "bars": len(v)} for d, v in sorted(scores.items())}


@torch.no_grad()
def attribute_correlations(inpainters: Inpainters, tunes: list[np.ndarray]) -> dict:
    """Pearson correlation between each regularised latent dimension and its attribute, on held-out bars."""
    bars = np.concatenate(tunes)
    bars = bars[(bars < N_PITCHES).any(axis=1)]  # bars with at least one note
    mean, _ = inpainters.vae.encode(torch.from_numpy(bars.astype(np.int64)))
    attributes = bar_attributes(bars)
    out = {}
    for i, name in enumerate(ATTRIBUTES):
        correlations = [abs(np.corrcoef(mean[:, d].numpy(), attributes[:, i])[0, 1]) for d in range(mean.shape[1])]
        out[name] = {"dimension": i, "pearson": round(float(np.corrcoef(mean[:, i].numpy(), attributes[:, i])[0, 1]), 4),
                     "best_other_dimension_abs": round(float(max(c for d, c in enumerate(correlations) if d != i)), 4)}
    out["bars"] = int(len(bars))
    return out


def markdown_table(report: dict) -> str:
    lines = ["| method | token NLL | token accuracy | generated accuracy | pitch-class overlap | rhythm overlap |",
             "|---|---|---|---|---|---|"]
    for method, m in report["methods"].items():
        nll = "-" if m["nll"] is None else f"{m['nll']:.3f}"
        lines.append(f"| {method} | {nll} | {m['accuracy']:.3f} | {m['generated_accuracy']:.3f} | "
                     f"{m['pitch_class_overlap']:.3f} | {m['rhythm_overlap']:.3f} |")
    return "\n".join(lines)
