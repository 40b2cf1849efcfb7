"""PFNMF drum transcription: partially fixed NMF with adaptive-median peak picking (Wu & Lerch).

The spectrogram V (mel magnitudes, from the same front end as the model) is
factorised as ``W_D H_D + W_H H_H``: ``W_D`` holds one fixed template per drum
class, learned from the training kits' one-shots; ``W_H`` and all activations
are free, so harmonic accompaniment goes to ``W_H H_H`` instead of the drums.
Onsets are peaks of each drum's activation above a moving median.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import median_filter

from bridge.drum_vocabulary import DRUM_CLASSES
from bridge.features import DRUM_FEATURES, FeatureSpec, log_mel

EPS = 1e-9


def mel_magnitude(log_mel_frames: np.ndarray, spec: FeatureSpec = DRUM_FEATURES) -> np.ndarray:
    """Invert ``log_compress``: mel magnitudes (sqrt of power), shape (n_mels, frames)."""
    power = (10.0 ** log_mel_frames.astype(np.float64) - 1.0) / spec.log_gain
    return np.sqrt(np.maximum(power, 0.0)).T


def learn_templates(kits, sample_rate_hz: int, attack_s: float = 0.08) -> np.ndarray:
    """One template per drum class: the mean normalised spectrum of the attacks of its one-shots.

    Parameters
    ----------
    kits : list of SampleKit
        Training kits only (never the held-out kit).

    Returns
    -------
    np.ndarray
        Shape (n_mels, classes), columns summing to 1.
    """
    sums = np.zeros((DRUM_FEATURES.n_mels, len(DRUM_CLASSES)))
    for kit in kits:
        for index, shots in kit.shots_by_class().items():
            for shot in shots:
                frames = mel_magnitude(log_mel(shot[: int(attack_s * sample_rate_hz)], sample_rate_hz))
                spectrum = frames.sum(axis=1)
                sums[:, index] += spectrum / (spectrum.sum() + EPS)
    return sums / (sums.sum(axis=0, keepdims=True) + EPS)


def pfnmf(spectrogram: np.ndarray, drum_templates: np.ndarray, rank_free: int = 10, iterations: int = 40,
          seed: int = 0) -> np.ndarray:
    """Drum activations ``H_D`` (classes, frames) of ``spectrogram`` (n_mels, frames), KL-divergence updates."""
    rng = np.random.default_rng(seed)
    v = spectrogram + EPS
    w_d = drum_templates
    w_h = rng.random((v.shape[0], rank_free)) + 0.1
    h_d = rng.random((w_d.shape[1], v.shape[1])) + 0.1
    h_h = rng.random((rank_free, v.shape[1])) + 0.1
    ones = np.ones_like(v)
    for _ in range(iterations):
        ratio = v / (w_d @ h_d + w_h @ h_h + EPS)
        h_d *= (w_d.T @ ratio) / (w_d.T @ ones + EPS)
        ratio = v / (w_d @ h_d + w_h @ h_h + EPS)
        h_h *= (w_h.T @ ratio) / (w_h.T @ ones + EPS)
        ratio = v / (w_d @ h_d + w_h @ h_h + EPS)
        w_h *= (ratio @ h_h.T) / (ones @ h_h.T + EPS)
        norms = w_h.sum(axis=0, keepdims=True) + EPS
        w_h /= norms
        h_h *= norms.T
    return h_d


def novelty(activation: np.ndarray) -> np.ndarray:
    """Half-wave rectified first difference, normalised to a maximum of 1."""
    rise = np.maximum(0.0, np.diff(activation, prepend=activation[:1]))
    return rise / (rise.max() + EPS)


@dataclass
class PeakPicker:
    """Adaptive-median peak picking: a local maximum that exceeds the moving median by ``delta``."""

    delta: float = 0.1
    median_s: float = 0.1
    min_gap_s: float = 0.05

    def __call__(self, curve: np.ndarray, hop_s: float) -> np.ndarray:
        """Onset times in seconds of ``curve`` (frames)."""
        size = max(3, int(2 * self.median_s / hop_s) | 1)
        threshold = median_filter(curve, size=size, mode="nearest") + self.delta
        peaks = np.flatnonzero((curve >= np.roll(curve, 1)) & (curve > np.roll(curve, -1)) & (curve > threshold))
        times, last = [], -np.inf
        for frame in peaks:
            time_s = frame * hop_s
            if time_s - last >= self.min_gap_s:
                times.append(time_s)
                last = time_s
        return np.array(times)


class PfnmfTranscriber:
    """Offline PFNMF transcription of log-mel frames, per class.

    Parameters
    ----------
    templates : np.ndarray
        From ``learn_templates``, shape (n_mels, classes).
    delta : float
        Peak-picking threshold above the median of the normalised novelty.
    """

    def __init__(self, templates: np.ndarray, delta: float = 0.1) -> None:
        self.templates = templates
        self.picker = PeakPicker(delta)

    def activations(self, log_mel_frames: np.ndarray) -> np.ndarray:
        """Normalised novelty of each drum's activation, shape (frames, classes), 0-1."""
        h_d = pfnmf(mel_magnitude(log_mel_frames), self.templates)
        return np.stack([novelty(row) for row in h_d], axis=1)

    def transcribe(self, log_mel_frames: np.ndarray, hop_s: float = DRUM_FEATURES.hop_s) -> list[np.ndarray]:
        """Onset times per class; a frame's time is its centre (its end minus half a hop)."""
        curves = self.activations(log_mel_frames)
        return [self.picker(curves[:, c], hop_s) + hop_s / 2 for c in range(curves.shape[1])]


