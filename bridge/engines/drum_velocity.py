"""MIDI velocities of drum strokes from how loud they are played.

The network's activation tells how sure it is of a stroke, not how hard the stroke was: a clear ghost note
comes out as sure as an accent. ``VelocityMeter`` measures what each stroke adds to its class's band of the
log-mel frames (the power that rose, band by band, from a frame before the stroke to the frame that revealed
it) and maps it against the loudest stroke of that class in the last ``memory_s`` seconds, by the General MIDI
velocity curve: a stroke as loud is 127, one ``curve_db`` quieter a tenth of that (12.7), down to 1. The
evaluation (``python -m export evaluate drums``, on annotations with a velocity column) measures how well the
velocities follow the played ones.

>>> from bridge.features import DRUM_FEATURES
>>> meter = VelocityMeter(DRUM_FEATURES, ("kick", "snare", "hihat"))
"""

from __future__ import annotations

from collections import deque
from typing import Sequence

import librosa
import numpy as np

from bridge.features import FeatureSpec, log_expand

# The band (Hz) in which each class's strokes are measured: the kick's thump, the snare's body and wires, the
# cymbals' sizzle; a class not named here is measured over every band.
CLASS_BANDS_HZ: dict[str, tuple[float, float]] = {
    "kick": (20.0, 400.0), "snare": (150.0, 8000.0), "hihat": (5000.0, 22050.0), "tom": (60.0, 500.0),
    "crash": (3000.0, 22050.0), "ride": (2000.0, 22050.0)}
BEFORE_STROKE_FRAMES = 2  # the stroke's rise is measured from this many frames before its frame


class VelocityMeter:
    """Velocity 1-127 of each stroke from its level against the class's loudest recent stroke.

    Parameters
    ----------
    spec : FeatureSpec
        The frames the engine streams (``DrumModel.stream_spec``).
    classes : sequence of str
        The model's classes, in order.
    curve_db : float
        Decibels below the class's loudest recent stroke at which the velocity falls to a tenth.
    memory_s : float
        How long a stroke stays the class's reference.
    """

    def __init__(self, spec: FeatureSpec, classes: Sequence[str], curve_db: float = 40.0,
                 memory_s: float = 30.0) -> None:
        if memory_s <= 0:
            raise ValueError(f"a velocity memory of {memory_s} s: it must be above 0")
        self.spec = spec
        self.set_curve(curve_db)
        self._memory_frames = max(1, round(memory_s / spec.hop_s))
        centres = librosa.mel_frequencies(spec.n_mels + 2, fmin=spec.fmin_hz, fmax=spec.fmax_hz)[1:-1]
        self._bands = [self._band(centres, CLASS_BANDS_HZ.get(name, (0.0, np.inf))) for name in classes]
        # Frames before a block that a stroke it reveals may need: its look-ahead, time offset and the frames
        # before it, with room to spare.
        self._history = max(16, round(0.08 / spec.hop_s))
        self.reset()

    def set_curve(self, curve_db: float) -> None:
        """Decibels below the class's loudest recent stroke at which the velocity falls to a tenth.

        Raises
        ------
        ValueError
            ``curve_db`` is 0 or less.
        """
        if curve_db <= 0:
            raise ValueError(f"a velocity curve of {curve_db} dB: it must be above 0")
        self.curve_db = curve_db

    @staticmethod
    def _band(centres: np.ndarray, band_hz: tuple[float, float]) -> np.ndarray:
        inside = (centres >= band_hz[0]) & (centres < band_hz[1])
        return inside if inside.any() else np.ones_like(inside)

    def reset(self) -> None:
        """Forget the stream and every class's reference."""
        self._recent = np.zeros((self._history, self.spec.n_mels), np.float32)
        self._end = 0  # stream index of the frame after the newest in ``_recent``
        self._loudest: list[deque[tuple[int, float]]] = [deque() for _ in self._bands]

    def observe(self, frames: np.ndarray) -> None:
        """Keep a block of new log-mel frames (frames, n_mels) of the stream, every block, silent or not, and
        the frames before it that its strokes may need."""
        if len(frames):
            self._recent = np.concatenate((self._recent[-self._history:], frames))
            self._end += len(frames)

    def level_db(self, class_index: int, frame: int, before_frame: int) -> float:
        """Power (dB) that rose in the class's band from ``before_frame`` to ``frame`` (stream indices of
        observed frames; the oldest kept frame stands in for one older)."""
        oldest = self._end - len(self._recent)
        rows = np.clip(np.array([before_frame, frame]) - oldest, 0, len(self._recent) - 1)
        before, now = log_expand(self._recent[rows][:, self._bands[class_index]], self.spec)
        return float(10.0 * np.log10(np.maximum(now - before, 0.0).sum() + 1e-12))

    def __call__(self, class_index: int, frame: int, stroke_s: float) -> int:
        """The velocity of a stroke of class ``class_index`` at stream time ``stroke_s`` that ``frame`` revealed."""
        before = int(stroke_s / self.spec.hop_s) - BEFORE_STROKE_FRAMES
        level = self.level_db(class_index, frame, min(before, frame - 1))
        loudest = self._loudest[class_index]  # (frame, level), levels falling: the front is the loudest
        while loudest and loudest[0][0] <= frame - self._memory_frames:
            loudest.popleft()
        while loudest and loudest[-1][1] <= level:
            loudest.pop()
        loudest.append((frame, level))
        velocity = 127.0 * 10.0 ** ((level - loudest[0][1]) / self.curve_db)
        return int(np.clip(round(velocity), 1, 127))


def activation_velocity(activation: float) -> int:
    """The velocity that the network's activation (0-1) gives: 1 + 126 times it."""
    return int(np.clip(round(1 + 126 * activation), 1, 127))
