"""MIDI velocities of drum strokes from how loud they are played.

The network's activation tells how sure it is of a stroke, not how hard the stroke was: a clear ghost note comes
out as sure as an accent. ``VelocityMeter`` measures each stroke's peak in its class's band of the audio (a
second-order Butterworth filter) from just before the stroke to the end of the frame that revealed it, and maps it
against a reference by the General MIDI velocity curve: a stroke as loud as the reference is 127, one ``curve_db``
quieter a tenth of that (12.7), down to 1. The reference is the loudest stroke of that class in the last
``memory_s`` seconds, raised by ``SPREAD_DB / (n + 1)`` while those are only n strokes (so that a drum's first
stroke comes out at 107 of 127, not as loud as can be), or, once ``hold`` has fixed it (a sound check's loudest
strokes), that level until ``adapt``: a running reference makes a quiet verse come out loud again once the last
loud chorus is ``memory_s`` behind it, a held one keeps the song's dynamics. Offline, ``velocity_of_level`` maps a
whole file against its loudest strokes (``bridge.engines.drums.against_loudest_in_file``). The peak of the waveform
comes within a few milliseconds of the attack, while the power of a log-mel frame, whose window still holds little
of a stroke named early, grows for tens of them. The evaluation (``python -m export evaluate drums``, on
annotations with a velocity column) measures how well the velocities follow the played ones.

>>> meter = VelocityMeter(22050, ("kick", "snare", "hihat"))
>>> meter.observe(samples)  # every block of the stream, at 22050 Hz
>>> meter(0, stroke_s=1.20, heard_s=1.215)  # (level dBFS, velocity) of a kick at 1.2 s, revealed 15 ms later
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Sequence

import numpy as np
from scipy import signal

# The band (Hz; None: no edge there) in which each class's strokes are measured: the kick's thump, the snare's
# body and wires, the toms' boom, the cymbals' sizzle; chosen on validation renders (the drum card's history), but
# the crash's, which too few of them play to choose by. A class not named here is measured on the whole signal.
CLASS_BANDS_HZ: dict[str, tuple[float | None, float | None]] = {
    "kick": (None, 400.0), "snare": (150.0, 8000.0), "hihat": (8000.0, None), "tom": (60.0, 500.0),
    "crash": (3000.0, None), "ride": (8000.0, None)}
BEFORE_STROKE_S = 0.01  # the peak is sought from this long before the stroke's time
# The band filter runs this long before the sought stretch, so that its start-up has died away (the slowest
# edge, the tom's 60 Hz, decays by a factor e in 3.8 ms).
SETTLE_S = 0.02
KEEP_S = 0.1  # audio kept from before each block: enough for a stroke the block's first frame reveals
# How far apart a drum's strokes are taken to lie (dB) before they show it: the running reference sits
# SPREAD_DB / (n + 1) above the loudest of the n strokes in the memory, the expected gap between the loudest of n
# levels drawn evenly from a range that wide and its top. Chosen on validation renders (the drum card's history).
SPREAD_DB = 6.0


def velocity_of_level(level_db: float, reference_db: float, curve_db: float) -> int:
    """The General MIDI curve: 127 for a stroke at ``reference_db`` or louder, a tenth of it ``curve_db`` below,
    1 at the least."""
    return int(np.clip(round(127.0 * 10.0 ** ((level_db - reference_db) / curve_db)), 1, 127))


def band_filter(band_hz: tuple[float | None, float | None], sample_rate_hz: int) -> np.ndarray | None:
    """Second-order sections of a second-order Butterworth filter for ``band_hz``; None for no band."""
    low, high = band_hz
    nyquist = sample_rate_hz / 2
    if high is not None and high >= nyquist:
        high = None
    if low is None and high is None:
        return None
    if low is None:
        return signal.butter(2, high / nyquist, "lowpass", output="sos")
    if high is None:
        return signal.butter(2, low / nyquist, "highpass", output="sos")
    return signal.butter(2, [low / nyquist, high / nyquist], "bandpass", output="sos")


class VelocityMeter:
    """Velocity 1-127 of each stroke from its peak level against the class's loudest recent stroke, or against
    the level ``hold`` fixed.

    Parameters
    ----------
    sample_rate_hz : int
        The rate of the samples it observes (the engine's feature rate).
    classes : sequence of str
        The model's classes, in order.
    curve_db : float
        Decibels below the class's loudest recent stroke at which the velocity falls to a tenth.
    memory_s : float
        How long a stroke stays the class's reference.
    """

    def __init__(self, sample_rate_hz: int, classes: Sequence[str], curve_db: float = 40.0,
                 memory_s: float = 30.0) -> None:
        if memory_s <= 0:
            raise ValueError(f"a velocity memory of {memory_s} s: it must be above 0")
        self.sample_rate_hz = sample_rate_hz
        self.memory_s = memory_s
        self.set_curve(curve_db)
        self._filters = [band_filter(CLASS_BANDS_HZ.get(name, (None, None)), sample_rate_hz) for name in classes]
        self._keep = round(KEEP_S * sample_rate_hz)
        self._held: list[float | None] = [None] * len(classes)  # a setting: a reset of the stream keeps it
        self._lock = threading.Lock()  # the references change on the control thread, the strokes come on another
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

    def reset(self) -> None:
        """Forget the stream and every class's loudest recent stroke (not the references ``hold`` fixed)."""
        with self._lock:
            self._recent = np.zeros(self._keep, np.float32)
            self._end = 0  # stream index of the sample after the newest in ``_recent``
            self._loudest: list[deque[tuple[float, float]]] = [deque() for _ in self._filters]
            self._heard: list[deque[float]] = [deque() for _ in self._filters]  # times of the strokes in the memory

    @property
    def stream_s(self) -> float:
        """Stream time at the end of the newest sample observed."""
        return self._end / self.sample_rate_hz

    def observe(self, samples: np.ndarray) -> None:
        """Keep the stream's new samples, every block, silent or not, and the audio before them that their
        strokes may need."""
        if len(samples):
            self._recent = np.concatenate((self._recent[-self._keep:], samples))
            self._end += len(samples)

    def level_db(self, class_index: int, start_s: float, end_s: float) -> float:
        """Peak (dB of full scale) of the class's band from stream time ``start_s`` to ``end_s``, of the samples
        observed (the band filter starts ``SETTLE_S`` earlier; audio before the oldest kept sample counts as
        silence)."""
        oldest = self._end - len(self._recent)
        end = int(np.clip(round(end_s * self.sample_rate_hz) - oldest, 1, len(self._recent)))
        start = int(np.clip(round(start_s * self.sample_rate_hz) - oldest, 0, end - 1))
        settle = max(0, start - round(SETTLE_S * self.sample_rate_hz))
        sos = self._filters[class_index]
        audio = self._recent[settle:end]
        band = audio if sos is None else signal.sosfilt(sos, audio)
        return float(20.0 * np.log10(np.max(np.abs(band[start - settle:])) + 1e-9))

    def __call__(self, class_index: int, stroke_s: float, heard_s: float) -> tuple[float, int]:
        """The level (dBFS, ``level_db``) and velocity of a stroke of class ``class_index`` at stream time
        ``stroke_s`` revealed by the frame that ends at ``heard_s``."""
        level = self.level_db(class_index, stroke_s - BEFORE_STROKE_S, heard_s)
        with self._lock:
            loudest, heard = self._loudest[class_index], self._heard[class_index]
            self._forget(class_index, heard_s)
            while loudest and loudest[-1][1] <= level:
                loudest.pop()
            loudest.append((heard_s, level))
            heard.append(heard_s)
            held = self._held[class_index]
            reference = loudest[0][1] + SPREAD_DB / (len(heard) + 1) if held is None else held
            return level, velocity_of_level(level, reference, self.curve_db)

    def _forget(self, class_index: int, now_s: float) -> None:
        """Drop the class's strokes older than the memory."""
        loudest, heard = self._loudest[class_index], self._heard[class_index]
        while loudest and loudest[0][0] <= now_s - self.memory_s:
            loudest.popleft()
        while heard and heard[0] <= now_s - self.memory_s:
            heard.popleft()

    def hold(self, class_index: int | None = None) -> dict[int, float]:
        """Fix each class's reference (or class ``class_index``'s alone) at its loudest stroke of the last
        ``memory_s`` seconds, until ``adapt``: a stroke as loud is 127 from now on, however long ago that stroke
        was. A class with no stroke in that time keeps what it had: its held reference, or its strokes to follow.
        Returns the references this call fixed, dBFS by class index."""
        fixed = {}
        with self._lock:
            for c in self._chosen(class_index):
                loudest = self._loudest[c]
                self._forget(c, self.stream_s)
                if loudest:
                    self._held[c] = fixed[c] = loudest[0][1]
        return fixed

    def hold_levels(self, levels: dict[int, float]) -> None:
        """Fix the references of the classes in ``levels`` (class index to dBFS) at those levels, until
        ``adapt``."""
        with self._lock:
            for c, level in levels.items():
                self._held[c] = float(level)

    def adapt(self, class_index: int | None = None) -> None:
        """Let every class's reference (or class ``class_index``'s alone) follow its loudest recent stroke again."""
        with self._lock:
            for c in self._chosen(class_index):
                self._held[c] = None

    def _chosen(self, class_index: int | None) -> Sequence[int]:
        """Class ``class_index``, or every class for None."""
        return range(len(self._held)) if class_index is None else (class_index,)

    def held(self) -> dict[int, float]:
        """The references held now (by ``hold`` or ``hold_levels``), dBFS by class index."""
        return {c: level for c, level in enumerate(self._held) if level is not None}


def activation_velocity(activation: float) -> int:
    """The velocity that the network's activation (0-1) gives: 1 + 126 times it."""
    return int(np.clip(round(1 + 126 * activation), 1, 127))
