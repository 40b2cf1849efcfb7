"""Audio input through sounddevice (PortAudio: JACK, ALSA, CoreAudio, ...).

The stream callback copies the block (mixed to mono) into a ring buffer and
counts overflows; nothing else happens on the audio thread.
"""

from __future__ import annotations

import ctypes
import logging
import time

import numpy as np
import sounddevice as sd

from bridge.config import AudioConfig
from bridge.counters import Counters
from bridge.ringbuffer import RingBuffer

log = logging.getLogger("bridge.audio")


class AudioUnavailable(RuntimeError):
    """No usable audio input."""


def refresh_devices(client_name: str = "mir-bridge") -> None:
    """Re-initialise PortAudio so it sees a JACK server started (or restarted) after import.

    Also names PortAudio's JACK client, so its ports read ``client_name:in_1``
    instead of ``PortAudio:in_0``.
    """
    try:
        ctypes.CDLL(sd._libname).PaJack_SetClientName(client_name.encode())
    except (OSError, AttributeError):
        pass  # PortAudio built without JACK
    sd._terminate()
    sd._initialize()


def _pick_device(setting: str) -> int | None:
    if setting == "":
        return None
    if setting.isdigit():
        return int(setting)
    for index, device in enumerate(sd.query_devices()):
        if setting in device["name"] and device["max_input_channels"] > 0:
            return index
    raise AudioUnavailable(f"no audio input device matches '{setting}'")


class AudioInput:
    """An input stream writing mono float32 into a ring buffer.

    Parameters
    ----------
    config : AudioConfig
        Device, rate, block size and channels.
    counters : Counters
        ``audio_blocks``, ``audio_overflows``.
    client_name : str
        JACK client name for PortAudio.
    """

    def __init__(self, config: AudioConfig, counters: Counters, client_name: str = "mir-bridge-audio") -> None:
        self._config = config
        self._counters = counters
        self._client_name = client_name
        self._stream: sd.InputStream | None = None
        self.ring = RingBuffer(1)
        self.sample_rate_hz = 0
        self.last_block_time_s = 0.0
        self.problem = ""  # set when the rate had to change; reported by the daemon

    def open(self) -> None:
        """Open and start the stream; raises ``AudioUnavailable``."""
        refresh_devices(self._client_name)
        try:
            device = _pick_device(self._config.device)
            info = sd.query_devices(device, "input")
        except (sd.PortAudioError, ValueError) as exc:
            raise AudioUnavailable(f"no audio input device: {exc}") from exc
        rate = self._config.sample_rate_hz or int(info["default_samplerate"])
        if rate != int(info["default_samplerate"]):
            try:
                sd.check_input_settings(device, samplerate=rate, channels=self._config.channels)
            except sd.PortAudioError as exc:
                fallback = int(info["default_samplerate"])
                self.problem = f"sample rate {rate} Hz not supported by '{info['name']}' ({exc}); using {fallback} Hz"
                rate = fallback
        channels = min(self._config.channels, int(info["max_input_channels"]))
        self.ring = RingBuffer(int(self._config.ring_seconds * rate))
        try:
            self._stream = sd.InputStream(
                device=device, samplerate=rate, blocksize=self._config.block_size,
                channels=channels, dtype="float32", callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            self._stream = None
            raise AudioUnavailable(f"audio input '{info['name']}' could not start: {exc}") from exc
        self.sample_rate_hz = rate
        log.info("audio in: '%s', %d Hz, block %d, %d channel(s)", info["name"], rate, self._config.block_size, channels)

    def _callback(self, indata: np.ndarray, frames: int, _time, status: sd.CallbackFlags) -> None:
        if status.input_overflow:
            self._counters.add("audio_overflows")
        self.ring.write(indata[:, 0] if indata.shape[1] == 1 else indata.mean(axis=1))
        self.last_block_time_s = time.monotonic()
        self._counters.add("audio_blocks")

    @property
    def active(self) -> bool:
        return self._stream is not None and self._stream.active

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close(ignore_errors=True)
            self._stream = None
