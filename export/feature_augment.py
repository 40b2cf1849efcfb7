"""Training-time recolouring of log-mel frames: every chunk or instance heard through its own recording chain.

The recording chain of ``export.data.audio_effects`` colours each track once, when the data is built; this
colours each training chunk (drums) or 1-s instance (instruments) anew at every step, from the same frames.
"""

from __future__ import annotations

import numpy as np

from bridge.features import DRUM_FEATURES, FeatureSpec, log_compress, log_expand


def augment_log_mel(features: np.ndarray, rng: np.random.Generator, max_eq_db: float = 9.0,
                    max_shift_bands: float = 1.5, max_notch_bands: int = 6,
                    spec: FeatureSpec = DRUM_FEATURES) -> np.ndarray:
    """One chunk's log-mel frames (frames, n_mels) heard through another recording chain and tuning.

    A smooth random EQ (up to ``max_eq_db`` either way, applied exactly: ``log_compress`` is inverted, scaled
    and redone), a shift of the mel axis by up to ``max_shift_bands`` (a drum tuned higher or lower, a
    formant moved) and, half the time, a notch of up to ``max_notch_bands`` silent bands, so that no class is
    recognised by one band alone.
    """
    n_mels = features.shape[1]
    position = np.linspace(0.0, 1.0, n_mels)
    curve = sum(rng.uniform(-1, 1) * np.cos(np.pi * k * position + rng.uniform(0, 2 * np.pi)) for k in range(1, 4)) / 3
    power_gain = 10 ** (max_eq_db * curve / 10)
    power = log_expand(features, spec)
    source_bands = np.clip(np.arange(n_mels) + rng.uniform(-max_shift_bands, max_shift_bands), 0, n_mels - 1)
    low = np.floor(source_bands).astype(int)
    high = np.minimum(low + 1, n_mels - 1)
    weight = (source_bands - low).astype(np.float32)
    shifted = power[:, low] * (1 - weight) + power[:, high] * weight
    out = log_compress(power_gain.astype(np.float32) * shifted, spec)
    if max_notch_bands and rng.random() < 0.5:
        width = int(rng.integers(1, max_notch_bands + 1))
        start = int(rng.integers(0, n_mels - width + 1))
        out[:, start:start + width] = 0.0
    return out
