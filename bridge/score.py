"""The bar grid: played notes <-> monophonic melody tokens.

A 4/4 bar has 24 ticks (6 a quarter note: sixteenths and eighth-note
triplets both land on the grid). A melody is one token a tick:

- ``0 .. N_PITCHES-1``: a note starts, pitch ``PITCH_LOW + token``;
- ``HOLD``: the sounding note goes on;
- ``REST``: silence.

This module is the only place that turns notes into tokens and back: the
training pipelines in ``export/`` import it, so live input and training data
are encoded by the same code.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

TICKS_PER_BEAT = 6
PITCH_LOW = 55
PITCH_HIGH = 84
N_PITCHES = PITCH_HIGH - PITCH_LOW + 1
HOLD = N_PITCHES
REST = N_PITCHES + 1
VOCAB_SIZE = N_PITCHES + 2


def ticks_per_bar(bar_beats: float = 4.0) -> int:
    """Grid ticks in a bar of ``bar_beats`` quarter notes (24 for 4/4 and 2/2)."""
    return int(round(bar_beats * TICKS_PER_BEAT))


def fold_pitch(pitch: int, low: int = PITCH_LOW, high: int = PITCH_HIGH) -> int:
    """Move ``pitch`` by octaves into ``[low, high]`` (the documented fallback for out-of-range notes)."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def pitch_token(pitch: int) -> int:
    """Token of a note start; raises ValueError outside the model's range."""
    if not PITCH_LOW <= pitch <= PITCH_HIGH:
        raise ValueError(f"pitch {pitch} outside the grid range {PITCH_LOW}-{PITCH_HIGH}")
    return pitch - PITCH_LOW


@dataclass(frozen=True)
class Note:
    """A note on the grid: start and duration in ticks, pitch as MIDI number."""

    pitch: int
    start_tick: int
    duration_ticks: int
    velocity: int = 100

    @property
    def end_tick(self) -> int:
        return self.start_tick + self.duration_ticks


def notes_to_tokens(notes: Iterable[Note], n_ticks: int, start_tick: int = 0) -> np.ndarray:
    """Encode notes as one token a tick over ``[start_tick, start_tick + n_ticks)``.

    Monophony is enforced: a note starting while another sounds cuts it
    (legato), and of notes starting on the same tick the highest wins, since
    the melody of a chord is usually its top.

    Returns
    -------
    np.ndarray
        ``int64`` array of shape ``(n_ticks,)``.
    """
    tokens = np.full(n_ticks, REST, dtype=np.int64)
    by_start: dict[int, Note] = {}
    for note in notes:
        held = by_start.get(note.start_tick)
        if held is None or note.pitch > held.pitch:
            by_start[note.start_tick] = note
    ordered = sorted(by_start.values(), key=lambda n: n.start_tick)
    for i, note in enumerate(ordered):
        end = note.end_tick
        if i + 1 < len(ordered):
            end = min(end, ordered[i + 1].start_tick)
        first = note.start_tick - start_tick
        last = end - start_tick
        if last <= 0 or first >= n_ticks:
            continue
        if first >= 0:
            tokens[first] = pitch_token(note.pitch)
        else:
            first = 0  # began before the window: it continues as a hold
            tokens[0] = HOLD
        tokens[first + 1 : min(last, n_ticks)] = HOLD
    return tokens


def tokens_to_notes(tokens: Sequence[int] | np.ndarray, start_tick: int = 0, velocity: int = 100) -> list[Note]:
    """Decode tokens into notes; a hold with no note before it is a rest."""
    notes: list[Note] = []
    pitch, onset = None, 0
    for i, token in enumerate(np.asarray(tokens, dtype=np.int64).tolist()):
        if token == HOLD and pitch is not None:
            continue
        if pitch is not None:
            notes.append(Note(pitch, start_tick + onset, i - onset, velocity))
            pitch = None
        if 0 <= token < N_PITCHES:
            pitch, onset = PITCH_LOW + token, i
        elif token not in (HOLD, REST):
            raise ValueError(f"token {token} is not in the vocabulary (0-{VOCAB_SIZE - 1})")
    if pitch is not None:
        notes.append(Note(pitch, start_tick + onset, len(tokens) - onset, velocity))
    return notes


def beats_to_tick(beats: float) -> int:
    """Nearest grid tick of a position in quarter-note beats."""
    return int(round(beats * TICKS_PER_BEAT))


@dataclass(frozen=True)
class QuantisedNote:
    """A played note placed on the grid."""

    pitch: int
    velocity: int
    bar: int
    tick: int
    folded: bool


class MelodyHistory:
    """Notes played live, kept on the grid, bar by bar.

    ``note_on``/``note_off`` take positions in quarter-note beats (from the
    musical clock); ``bar_tokens`` encodes any recorded bar. Only the last
    ``max_bars`` bars are kept.

    Parameters
    ----------
    bar_beats : float
        Bar length in quarter notes.
    max_bars : int
        How many bars of history to keep.
    """

    def __init__(self, bar_beats: float = 4.0, max_bars: int = 64) -> None:
        self._lock = threading.Lock()
        self._bar_ticks = ticks_per_bar(bar_beats)
        self._max_bars = max_bars
        self._notes: list[Note] = []
        self._sounding: dict[int, tuple[int, int]] = {}  # played pitch -> (start tick, velocity)

    @property
    def bar_ticks(self) -> int:
        return self._bar_ticks

    def set_bar_beats(self, bar_beats: float) -> None:
        with self._lock:
            self._bar_ticks = ticks_per_bar(bar_beats)

    def note_on(self, pitch: int, velocity: int, beats: float) -> QuantisedNote:
        """Record a note start; out-of-range pitches are folded by octaves."""
        tick = beats_to_tick(beats)
        with self._lock:
            if pitch in self._sounding:
                self._close(pitch, tick)
            self._sounding[pitch] = (tick, velocity)
            folded = fold_pitch(pitch)
            return QuantisedNote(folded, velocity, tick // self._bar_ticks, tick % self._bar_ticks, folded != pitch)

    def note_off(self, pitch: int, beats: float) -> None:
        with self._lock:
            if pitch in self._sounding:
                self._close(pitch, beats_to_tick(beats))

    def _close(self, pitch: int, end_tick: int) -> None:
        start, velocity = self._sounding.pop(pitch)
        self._notes.append(Note(fold_pitch(pitch), start, max(1, end_tick - start), velocity))
        oldest = (start // self._bar_ticks - self._max_bars) * self._bar_ticks
        self._notes = [n for n in self._notes if n.end_tick > oldest]

    def bar_tokens(self, bar: int, n_bars: int = 1, now_beats: float | None = None) -> np.ndarray:
        """Tokens of bars ``bar .. bar + n_bars - 1``; notes still held end at ``now_beats``."""
        with self._lock:
            notes = list(self._notes)
            if now_beats is not None:
                now_tick = beats_to_tick(now_beats)
                notes += [
                    Note(fold_pitch(p), start, max(1, now_tick - start), v)
                    for p, (start, v) in self._sounding.items()
                ]
            return notes_to_tokens(notes, n_bars * self._bar_ticks, bar * self._bar_ticks)

    def clear(self) -> None:
        with self._lock:
            self._notes.clear()
            self._sounding.clear()
