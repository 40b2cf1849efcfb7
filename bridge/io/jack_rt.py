"""JACK process callbacks that never wait for Python: the audio input's tap, and timed MIDI and audio ports.

A process callback in Python needs the interpreter lock, and a JACK thread that waits for it while another
thread holds it misses its cycle: the audio of that cycle is lost (a click), the MIDI due in it goes late.
Measured with the trio over JACK on a loaded 2-core machine, the Python callbacks of the daemon's audio input
and of the player were the clients jackd found unfinished in most of its xruns. The callbacks here are C
(``jack_rt.c``, built with the package): they copy between JACK's buffers and lock-free rings, and Python
reads and writes those rings from its own threads, whenever it gets to it.

Example
-------
>>> client = jack.Client("tap")
>>> tap = AudioTap(client, [client.inports.register("in_1")], capacity=48000)
>>> client.activate()
>>> samples, position, missed = tap.read(0)
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass

import numpy as np
from cffi import FFI

log = logging.getLogger("bridge.jack")

EVENT_BYTES = 32  # jack_rt.c's: the longest MIDI event sent; longer received ones are cut to this

_ffi = FFI()
_ffi.cdef(f"""
typedef struct jack_rt_tap jack_rt_tap;
typedef struct jack_rt_client jack_rt_client;
typedef struct {{ int64_t frame; double time_s; uint32_t size; unsigned char data[{EVENT_BYTES}]; }} jack_rt_received;
typedef struct {{ const float *samples; uint64_t length; int64_t start_frame; }} jack_rt_audio;
int jack_rt_init(const char *library_name);
jack_rt_tap *jack_rt_tap_open(void *client, void **ports, uint32_t n_ports, uint64_t capacity);
void jack_rt_tap_free(jack_rt_tap *tap);
void jack_rt_tap_counts(const jack_rt_tap *tap, uint64_t counts[4]);
uint64_t jack_rt_tap_read(const jack_rt_tap *tap, uint64_t position, float *out, uint64_t max_samples, uint64_t *missed);
int jack_rt_tap_wait(jack_rt_tap *tap, uint64_t samples, double timeout_s);
jack_rt_client *jack_rt_client_open(void *client, void *midi_out, void *midi_in, void *audio_out, double sample_rate_hz,
                                    uint64_t capacity);
void jack_rt_client_free(jack_rt_client *rt);
int jack_rt_client_send(jack_rt_client *rt, int64_t frame, const unsigned char *data, uint32_t size);
uint64_t jack_rt_client_receive(jack_rt_client *rt, jack_rt_received *out, uint64_t max_events);
int jack_rt_client_wait(jack_rt_client *rt, double timeout_s);
void jack_rt_client_play(jack_rt_client *rt, jack_rt_audio *audio);
int jack_rt_client_taken(const jack_rt_client *rt);
void jack_rt_client_counts(const jack_rt_client *rt, uint64_t counts[3]);
""")


class NativeCallbacksUnavailable(RuntimeError):
    """The C callbacks were not built or libjack's functions were not found."""


_library = None
_NEXT_CYCLE = -(2 ** 63)  # jack_rt.c's NEXT_CYCLE: the audio starts with the cycle that takes it


def _load():
    """The compiled ``jack_rt.c``, its libjack functions looked up in JACK-Client's libjack (once)."""
    global _library
    if _library is None:
        import jack

        spec = importlib.util.find_spec("bridge.io._jack_rt")
        if spec is None or spec.origin is None:
            raise NativeCallbacksUnavailable("the C JACK callbacks (bridge/io/jack_rt.c) were not built: "
                                             "reinstall mir-bridge where a C compiler is available")
        library = _ffi.dlopen(spec.origin)
        if library.jack_rt_init(jack._libname.encode()) != 0:
            raise NativeCallbacksUnavailable(f"libjack's functions were not found in {jack._libname}")
        _library = library
    return _library


