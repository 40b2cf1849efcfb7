"""Musical clock: tempo, meter and position, from MIDI clock, OSC or an internal timer.

Positions are in quarter-note beats since the song start (MIDI clock counts
24 ticks a quarter note); times are ``time.monotonic()`` seconds. The MIDI
clock tempo is a least-squares line through the last ticks, so the jitter
of arrival times (a JACK period, a busy thread) averages out instead of
shaking the tempo. A tick that comes two to four ticks of a steady tempo
after the last one follows ticks lost on the way (a late JACK cycle drops
the MIDI due in it): they are counted, and the position keeps to the
sender's. Ticks that keep coming so are a slower tempo instead.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

MIDI_CLOCKS_PER_BEAT = 24
_OUTLIERS_BEFORE_REFIT = 3
_TICKS_BEFORE_INFERRING_LOSS = 12  # half a beat of steady ticks before a gap is read as ticks lost
_MOST_TICKS_INFERRED_LOST = 3  # a longer gap is a pause of the sender, not ticks lost on the way
_LOST_TICK_TOLERANCE = 0.25  # of a tick: how close to a later tick of the line a late one must land
_LONG_GAPS_ARE_A_SLOWER_TEMPO = 3  # so many long gaps in a row are the sender slowing down, not ticks lost
_TICKS_A_TEMPO_CHANGE_TAKES = 8  # losses inferred within so many ticks before a refit were the change itself


@dataclass(frozen=True)
class ClockState:
    """A consistent snapshot of the clock."""

    tempo_bpm: float
    running: bool
    source: str
    beats_per_bar: float
    anchor_time_s: float
    anchor_beats: float

    def beats_at(self, time_s: float) -> float:
        """Position in quarter-note beats at ``time_s`` (frozen while stopped)."""
        if not self.running:
            return self.anchor_beats
        return self.anchor_beats + (time_s - self.anchor_time_s) * self.tempo_bpm / 60.0

    def time_at(self, beats: float) -> float:
        """Monotonic time at which position ``beats`` falls (extrapolated)."""
        return self.anchor_time_s + (beats - self.anchor_beats) * 60.0 / self.tempo_bpm


class MusicalClock:
    """Thread-safe musical clock.

    Parameters
    ----------
    tempo_bpm : float
        Tempo of the internal clock until MIDI clock or OSC changes it.
    beats_per_bar, beat_unit : int
        Meter, e.g. 4 and 4, or 2 and 2.
    window_ticks : int
        MIDI clock ticks in the tempo fit.
    source : {"auto", "midi", "osc"}
        Which inputs may drive the clock; "auto" lets both.
    start_time_s : float
        When the internal clock starts running at beat 0.
    """

    def __init__(
        self,
        tempo_bpm: float = 120.0,
        beats_per_bar: int = 4,
        beat_unit: int = 4,
        window_ticks: int = 48,
        source: str = "auto",
        start_time_s: float = 0.0,
    ) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._source_setting = source
        self._tempo_bpm = tempo_bpm
        self._bar_beats = beats_per_bar * 4.0 / beat_unit
        self._running = True
        self._active_source = "internal"
        self._anchor_time_s = start_time_s
        self._anchor_beats = 0.0
        self._ticks: deque[tuple[int, float]] = deque(maxlen=max(2, window_ticks))
        self._next_tick = 0
        self._outliers = 0
        self._long_gaps: list[int] = []  # ticks inferred lost before each of the latest ticks, while each came late
        # (tick number, ticks inferred lost before it) of the latest losses
        self._recent_losses: deque[tuple[int, int]] = deque(maxlen=_TICKS_A_TEMPO_CHANGE_TAKES)
        self.ticks_lost = 0  # MIDI clock ticks inferred lost since the clock was made

    # -- what the rest of the daemon reads -------------------------------------------------
    def state(self) -> ClockState:
        with self._lock:
            return self._state_locked()

    def _state_locked(self) -> ClockState:
        return ClockState(
            tempo_bpm=self._tempo_bpm,
            running=self._running,
            source=self._active_source,
            beats_per_bar=self._bar_beats,
            anchor_time_s=self._anchor_time_s,
            anchor_beats=self._anchor_beats,
        )

    def wait_for_change(self, timeout_s: float) -> None:
        """Block until the clock is changed by an input, or ``timeout_s`` passes."""
        with self._changed:
            self._changed.wait(timeout_s)

    def _accepts(self, source: str) -> bool:
        return self._source_setting in ("auto", source)

    def _rebase(self, time_s: float) -> None:
        """Move the anchor to ``time_s`` so a tempo change keeps the current position."""
        state = self._state_locked()
        self._anchor_beats = state.beats_at(time_s)
        self._anchor_time_s = time_s

    def _notify(self) -> None:
        self._changed.notify_all()

    # -- MIDI clock ----------------------------------------------------------------------
    def midi_start(self, time_s: float) -> None:
        """0xFA: the next tick is beat 0."""
        self._midi_restart(time_s, tick=0)

    def midi_continue(self, time_s: float) -> None:
        """0xFB: the next tick continues from the song position."""
        with self._lock:
            tick = self._next_tick
        self._midi_restart(time_s, tick)

    def _midi_restart(self, time_s: float, tick: int) -> None:
        with self._lock:
            if not self._accepts("midi"):
                return
            self._active_source = "midi"
            self._ticks.clear()
            self._outliers = 0
            self._forget_losses()
            self._next_tick = tick
            self._running = False  # the first tick starts it
            self._anchor_beats = tick / MIDI_CLOCKS_PER_BEAT
            self._anchor_time_s = time_s
            self._notify()

    def midi_stop(self, time_s: float) -> None:
        """0xFC: freeze the position."""
        with self._lock:
            if not self._accepts("midi"):
                return
            self._rebase(time_s)
            self._running = False
            self._active_source = "midi"
            self._notify()

    def midi_song_position(self, sixteenths: int) -> None:
        """0xF2: set the position (in sixteenth notes) where Continue resumes."""
        with self._lock:
            if not self._accepts("midi"):
                return
            self._next_tick = sixteenths * 6
            self._anchor_beats = sixteenths / 4.0
            self._ticks.clear()
            self._forget_losses()
            self._notify()

    def midi_tick(self, time_s: float) -> None:
        """0xF8: one clock tick arrived at ``time_s``."""
        with self._lock:
            if not self._accepts("midi"):
                return
            self._active_source = "midi"
            index = self._index_of(time_s)
            self._next_tick = index + 1
            if self._ticks and self._is_outlier(index, time_s):
                self._outliers += 1
                if self._outliers >= _OUTLIERS_BEFORE_REFIT:
                    # A steady offset, not jitter: the tempo changed, fit again from here. A gap read as
                    # ticks lost just before was the change beginning: it is taken back.
                    taken_back = self._take_back_losses_since(index - _TICKS_A_TEMPO_CHANGE_TAKES)
                    last_index, last_time = self._ticks[-1]
                    self._ticks.clear()
                    self._ticks.append((last_index - taken_back, last_time))
                    index -= taken_back
                    self._next_tick = index + 1
                    self._outliers = 0
            else:
                self._outliers = 0
            self._ticks.append((index, time_s))
            self._fit()
            self._running = True
            self._notify()

    def _index_of(self, time_s: float) -> int:
        """The tick number of a tick arriving at ``time_s``.

        It is the next one, unless the fit is steady (no outliers lately) and the tick comes two to four ticks
        of its tempo after the last one: then the ticks between were lost on the way. Unless the tick after it
        comes at once: then it was late. Three such gaps in a row are the sender slowing down instead: those
        ticks are numbered one after another again and fitted anew.
        """
        if len(self._ticks) < _TICKS_BEFORE_INFERRING_LOSS or self._outliers:
            self._long_gaps.clear()
            return self._next_tick
        seconds_per_tick = 60.0 / (self._tempo_bpm * MIDI_CLOCKS_PER_BEAT)
        steps = (time_s - self._ticks[-1][1]) / seconds_per_tick  # since the last tick came
        if self._long_gaps and abs(steps) < _LOST_TICK_TOLERANCE:
            return self._take_back_last_loss()
        nearest = round(steps)
        if not (2 <= nearest <= _MOST_TICKS_INFERRED_LOST + 1 and abs(steps - nearest) < _LOST_TICK_TOLERANCE):
            self._long_gaps.clear()  # the losses before stand
            return self._next_tick
        self._long_gaps.append(nearest - 1)
        if len(self._long_gaps) == _LONG_GAPS_ARE_A_SLOWER_TEMPO:
            return self._renumber_long_gaps()
        self.ticks_lost += nearest - 1
        self._recent_losses.append((self._next_tick + nearest - 1, nearest - 1))
        return self._next_tick + nearest - 1

    def _take_back_last_loss(self) -> int:
        """The last tick came late, together with this one (a sender that missed a cycle sends what was due in it
        at once): no tick was lost before it. Returns the number of the tick arriving now."""
        lost = self._long_gaps[-1]
        self._long_gaps.clear()
        self._recent_losses.pop()
        self.ticks_lost -= lost
        index, time_s = self._ticks[-1]
        self._ticks[-1] = (index - lost, time_s)
        return index - lost + 1

    def _take_back_losses_since(self, first_tick: int) -> int:
        """Forget the losses inferred at ticks numbered ``first_tick`` or later; returns how many ticks they were."""
        taken_back = sum(lost for tick, lost in self._recent_losses if tick >= first_tick)
        self._forget_losses()
        self.ticks_lost -= taken_back
        return taken_back

    def _forget_losses(self) -> None:
        """Let the losses inferred so far stand: none of them can be taken back any more."""
        self._long_gaps.clear()
        self._recent_losses.clear()

    def _renumber_long_gaps(self) -> int:
        """Take back the losses inferred at the latest long gaps, the sender slowed down: keep only the ticks that
        came after them, numbered on from the one before, as a new fit; returns the number of the tick arriving
        now."""
        slow = list(self._ticks)[1 - len(self._long_gaps):]
        first = slow[0][0] - self._long_gaps[0]
        self._take_back_losses_since(slow[0][0])
        self._ticks.clear()
        self._ticks.extend((first + i, t) for i, (_, t) in enumerate(slow))
        self._outliers = 0
        self._fit()
        return first + len(slow)

    def _is_outlier(self, index: int, time_s: float) -> bool:
        seconds_per_tick = 60.0 / (self._tempo_bpm * MIDI_CLOCKS_PER_BEAT)
        predicted = self._state_locked().time_at(index / MIDI_CLOCKS_PER_BEAT)
        return abs(time_s - predicted) > 0.5 * seconds_per_tick

    def _fit(self) -> None:
        """Least-squares line time = a + b * tick through the window."""
        last_index, last_time = self._ticks[-1]
        if len(self._ticks) >= 2:
            n = len(self._ticks)
            mean_i = sum(i for i, _ in self._ticks) / n
            mean_t = sum(t for _, t in self._ticks) / n
            var_i = sum((i - mean_i) ** 2 for i, _ in self._ticks)
            cov = sum((i - mean_i) * (t - mean_t) for i, t in self._ticks)
            slope = cov / var_i
            if slope > 0 and math.isfinite(slope):
                self._tempo_bpm = 60.0 / (slope * MIDI_CLOCKS_PER_BEAT)
                last_time = mean_t + slope * (last_index - mean_i)
        self._anchor_beats = last_index / MIDI_CLOCKS_PER_BEAT
        self._anchor_time_s = last_time

    # -- OSC transport and the internal clock --------------------------------------------
    def set_tempo(self, tempo_bpm: float, time_s: float) -> bool:
        """Set the tempo from OSC; False when MIDI clock drives the clock."""
        with self._lock:
            if not self._accepts("osc") or self._active_source == "midi" and self._ticks:
                return False
            self._rebase(time_s)
            self._tempo_bpm = tempo_bpm
            self._active_source = "osc"
            self._notify()
            return True

    def set_meter(self, beats_per_bar: int, beat_unit: int) -> None:
        with self._lock:
            self._bar_beats = beats_per_bar * 4.0 / beat_unit
            self._notify()

    def transport(self, command: str, time_s: float) -> bool:
        """``start`` (from bar 0), ``stop`` or ``continue`` from OSC."""
        with self._lock:
            if not self._accepts("osc"):
                return False
            self._active_source = "osc"
            self._ticks.clear()
            if command == "start":
                self._anchor_beats, self._anchor_time_s, self._running = 0.0, time_s, True
            elif command == "stop":
                self._rebase(time_s)
                self._running = False
            else:
                self._anchor_time_s, self._running = time_s, True
            self._notify()
            return True

    def set_position(self, bar: int, beat: float, time_s: float) -> bool:
        """Bar (0-based) and beat (0-based, quarter notes) at ``time_s``."""
        with self._lock:
            if not self._accepts("osc"):
                return False
            self._anchor_beats = bar * self._bar_beats + beat
            self._anchor_time_s = time_s
            self._notify()
            return True
