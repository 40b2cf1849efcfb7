"""MIDI output at absolute times, with note-offs guaranteed.

Engines hand notes with start and end times (monotonic seconds, from the
musical clock); a scheduler thread sends each message when it is due. The
scheduler remembers which notes sound, so ``all_notes_off`` (on transport
stop, JACK loss and shutdown) never leaves a note hanging.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Callable, Sequence

from bridge.clock import ClockState
from bridge.counters import Counters
from bridge.midi_messages import all_notes_off, note_off, note_on
from bridge.score import TICKS_PER_BEAT, Note

SendMidi = Callable[[Sequence[int], float], bool]


class MidiScheduler:
    """Send MIDI messages at their times from one thread.

    Parameters
    ----------
    send : callable
        ``send(bytes, due_s) -> bool``, ``due_s`` the message's time; False
        means the output is closed (counted as ``midi_out_dropped``).
    counters : Counters
        ``midi_out``, ``midi_out_dropped``, ``scheduler_dropped``.
    max_pending : int
        Bound on queued messages; a note that does not fit is dropped whole.
    lead_s : callable
        How long before its time the output needs a message to place it on time (a JACK period and a
        margin; 0 for an output that sends at once). Each message is handed over so much early.
    """

    def __init__(self, send: SendMidi, counters: Counters, max_pending: int = 4096,
                 lead_s: Callable[[], float] = lambda: 0.0) -> None:
        self._send = send
        self._counters = counters
        self._max_pending = max_pending
        self._lead_s = lead_s
        self._latest_handed_s = 0.0  # the latest time of a message handed to the output
        self._heap: list[tuple[float, int, tuple[int, ...]]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._sounding: set[tuple[int, int]] = set()  # (channel, pitch)
        self._channels_used: set[int] = set()
        self._running = False
        self._thread = threading.Thread(target=self._run, name="midi-scheduler", daemon=True)

    def start(self) -> None:
        self._running = True
        self._thread.start()

    def schedule(self, messages: Sequence[tuple[float, Sequence[int]]]) -> bool:
        """Queue ``(time_s, bytes)`` messages, all or none."""
        with self._wake:
            if len(self._heap) + len(messages) > self._max_pending:
                self._counters.add("scheduler_dropped", len(messages))
                return False
            for time_s, data in messages:
                heapq.heappush(self._heap, (time_s, next(self._order), tuple(data)))
            self._wake.notify()
            return True

    def schedule_note(self, pitch: int, velocity: int, start_s: float, end_s: float, channel: int = 1) -> bool:
        """Queue a note-on at ``start_s`` and its note-off at ``end_s``."""
        return self.schedule([(start_s, note_on(pitch, velocity, channel)), (end_s, note_off(pitch, channel))])

    def schedule_grid_notes(self, notes: Sequence[Note], clock: ClockState, channel: int = 1) -> bool:
        """Queue notes placed on the bar grid (ticks from the song start), timed by ``clock``."""
        messages: list[tuple[float, Sequence[int]]] = []
        for note in notes:
            messages.append((clock.time_at(note.start_tick / TICKS_PER_BEAT), note_on(note.pitch, note.velocity, channel)))
            messages.append((clock.time_at(note.end_tick / TICKS_PER_BEAT), note_off(note.pitch, channel)))
        return self.schedule(messages)

    def pending(self) -> int:
        with self._wake:
            return len(self._heap)

    def _run(self) -> None:
        with self._wake:
            while self._running:
                if not self._heap:
                    self._wake.wait()
                    continue
                delay = self._heap[0][0] - self._lead_s() - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                due_s, _, data = heapq.heappop(self._heap)
                self._emit(data, due_s)

    def _emit(self, data: tuple[int, ...], due_s: float) -> None:
        kind, channel = data[0] & 0xF0, (data[0] & 0x0F) + 1
        if kind == 0x90 and data[2] > 0:
            self._sounding.add((channel, data[1]))
            self._channels_used.add(channel)
        elif kind in (0x80, 0x90):
            self._sounding.discard((channel, data[1]))
        self._latest_handed_s = max(self._latest_handed_s, due_s)
        if self._send(data, due_s):
            self._counters.add("midi_out")
        else:
            self._counters.add("midi_out_dropped")

    def all_notes_off(self) -> None:
        """Cancel everything queued, end every sounding note, send CC 123 on the channels used.

        Now, or after the latest message already handed to the output, which can no longer be taken back.
        """
        with self._wake:
            self._heap.clear()
            due_s = max(time.monotonic(), self._latest_handed_s)
            for channel, pitch in sorted(self._sounding):
                self._emit(note_off(pitch, channel), due_s)
            for channel in sorted(self._channels_used):
                self._emit(all_notes_off(channel), due_s)
            self._wake.notify()

    def stop(self) -> None:
        self.all_notes_off()
        with self._wake:
            self._running = False
            self._wake.notify()
        self._thread.join(timeout=2)
