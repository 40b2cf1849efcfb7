"""Audio input: JACK ports through JACK-Client, or any other device through sounddevice.

Either way the callback only mixes the block to mono, copies it into a ring
buffer and counts; the analysis thread does everything else. JACK's callback is
C (``bridge.io.jack_rt``) and never waits for the interpreter lock.

Why two backends: PortAudio's JACK host API cannot survive the JACK server
going away (``Pa_CloseStream`` hangs and ``Pa_Terminate`` crashes once the
server is gone), and a performer's JACK server does restart. With JACK the
daemon therefore owns its audio client and replaces it when the server comes
back; sounddevice serves ALSA, CoreAudio, WASAPI and the like.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import astuple

import numpy as np

from bridge.config import AudioConfig
from bridge.counters import Counters
from bridge.io.jack_rt import AudioTap, TapCounts, native_callbacks_problem
from bridge.io.jack_server import abandon_client, jack_server_running, metadata_damage, open_client
from bridge.ringbuffer import RingBuffer

log = logging.getLogger("bridge.audio")


class AudioUnavailable(RuntimeError):
    """No usable audio input."""


class AudioInput:
    """What both backends share: a ring of mono float32 samples the analysis thread reads, and its rate.

    Subclasses implement ``open``, ``close`` and ``abandon`` (forget a
    stream whose server died, without touching it).
    """

    backend = ""

    def __init__(self, config: AudioConfig, counters: Counters, client_name: str) -> None:
        self._config = config
        self._counters = counters
        self._client_name = client_name
        self.ring: RingBuffer | AudioTap = RingBuffer(1)
        self.sample_rate_hz = 0
        self.problem = ""  # a setting that could not be honoured; the daemon reports it
        self.description = ""

    def count(self) -> None:
        """Bring the counters up to date with what the input counted outside Python (before a status)."""

    @property
    def active(self) -> bool:
        raise NotImplementedError

    @property
    def period_frames(self) -> int:
        """Frames the input brings at a time (0 while closed): JACK's period now, which may change while it runs,
        or the PortAudio block."""
        raise NotImplementedError

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abandon(self) -> None:
        raise NotImplementedError


class JackAudioInput(AudioInput):
    """JACK input ports ``<client_name>:in_1 ..``, connected to ``device`` (a port-name regex)
    or, by default, to the physical capture ports.

    The process callback is C (``bridge.io.jack_rt.AudioTap``): it fills the ring without ever waiting
    for the interpreter lock, so a busy Python thread cannot make it miss a cycle.
    """

    backend = "jack"

    def __init__(self, config: AudioConfig, counters: Counters, client_name: str) -> None:
        super().__init__(config, counters, client_name)
        self._client = None
        self._counted = TapCounts(0, 0, 0)  # what the tap had counted when the counters last took it
        self._counting = threading.Lock()  # a status (OSC thread) and the JACK watch's abandon may count at once

    def open(self) -> None:
        if problem := native_callbacks_problem():
            raise AudioUnavailable(f'{problem}; audio.backend = "portaudio" takes JACK audio through PortAudio')
        client = open_client(self._client_name)
        if client is None:
            raise AudioUnavailable("no JACK server is running")
        ports = [client.inports.register(f"in_{i + 1}") for i in range(max(1, self._config.channels))]
        self.sample_rate_hz = client.samplerate
        self.ring = AudioTap(client, ports, int(self._config.ring_seconds * client.samplerate))
        self._counted = TapCounts(0, 0, 0)
        client.activate()
        self._client = client
        if self._config.sample_rate_hz and self._config.sample_rate_hz != client.samplerate:
            self.problem = (f"JACK runs at {client.samplerate} Hz; the configured {self._config.sample_rate_hz} Hz "
                            "cannot be used (the engines resample)")
        self._connect_sources(client, ports)
        self.description = f"JACK '{client.name}', {client.samplerate} Hz, period {client.blocksize}"
        log.info("audio in: %s, %d port(s)", self.description, len(ports))

    def count(self) -> None:
        """Add what the tap counted since the last call to the counters (audio_blocks, audio_frames_skipped,
        audio_frames_repeated)."""
        with self._counting:
            counts = self.ring.counts()
            for name, now, before in zip(("audio_blocks", "audio_frames_skipped", "audio_frames_repeated"),
                                         astuple(counts), astuple(self._counted)):
                if now > before:
                    self._counters.add(name, now - before)
            self._counted = counts

    def _connect_sources(self, client, ports: list) -> None:
        if self._config.device:
            try:
                pattern = re.compile(self._config.device)
            except re.error as exc:
                self.problem = (f"[audio] device '{self._config.device}' is not a regular expression ({exc}); "
                                "connect a JACK audio output by hand")
                return
            sources = [p for p in client.get_ports(is_audio=True, is_output=True) if pattern.search(p.name)]
            if not sources:
                self.problem = f"no JACK audio output matches '{self._config.device}'; connect one by hand"
        else:
            sources = client.get_ports(is_audio=True, is_output=True, is_physical=True)
        for source, port in zip(sources, ports):
            client.connect(source, port)

    @property
    def active(self) -> bool:
        return self._client is not None

    @property
    def period_frames(self) -> int:
        client = self._client
        return 0 if client is None else client.blocksize

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            self.count()
            client.deactivate()
            client.close()
            self.ring.free()

    def abandon(self) -> None:
        self.count()
        abandon_client(self._client)  # its callback may still run: the tap is never freed
        self._client = None


class PortAudioInput(AudioInput):
    """A sounddevice input stream on ``device`` (name substring or index, "" = default)."""

    backend = "portaudio"

    def __init__(self, config: AudioConfig, counters: Counters, client_name: str) -> None:
        super().__init__(config, counters, client_name)
        self._stream = None
        self._abandoned: list = []

    def open(self) -> None:
        if damage := metadata_damage():  # PortAudio's JACK host API opens a JACK client as it starts
            raise AudioUnavailable(damage)
        import sounddevice as sd

        try:
            device = self._pick_device(sd)
            info = sd.query_devices(device, "input")
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioUnavailable(f"no audio input device: {exc}") from exc
        default_rate = int(info["default_samplerate"])
        rate = self._config.sample_rate_hz or default_rate
        try:
            sd.check_input_settings(device, samplerate=rate, channels=self._config.channels)
        except sd.PortAudioError as exc:
            self.problem = f"{rate} Hz not supported by '{info['name']}' ({exc}); using {default_rate} Hz"
            rate = default_rate
        channels = min(self._config.channels, int(info["max_input_channels"]))
        self.sample_rate_hz = rate
        self.ring = RingBuffer(int(self._config.ring_seconds * rate))
        try:
            self._stream = sd.InputStream(device=device, samplerate=rate, blocksize=self._config.block_size,
                                          channels=channels, dtype="float32", callback=self._callback)
            self._stream.start()
        except sd.PortAudioError as exc:
            self._stream = None
            raise AudioUnavailable(f"audio input '{info['name']}' could not start: {exc}") from exc
        self.description = f"'{info['name']}', {rate} Hz, block {self._config.block_size}"
        log.info("audio in: %s, %d channel(s)", self.description, channels)

    def _pick_device(self, sd) -> int | None:
        setting = self._config.device
        if setting == "":
            return None
        if setting.isdigit():
            return int(setting)
        for index, device in enumerate(sd.query_devices()):
            if setting in device["name"] and device["max_input_channels"] > 0:
                return index
        raise AudioUnavailable(f"no audio input device matches '{setting}'")

    def _callback(self, indata: np.ndarray, frames: int, _time, status) -> None:
        """Mix to mono, copy, count."""
        if status.input_overflow:
            self._counters.add("audio_overflows")
        self.ring.write(indata[:, 0] if indata.shape[1] == 1 else indata.mean(axis=1))
        self._counters.add("audio_blocks")

    @property
    def active(self) -> bool:
        return self._stream is not None and self._stream.active

    @property
    def period_frames(self) -> int:
        return 0 if self._stream is None else self._config.block_size

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close(ignore_errors=True)
            self._stream = None

    def abandon(self) -> None:
        self._abandoned.append(self._stream)
        self._stream = None


def make_audio_input(config: AudioConfig, counters: Counters, client_name: str) -> AudioInput:
    """The backend ``config.backend`` names; ``auto`` is JACK when a JACK server runs."""
    backend = config.backend
    if backend == "auto":
        backend = "jack" if jack_server_running() else "portaudio"
    cls = JackAudioInput if backend == "jack" else PortAudioInput
    return cls(config, counters, client_name)