def fit(data: Path, out: Path, deltas: tuple[float, ...] = (0.05, 0.1, 0.15, 0.2, 0.3), valid_tracks: int = 40) -> Path:
    """Learn the templates from the training kits, pick ``delta`` on validation renders, save ``pfnmf.npz``.

    Raises
    ------
    ValueError
        The build ``data`` has other log-mel frames than ``DRUM_FEATURES``, those PFNMF transcribes with.
    """
    import mir_eval

    from bridge.drum_vocabulary import MAIN_CLASSES, DRUM_NAMES
    from export.data.drum_kits import kits_for, load_kits
    from export.data.drums import load_features, require_feature_spec

    require_feature_spec(data, DRUM_FEATURES, "PFNMF transcribes")

    kits = kits_for(load_kits(data / "kits", DRUM_FEATURES.sample_rate_hz), "training")
    templates = learn_templates(kits, DRUM_FEATURES.sample_rate_hz)
    tracks, onsets = load_features(data / "valid.npz")
    transcriber = PfnmfTranscriber(templates)
    curves = [transcriber.activations(t) for t in tracks[:valid_tracks]]
    main = [DRUM_NAMES.index(n) for n in MAIN_CLASSES]
    scores = {}
    for delta in deltas:
        picker = PeakPicker(delta)
        f = [[mir_eval.onset.f_measure(ref[c], picker(curve[:, c], DRUM_FEATURES.hop_s) + DRUM_FEATURES.hop_s / 2,
                                       window=0.05)[0] for curve, ref in zip(curves, onsets) if len(ref[c])] for c in main]
        scores[delta] = float(np.mean([np.mean(x) for x in f]))
    out.mkdir(parents=True, exist_ok=True)
    path = out / "pfnmf.npz"
    best = max(scores, key=scores.get)
    np.savez(path, templates=templates, delta=best, valid_f_main=scores[best], kits=len(kits))
    return path


def load(path: Path) -> PfnmfTranscriber:
    """The transcriber ``fit`` saved."""
    saved = np.load(path)
    return PfnmfTranscriber(saved["templates"], float(saved["delta"]))
