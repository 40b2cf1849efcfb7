"""Bar attributes that latent dimensions are regularised to encode (Pati & Lerch, ML4MD 2019).

Computed on token arrays, so the training loss, the evaluation and the live
``/inpaint/attribute`` control all measure the same thing.
"""

from __future__ import annotations

import numpy as np

from bridge.score import N_PITCHES

ATTRIBUTES = ("density", "pitch_range")


def note_density(tokens: np.ndarray) -> np.ndarray:
    """Note onsets per bar divided by the ticks in a bar (0-1); ``tokens`` is ``(..., ticks)``."""
    return (tokens < N_PITCHES).sum(axis=-1) / tokens.shape[-1]


def pitch_range(tokens: np.ndarray) -> np.ndarray:
    """Highest minus lowest pitch of a bar, over the grid's range (0-1); 0 for a bar without notes."""
    is_pitch = tokens < N_PITCHES
    high = np.where(is_pitch, tokens, -1).max(axis=-1)
    low = np.where(is_pitch, tokens, N_PITCHES).min(axis=-1)
    return np.where(high >= 0, (high - low) / (N_PITCHES - 1), 0.0)


def bar_attributes(tokens: np.ndarray) -> np.ndarray:
    """``(..., len(ATTRIBUTES))`` attribute values of bars ``(..., ticks)``."""
    return np.stack([note_density(tokens), pitch_range(tokens)], axis=-1).astype(np.float32)