def native_callbacks_problem() -> str:
    """Why the C callbacks cannot be used here, or "" when they can."""
    try:
        _load()
    except (NativeCallbacksUnavailable, OSError) as exc:
        return str(exc)
    return ""


def _pointer(jack_object) -> object:
    """A JACK-Client client's or port's C pointer, for this module's functions."""
    import jack

    return _ffi.cast("void *", int(jack._ffi.cast("uintptr_t", jack_object._ptr)))


@dataclass(frozen=True)
class TapCounts:
    """What the tap's callback counted since it started."""

    blocks: int  # process cycles run
    frames_skipped: int  # frames of cycles it did not see: the server's timeline jumped past them
    frames_repeated: int  # frames of cycles it saw twice


class AudioTap:
    """The mono mix of a client's input ports, written into a ring by a C process callback.

    Reads like ``bridge.ringbuffer.RingBuffer`` (``written``, ``read``). Made before the client is activated;
    ``free`` once it is closed: the tap then reads as empty, whichever thread still asks.

    Parameters
    ----------
    client : jack.Client
        Not yet activated.
    ports : list of jack.OwnPort
        Its input ports (at most 8).
    capacity : int
        Samples the ring holds.
    """

    def __init__(self, client, ports: list, capacity: int) -> None:
        self._library = _load()
        self.capacity = capacity
        pointers = _ffi.new("void *[]", [_pointer(p) for p in ports])
        self._tap = self._library.jack_rt_tap_open(_pointer(client), pointers, len(ports), capacity)
        if self._tap == _ffi.NULL:
            raise NativeCallbacksUnavailable("the audio tap could not be set up (out of memory or ports)")
        self._lock = threading.Lock()  # against free() while another thread reads
        self._waiting = threading.Lock()  # against free() while the reader sleeps in wait_for (counts go on)
        self._counts = _ffi.new("uint64_t[4]")
        self._missed = _ffi.new("uint64_t *")

    def _read_counts(self) -> list[int]:
        with self._lock:
            if self._tap != _ffi.NULL:
                self._library.jack_rt_tap_counts(self._tap, self._counts)
            return list(self._counts)

    @property
    def written(self) -> int:
        """Samples written since the start."""
        return self._read_counts()[0]

    def counts(self) -> TapCounts:
        return TapCounts(*self._read_counts()[1:])

    def read(self, position: int, max_samples: int | None = None) -> tuple[np.ndarray, int, int]:
        """Samples from absolute ``position`` on: (a copy of them, where the next read starts, samples missed)."""
        available = min(max(0, self.written - position), self.capacity)
        out = np.empty(available if max_samples is None else min(available, max_samples), np.float32)
        with self._lock:
            if self._tap == _ffi.NULL:
                return out[:0], position, 0
            n = self._library.jack_rt_tap_read(self._tap, position, _ffi.from_buffer("float[]", out), len(out),
                                               self._missed)
            missed = int(self._missed[0])
        return out[:n], position + missed + n, missed

    def wait_for(self, samples: int, timeout_s: float) -> bool:
        """Sleep until ``samples`` samples have been written since the start, or ``timeout_s`` passes (the
        callback wakes the reader after each cycle); True if they have. One reader at a time."""
        with self._waiting:
            if self._tap == _ffi.NULL:
                return False
            return bool(self._library.jack_rt_tap_wait(self._tap, samples, timeout_s))

    def free(self) -> None:
        with self._waiting, self._lock:
            if self._tap != _ffi.NULL:
                self._library.jack_rt_tap_free(self._tap)
                self._tap = _ffi.NULL


@dataclass(frozen=True)
class ClientCounts:
    """What a ``ClientCallbacks`` callback counted since it started."""

    late_events: int = 0  # MIDI events sent after the cycle they were due in (this client missed it)
    worst_late_frames: int = 0  # the latest of them, in frames
    received_dropped: int = 0  # MIDI events received while the ring was full: lost


