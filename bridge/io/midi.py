"""MIDI input and output: on JACK through C process callbacks, elsewhere through python-rtmidi.

On JACK (``bridge.io.jack_midi``) every incoming message is timed to its frame and every outgoing one is
written at the frame it is due; python-rtmidi serves ALSA, and JACK where the C callbacks are
not built. Its messages are not taken by an rtmidi callback: with JACK that callback would run Python inside
the process cycle, and waiting there for the GIL makes the backend's client miss cycles on a loaded machine,
losing the MIDI that was due in them. rtmidi queues the messages in C++ instead, and a reader thread polls the
queue, timestamps each message from the backend's deltas (``EventTimes``) and hands it on; everything else
happens on the daemon's event thread.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Sequence

import rtmidi

from bridge.config import MidiConfig
from bridge.events import RawMidi
from bridge.io.jack_rt import ClientCounts, native_callbacks_problem
from bridge.io.jack_server import abandon_client, jack_server_running

log = logging.getLogger("bridge.midi")

API_BY_NAME = {"jack": rtmidi.API_UNIX_JACK, "alsa": rtmidi.API_LINUX_ALSA}
IN_QUEUE_MESSAGES = 8192  # rtmidi's own queue: a flood of a message a millisecond fills it in 8 s unread
IN_POLL_S = 0.001  # how often the reader looks into rtmidi's queue while it is empty


class MidiUnavailable(RuntimeError):
    """No MIDI backend could be opened."""


def choose_api(setting: str) -> str:
    """Resolve ``auto`` to ``jack`` when a JACK server runs, else ``alsa``."""
    if setting != "auto":
        return setting
    return "jack" if jack_server_running() else "alsa"


def _require_backend(api: str) -> None:
    """Refuse JACK MIDI while no JACK server runs: rtmidi's JACK client would touch JACK's files in vain."""
    if api == "jack" and not jack_server_running():
        raise MidiUnavailable("jack MIDI is not available: no JACK server is running")


def list_ports(api: str) -> dict[str, list[str]]:
    """Names of the MIDI input and output ports the backend sees."""
    _require_backend(api)
    try:
        midi_in = rtmidi.MidiIn(API_BY_NAME[api], "mir-bridge-list")
        midi_out = rtmidi.MidiOut(API_BY_NAME[api], "mir-bridge-list")
    except rtmidi.SystemError as exc:
        raise MidiUnavailable(f"{api} MIDI is not available: {exc}") from exc
    ports = {"inputs": midi_in.get_ports(), "outputs": midi_out.get_ports()}
    midi_in.delete()
    midi_out.delete()
    return ports


def _open(port, wanted: str, virtual_name: str, kind: str) -> str:
    """Open the port whose name contains ``wanted``, else a virtual port."""
    if wanted:
        for index, name in enumerate(port.get_ports()):
            if wanted in name:
                port.open_port(index, virtual_name)
                return name
        log.warning("MIDI %s '%s' not found; opening a virtual port instead", kind, wanted)
    port.open_virtual_port(virtual_name)
    return virtual_name


class EventTimes:
    """``time.monotonic()`` times of incoming messages from the backend's own time deltas.

    The reader can take a message from rtmidi's queue tens of milliseconds after it
    came, while the daemon's other threads hold the GIL, and a MIDI clock timed by
    its arrival would wobble. rtmidi gives each message the time since the previous
    one, taken by the backend (JACK: its process cycle); their sum, anchored by the
    least delayed arrival, times every message as the backend saw it. The anchor
    may rise by ``drift_per_s`` a second, so that it follows a backend clock that
    runs slower than the system's.
    """

    def __init__(self, drift_per_s: float = 1e-3) -> None:
        self._drift_per_s = drift_per_s
        self._elapsed_s: float | None = None
        self._offset_s = float("inf")

    def __call__(self, delta_s: float, arrival_s: float) -> float:
        """The time of a message ``delta_s`` after the previous one, whose callback ran at ``arrival_s``."""
        if self._elapsed_s is None:
            self._elapsed_s, delta_s = 0.0, 0.0  # the first message's delta means nothing
        else:
            self._elapsed_s += delta_s
        self._offset_s = min(self._offset_s + self._drift_per_s * delta_s, arrival_s - self._elapsed_s)
        return self._offset_s + self._elapsed_s


class RtMidiPorts:
    """MIDI input and output through python-rtmidi: ALSA, or JACK where the C callbacks are not built.

    Parameters
    ----------
    config : MidiConfig
        Client and port names.
    on_message : callable
        Receives every incoming message as ``RawMidi``; must not block.
    api : {"jack", "alsa"}
    """

    def __init__(self, config: MidiConfig, on_message: Callable[[RawMidi], None], api: str) -> None:
        self._config = config
        self._on_message = on_message
        self._lock = threading.Lock()
        self._in = None
        self._out = None
        self._reader: threading.Thread | None = None
        self._reading = threading.Event()
        self.api = api
        self.in_name = ""
        self.out_name = ""

    def open(self) -> None:
        """Open both ports; raises ``MidiUnavailable`` when the backend cannot be used."""
        api = self.api
        client = self._config.client_name
        try:
            midi_in = rtmidi.MidiIn(API_BY_NAME[api], f"{client}-in", queue_size_limit=IN_QUEUE_MESSAGES)
            midi_out = rtmidi.MidiOut(API_BY_NAME[api], f"{client}-out")
            midi_in.ignore_types(sysex=False, timing=False, active_sense=True)
            in_name = _open(midi_in, self._config.in_connect, self._config.in_port, "input")
            out_name = _open(midi_out, self._config.out_connect, self._config.out_port, "output")
        except (rtmidi.SystemError, rtmidi.InvalidPortError, rtmidi.NoDevicesError) as exc:
            raise MidiUnavailable(f"{api} MIDI could not be opened: {exc}") from exc
        with self._lock:
            self._in, self._out = midi_in, midi_out
            self.in_name, self.out_name = in_name, out_name
        self._start_reader(midi_in)

    def _start_reader(self, midi_in) -> None:
        self._reading.set()
        self._reader = threading.Thread(target=self._read, args=(midi_in, EventTimes()), name="midi-in",
                                        daemon=True)
        self._reader.start()

    def _read(self, midi_in, times: EventTimes) -> None:
        """Hand on every message rtmidi queued, until the port is closed or abandoned.

        ``get_message`` reads rtmidi's own queue and never calls into the backend,
        so it is safe on a port whose JACK server died.
        """
        while self._reading.is_set():
            event = midi_in.get_message()
            if event is None:
                time.sleep(IN_POLL_S)
                continue
            data, delta_s = event
            self._on_message(RawMidi(tuple(data), times(delta_s, time.monotonic())))

    def _stop_reader(self) -> None:
        self._reading.clear()
        reader, self._reader = self._reader, None
        if reader is not None and reader is not threading.current_thread():
            reader.join()

    def send(self, data: Sequence[int], due_s: float | None = None) -> bool:
        """Send one message now (rtmidi cannot place it later); False when no output is open."""
        with self._lock:
            if self._out is None:
                return False
            self._out.send_message(list(data))
            return True

    lead_s = 0.0  # rtmidi sends at once

    def counts(self) -> ClientCounts:
        """rtmidi counts nothing."""
        return ClientCounts()

    @property
    def is_open(self) -> bool:
        return self._out is not None

    def abandon(self) -> None:
        """Forget ports whose JACK server died, without calling into it."""
        self._stop_reader()
        with self._lock:
            for port in (self._in, self._out):
                abandon_client(port)
            self._in = self._out = None

    def close(self) -> None:
        self._stop_reader()  # first, so no message is handed on while the port goes
        with self._lock:
            midi_in, midi_out = self._in, self._out
            self._in = self._out = None
        for port in (midi_in, midi_out):
            if port is not None:
                port.close_port()
                port.delete()


class MidiPorts:
    """The daemon's MIDI input and output: on JACK two clients with C callbacks (``JackMidiPorts``), timed to
    the frame; on ALSA, or where the C callbacks are not built, python-rtmidi (``RtMidiPorts``).

    Opened again after a JACK server comes back, on the backend that fits then; what the ports counted before
    is kept.

    Parameters
    ----------
    config : MidiConfig
        Backend, client and port names.
    on_message : callable
        Receives every incoming message as ``RawMidi``; must not block.
    """

    def __init__(self, config: MidiConfig, on_message: Callable[[RawMidi], None]) -> None:
        self._config = config
        self._on_message = on_message
        self._lock = threading.Lock()
        self._ports = None
        self._earlier = ClientCounts()  # what ports closed or abandoned before counted

    def open(self) -> None:
        """Open both ports; raises ``MidiUnavailable`` when the backend cannot be used."""
        api = choose_api(self._config.api)
        _require_backend(api)
        ports = self._ports_for(api)
        ports.open()
        with self._lock:
            self._ports = ports
        log.info("MIDI (%s%s): in '%s', out '%s'", api, "" if isinstance(ports, RtMidiPorts) else ", frame-timed",
                 ports.in_name, ports.out_name)

    def _ports_for(self, api: str):
        if api == "jack":
            problem = native_callbacks_problem()
            if not problem:
                from bridge.io.jack_midi import JackMidiPorts

                return JackMidiPorts(self._config, self._on_message)
            log.warning("%s; JACK MIDI goes through rtmidi instead, timed only to the JACK period", problem)
        return RtMidiPorts(self._config, self._on_message, api)

    def send(self, data: Sequence[int], due_s: float | None = None) -> bool:
        """Send one message due at ``due_s`` (``time.monotonic()``; None: now); False when no output is open.

        On JACK it goes out at that exact frame when sent ``lead_s`` early, else at the start of the next cycle;
        through rtmidi, now.
        """
        ports = self._ports
        return ports is not None and ports.send(data, due_s)

    @property
    def lead_s(self) -> float:
        """How long before its time a message must be sent to go out on time (0: sent at once)."""
        ports = self._ports
        return ports.lead_s if ports is not None else 0.0

    def counts(self) -> ClientCounts:
        """Outgoing events written late and incoming ones lost on JACK, since the daemon started."""
        ports = self._ports
        now = ports.counts() if ports is not None else ClientCounts()
        return ClientCounts(self._earlier.late_events + now.late_events,
                            max(self._earlier.worst_late_frames, now.worst_late_frames),
                            self._earlier.received_dropped + now.received_dropped)

    @property
    def api(self) -> str:
        ports = self._ports
        return ports.api if ports is not None else ""

    @property
    def is_open(self) -> bool:
        ports = self._ports
        return ports is not None and ports.is_open

    def _take(self):
        """The open ports, forgotten here, their counts kept."""
        with self._lock:
            self._earlier = self.counts()
            ports, self._ports = self._ports, None
        return ports

    def abandon(self) -> None:
        """Forget ports whose JACK server died, without calling into it."""
        if (ports := self._take()) is not None:
            ports.abandon()

    def close(self) -> None:
        if (ports := self._take()) is not None:
            ports.close()
