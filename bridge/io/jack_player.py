"""A JACK client that plays timed MIDI and audio into the daemon and records what comes out."""

from __future__ import annotations

import threading
import time

import jack

from bridge.io.jack_rt import ClientCallbacks


class JackPlayer:
    """Another JACK client: sends MIDI at exact frames, records the MIDI it receives, plays audio.

    The demo plays the bundled performance through it, ``bridge bench`` times
    the daemon with it, and the tests use it as an outside party. Times of
    received events are ``time.monotonic()`` seconds, derived from the start
    of the JACK period they arrived in plus their frame offset. Its process
    callback is C (``bridge.io.jack_rt.ClientCallbacks``), so the Python
    threads of its process cannot make it miss a cycle; a machine that
    cannot schedule it in time still can, and the MIDI due in a missed
    cycle then goes out late (``lateness_ms`` counts it).

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
        self._received: list[tuple[int, bytes, float]] = []
        self._callbacks = ClientCallbacks(self.client, self.midi_out, self.midi_in, self.audio_out)
        # No callbacks on JACK's notification thread: python-rtmidi keeps the GIL while it waits for the
        # server, and the server waits for every client's notifications, so a Python notification callback
        # in a process that also uses python-rtmidi (an in-process daemon in the tests) can deadlock it.
        self.client.activate()

    @property
    def received(self) -> list[tuple[int, bytes, float]]:
        """Every MIDI event received so far: (JACK frame, bytes, time.monotonic() seconds), in order."""
        with self._lock:
            self._received.extend(self._callbacks.receive())
            return self._received

    def lateness_ms(self) -> tuple[int, float]:
        """How many of the MIDI events sent so far went out late, and the worst lateness in ms."""
        with self._lock:
            counts = self._callbacks.counts()
        return counts.late_events, 1000.0 * counts.worst_late_frames / self.sample_rate_hz

    def now_frame(self) -> int:
        return self.client.frame_time

    def send_at(self, frame: int, data: bytes | list[int]) -> None:
        with self._lock:
            self._callbacks.send(frame, bytes(data))

    def play(self, samples) -> None:
        """Play mono samples (at the JACK rate) from the start of the next cycle on, whole."""
        with self._lock:
            self._callbacks.play(samples, None)

    def play_at(self, frame: int, samples) -> None:
        """Play mono samples (at the JACK rate) from JACK frame ``frame`` on."""
        with self._lock:
            self._callbacks.play(samples, frame)

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
        with self._lock:
            self._callbacks.free()
