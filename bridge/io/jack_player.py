"""A JACK client that plays timed MIDI and audio into the daemon and records what comes out."""

from __future__ import annotations

import bisect
import threading
import time

import jack

from bridge.io.jack_server import let_jack_callbacks_take_the_gil


class JackPlayer:
    """Another JACK client: sends MIDI at exact frames, records the MIDI it receives, plays audio.

    The demo plays the bundled performance through it, ``bridge bench`` times
    the daemon with it, and the tests use it as an outside party. Times of
    received events are ``time.monotonic()`` seconds, derived from the start
    of the JACK period they arrived in plus their frame offset. Its process
    callback is Python: on a loaded machine it can miss cycles, and the MIDI
    due in them goes out late (``lateness_ms`` counts it).

    Parameters
    ----------
    name : str
        JACK client name.
    """

    def __init__(self, name: str = "mir-bridge-player") -> None:
        self.client = jack.Client(name, no_start_server=True)
        self.sample_rate_hz = self.client.samplerate
        self.period_frames = self.client.blocksize
        self.midi_out = self.client.midi_outports.register("midi_out")
        self.midi_in = self.client.midi_inports.register("midi_in")
        self.audio_out = self.client.outports.register("audio_out")
        self._lock = threading.Lock()
        self._pending: list[tuple[int, bytes]] = []
        self.received: list[tuple[int, bytes, float]] = []
        self._late_events = 0  # MIDI events this player sent after the cycle they were due in
        self._worst_late_frames = 0
        self._audio = None
        self._audio_start_frame = 0
        # No callbacks on JACK's notification thread: python-rtmidi keeps the GIL while it waits for the
        # server, and the server waits for every client's notifications, so a Python notification callback
        # in a process that also uses python-rtmidi (an in-process daemon in the tests) can deadlock it.
        let_jack_callbacks_take_the_gil()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        start = self.client.last_frame_time
        cycle_start_s = time.monotonic() - self.client.frames_since_cycle_start / self.sample_rate_hz
        self.midi_out.clear_buffer()
        with self._lock:
            split = bisect.bisect_left(self._pending, start + frames, key=lambda p: p[0])  # kept sorted by frame
            due, self._pending = self._pending[:split], self._pending[split:]
            for frame, data in due:
                if frame < start:  # this client missed the cycle the event was due in
                    self._late_events += 1
                    self._worst_late_frames = max(self._worst_late_frames, start - frame)
                self.midi_out.write_midi_event(max(0, frame - start), data)
            for offset, data in self.midi_in.incoming_midi_events():
                self.received.append((start + offset, bytes(data), cycle_start_s + offset / self.sample_rate_hz))
            buffer = self.audio_out.get_array()
            buffer[:] = 0.0
            if self._audio is not None:
                # Placed by frame time, not by counting callbacks: a cycle this client misses on a loaded
                # machine loses its period of audio, as a sound card would, instead of delaying the rest.
                offset = start - self._audio_start_frame  # where this period begins in the audio
                first, last = max(0, offset), min(len(self._audio), offset + frames)
                if last > first:
                    buffer[first - offset : last - offset] = self._audio[first:last]
                if offset + frames >= len(self._audio):
                    self._audio = None

    def lateness_ms(self) -> tuple[int, float]:
        """How many of the MIDI events sent so far went out late, and the worst lateness in ms."""
        with self._lock:
            return self._late_events, 1000.0 * self._worst_late_frames / self.sample_rate_hz

    def now_frame(self) -> int:
        return self.client.frame_time

    def send_at(self, frame: int, data: bytes | list[int]) -> None:
        with self._lock:
            bisect.insort_right(self._pending, (frame, bytes(data)), key=lambda p: p[0])

    def play(self, samples) -> None:
        """Play mono samples (at the JACK rate) from the next period on."""
        self.play_at(self.now_frame() + self.period_frames, samples)

    def play_at(self, frame: int, samples) -> None:
        """Play mono samples (at the JACK rate) from JACK frame ``frame`` on."""
        with self._lock:
            self._audio = samples.astype("float32")
            self._audio_start_frame = frame

    def connect_to_daemon(self, client_name: str = "mir-bridge", midi_in: bool = True, midi_out: bool = True,
                          audio: bool = True) -> None:
        """Wire this player's MIDI and audio into the daemon and the daemon's MIDI out back to it."""
        if midi_in:
            self.client.connect(self.midi_out, self._port(f"{client_name}-in:.*"))
        if midi_out:
            self.client.connect(self._port(f"{client_name}-out:.*"), self.midi_in)
        if audio:
            self.client.connect(self.audio_out, self._port(f"{client_name}-audio:in.*"))

    def _port(self, pattern: str) -> str:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                ports = self.client.get_ports(pattern)
            except UnicodeDecodeError:  # JACK-Client can read a port name mid-registration; ask again
                ports = []
            if ports:
                return ports[0].name
            time.sleep(0.05)
        names = [p.name for p in self.client.get_ports()]
        raise AssertionError(f"no JACK port matches {pattern}; ports: {names}")

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()
