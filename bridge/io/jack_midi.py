"""The daemon's MIDI ports on JACK, timed to the frame by C process callbacks.

rtmidi's JACK backend times every event of a cycle by when its callback ran, so incoming MIDI is only as exact
as a JACK period (21 ms at 1024 frames), and it writes an outgoing event at the start of the next cycle whenever
it comes, so outgoing MIDI wobbles by a period. Here the callbacks (``bridge.io.jack_rt.ClientCallbacks``) stamp
each incoming event with the start of its cycle plus its frame offset, and write each outgoing event at the frame
of its due time, handed over a period early: on time where rtmidi would wobble by up to a period. A message
due at once (a drum note, MIDI thru) goes out at the start of the next cycle, as through rtmidi. The callbacks
never wait for Python; a reader thread sleeps until the callback wakes it with what came in.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Sequence

import jack

from bridge.config import MidiConfig
from bridge.events import RawMidi
from bridge.io.jack_rt import ClientCallbacks, ClientCounts, NativeCallbacksUnavailable
from bridge.io.jack_server import abandon_client, open_client
from bridge.io.midi import MidiUnavailable

log = logging.getLogger("bridge.midi")

IN_WAIT_S = 0.05  # the longest the reader sleeps on its callback while nothing comes in, before it checks it
                  # should still read (the callback wakes it as soon as an event arrives)
WAKE_MARGIN_S = 0.015  # how late the scheduler's thread may wake and still hand a message over in time: a
                       # loaded machine wakes a thread a few ms late, and a message that misses the cycle of its
                       # frame goes out at the start of the next; the callback holds early messages until their
                       # frame, and a stop lets at most this much more of what was handed over sound
DRAIN_S = 0.5  # the longest closing waits for messages sent to go out
ACTIVE_SENSING = 0xFE  # ignored, as rtmidi ignores it


class JackMidiPorts:
    """MIDI in and out as two JACK clients, ``<client_name>-in`` and ``<client_name>-out``.

    Parameters
    ----------
    config : MidiConfig
        Client and port names, and the ports to connect to (a substring of their names).
    on_message : callable
        Receives every incoming message as ``RawMidi``; must not block.
    """

    api = "jack"

    def __init__(self, config: MidiConfig, on_message: Callable[[RawMidi], None]) -> None:
        self._config = config
        self._on_message = on_message
        self._in_client = self._out_client = None
        self._in_callbacks: ClientCallbacks | None = None
        self._out_callbacks: ClientCallbacks | None = None
        self._reader: threading.Thread | None = None
        self._reading = threading.Event()
        self._latest_frame: int | None = None  # of the latest message sent
        self.in_name = ""
        self.out_name = ""

    def open(self) -> None:
        """Open, activate and connect both clients; raises ``MidiUnavailable``."""
        name = self._config.client_name
        in_client, out_client = open_client(f"{name}-in"), open_client(f"{name}-out")
        if in_client is None or out_client is None:
            for client in (in_client, out_client):
                if client is not None:
                    client.close()
            raise MidiUnavailable("jack MIDI could not be opened: no JACK server answered")
        try:
            in_port = in_client.midi_inports.register(self._config.in_port)
            out_port = out_client.midi_outports.register(self._config.out_port)
            self._in_callbacks = ClientCallbacks(in_client, midi_in=in_port)
            self._out_callbacks = ClientCallbacks(out_client, midi_out=out_port)
            in_client.activate()
            out_client.activate()
        except (jack.JackError, NativeCallbacksUnavailable) as exc:
            for client in (in_client, out_client):
                client.close()
            self._free_callbacks()
            raise MidiUnavailable(f"jack MIDI could not be opened: {exc}") from exc
        self._in_client, self._out_client = in_client, out_client
        self.in_name = self._connect(in_client, in_port, self._config.in_connect, "input")
        self.out_name = self._connect(out_client, out_port, self._config.out_connect, "output")
        self._reading.set()
        self._reader = threading.Thread(target=self._read, args=(self._in_callbacks,), name="midi-in", daemon=True)
        self._reader.start()

    @staticmethod
    def _connect(client, port, wanted: str, kind: str) -> str:
        """Connect ``port`` to the first MIDI port whose name contains ``wanted``; the name it is known by."""
        if not wanted:
            return port.name.split(":", 1)[1]
        # The daemon's input listens to another client's output, and its output plays into an input.
        candidates = client.get_ports(is_midi=True, is_output=port.is_input, is_input=port.is_output)
        for other in candidates:
            if wanted in other.name:
                if port.is_input:
                    client.connect(other, port)
                else:
                    client.connect(port, other)
                return other.name
        log.warning("MIDI %s '%s' not found; its port waits unconnected", kind, wanted)
        return port.name.split(":", 1)[1]

    def _read(self, callbacks: ClientCallbacks) -> None:
        """Hand on every incoming event, timed to its frame, until the ports close."""
        while self._reading.is_set():
            events = callbacks.receive()
            if not events:
                callbacks.wait(IN_WAIT_S)
            for _frame, data, time_s in events:
                if data and data[0] != ACTIVE_SENSING:
                    self._on_message(RawMidi(tuple(data), time_s))

    @property
    def lead_s(self) -> float:
        """How long before its time a message must be sent to go out on time: the next cycle still to come
        may start a period from now, and a margin for a thread that wakes a little late."""
        client = self._out_client
        return 0.0 if client is None else client.blocksize / client.samplerate + WAKE_MARGIN_S

    def send(self, data: Sequence[int], due_s: float | None = None) -> bool:
        """Queue one message for the frame of ``due_s`` (``time.monotonic()``), or for the start of the next
        cycle still to come where that is later (``due_s`` None: now)."""
        client, callbacks = self._out_client, self._out_callbacks
        if client is None or callbacks is None:
            return False
        frame = client.last_frame_time + client.blocksize
        if due_s is not None:
            frame = max(frame, client.frame_time + round((due_s - time.monotonic()) * client.samplerate))
        try:
            callbacks.send(frame, bytes(data))
        except ValueError as exc:
            log.warning("%s", exc)
            return False
        self._latest_frame = frame
        return True

    def counts(self) -> ClientCounts:
        """Outgoing events written late (a missed cycle) and incoming ones lost to a full ring."""
        out = self._out_callbacks.counts() if self._out_callbacks else ClientCounts()
        received = self._in_callbacks.counts() if self._in_callbacks else ClientCounts()
        return ClientCounts(out.late_events, out.worst_late_frames, received.received_dropped)

    @property
    def is_open(self) -> bool:
        return self._out_client is not None

    def _stop_reader(self) -> None:
        self._reading.clear()
        reader, self._reader = self._reader, None
        if reader is not None and reader is not threading.current_thread():
            reader.join()

    def abandon(self) -> None:
        """Forget clients whose server died, without calling into libjack; their callbacks are never freed."""
        self._stop_reader()
        for client in (self._in_client, self._out_client):
            abandon_client(client)
        self._in_client = self._out_client = None

    def close(self) -> None:
        """Once what was sent has gone out (the notes-off of a stop among it), or after ``DRAIN_S``."""
        self._stop_reader()
        if self._out_client is not None and self._latest_frame is not None:
            self._drain(self._out_client, self._latest_frame)
        clients, self._in_client, self._out_client = (self._in_client, self._out_client), None, None
        for client in clients:
            if client is not None:
                client.deactivate()
                client.close()
        self._free_callbacks()

    @staticmethod
    def _drain(client, latest_frame: int) -> None:
        deadline = time.monotonic() + DRAIN_S
        # Until a cycle after the latest frame sent has begun; frame times wrap at 32 bits.
        while (latest_frame - client.last_frame_time) % 2**32 < 2**31 and time.monotonic() < deadline:
            time.sleep(0.005)

    def _free_callbacks(self) -> None:
        """Once their clients are closed."""
        for callbacks in (self._in_callbacks, self._out_callbacks):
            if callbacks is not None:
                callbacks.free()
        self._in_callbacks = self._out_callbacks = None