class ClientCallbacks:
    """MIDI out at exact JACK frames, MIDI in with their frames, audio out from a frame on: a C process
    callback on any of a client's three ports. Made before the client is activated; ``free`` only after it
    is closed. ``send`` and ``play`` from one thread at a time, ``receive`` from one thread at a time.

    Parameters
    ----------
    midi_out, midi_in, audio_out : jack.OwnPort or None
        The client's ports; None for one it does not have.
    capacity : int
        Events that can wait to be sent, and received events that can wait to be read.
    """

    def __init__(self, client, midi_out=None, midi_in=None, audio_out=None, capacity: int = 1 << 15) -> None:
        self._library = _load()
        ports = [_ffi.NULL if port is None else _pointer(port) for port in (midi_out, midi_in, audio_out)]
        self._rt = self._library.jack_rt_client_open(_pointer(client), *ports, float(client.samplerate), capacity)
        if self._rt == _ffi.NULL:
            raise NativeCallbacksUnavailable("the MIDI/audio callback could not be set up (out of memory)")
        self._received = _ffi.new("jack_rt_received[]", 1024)
        self._last_counts = ClientCounts()
        self._freeing = threading.Lock()  # against free() while another thread reads the counts
        self._playing: list[tuple[object, np.ndarray]] = []  # audio handed over, kept until the callback lets go
        self._dropped = 0  # received events lost, as last reported

    def send(self, frame: int, data: bytes) -> None:
        """Queue a MIDI event for JACK frame time ``frame``.

        Raises
        ------
        ValueError
            The event is longer than ``EVENT_BYTES``, or more than ``capacity`` wait already.
        """
        if self._library.jack_rt_client_send(self._rt, frame, data, len(data)) != 0:
            raise ValueError(f"MIDI event of {len(data)} bytes not queued (at most {EVENT_BYTES} bytes, "
                             "or too many events waiting)")

    def receive(self) -> list[tuple[int, bytes, float]]:
        """Events received since the last call: (JACK frame, bytes, time.monotonic() seconds)."""
        events = []
        while n := self._library.jack_rt_client_receive(self._rt, self._received, len(self._received)):
            for event in self._received[0:n]:
                events.append((event.frame, _ffi.buffer(event.data, min(event.size, EVENT_BYTES))[:], event.time_s))
        dropped = self.counts().received_dropped
        if dropped > self._dropped:
            log.warning("%d MIDI events received were lost: more arrived than the ring holds before "
                        "they were read", dropped - self._dropped)
            self._dropped = dropped
        return events

    def wait(self, timeout_s: float) -> bool:
        """Sleep until an event ``receive`` has not returned yet has come in, or ``timeout_s`` passes; True if one
        has. From the thread that receives, never after ``free``."""
        return bool(self._library.jack_rt_client_wait(self._rt, timeout_s))

    def play(self, samples: np.ndarray, start_frame: int | None) -> None:
        """Play mono float32 samples from JACK frame time ``start_frame`` on (None: from the start of the
        next cycle), instead of what plays."""
        samples = np.ascontiguousarray(samples, np.float32)
        start = _NEXT_CYCLE if start_frame is None else start_frame
        audio = _ffi.new("jack_rt_audio *", (_ffi.from_buffer("float[]", samples), len(samples), start))
        if self._library.jack_rt_client_taken(self._rt):
            self._playing = self._playing[-1:]  # the callback has let go of all but the one it took last
        self._playing.append((audio, samples))
        self._library.jack_rt_client_play(self._rt, audio)

    def counts(self) -> ClientCounts:
        """What the callback counted since it started (the last counts read, once freed); any thread."""
        with self._freeing:
            if self._rt != _ffi.NULL:
                counts = _ffi.new("uint64_t[3]")
                self._library.jack_rt_client_counts(self._rt, counts)
                self._last_counts = ClientCounts(*counts)
            return self._last_counts

    def free(self) -> None:
        """Once the client is closed; only the counts can be read after."""
        self.counts()
        with self._freeing:
            self._library.jack_rt_client_free(self._rt)
            self._rt = _ffi.NULL
