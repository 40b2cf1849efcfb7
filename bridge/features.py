"""Audio features shared by training and live inference: a streaming resampler and a causal log-mel.

Training computes its features by streaming whole files through the same
classes the analysis thread feeds block by block, so the two can never drift.
Frames are causal: frame ``k`` covers the ``n_fft`` samples that end at sample
``(k + 1) * hop``, so its time stamp is the time of its last sample and it never
waits for audio that has not arrived.

The analysis window is asymmetric: a long rising half-Hann and a short falling
one (``window_fall`` samples, 5.8 ms by default). A symmetric Hann window
weighs the newest samples near zero, so an onset would only show in the
features about half a window (23 ms) after it happened; this window shows it
within the frame it falls in, at the frequency resolution of the long window.

Example
-------
>>> stream = LogMelStream(DRUM_FEATURES)
>>> frames = stream.process(np.zeros(22050, np.float32), 22050)  # one second
>>> frames.shape
(100, 80)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Callable

import librosa
import numpy as np
from scipy import signal


@dataclass(frozen=True)
class FeatureSpec:
    """Log-mel settings; they are part of each model's contract (manifest ``features``)."""

    sample_rate_hz: int = 22050
    n_fft: int = 1024
    hop: int = 220
    n_mels: int = 80
    fmin_hz: float = 20.0
    fmax_hz: float = 11025.0
    log_gain: float = 1000.0
    window_fall: int = 128  # samples of the window's falling side; 0 = symmetric Hann

    @property
    def hop_s(self) -> float:
        return self.hop / self.sample_rate_hz

    def at_phases(self, phases: int) -> "FeatureSpec":
        """These frames ``phases`` times as often (the hop divided by ``phases``): the stream of a drum network
        run at that many phases a hop.

        Raises
        ------
        ValueError
            ``phases`` is below 1 or does not divide the hop.
        """
        if phases < 1 or self.hop % phases:
            raise ValueError(f"{phases} phases do not divide the hop of {self.hop} samples")
        return replace(self, hop=self.hop // phases)

    def frames_between(self, per_s: float) -> int:
        """Frames between two of ``per_s`` events a second (an engine's updates), at least 1."""
        return max(1, round(1.0 / (per_s * self.hop_s)))

    def as_dict(self) -> dict[str, float]:
        return {"sample_rate_hz": self.sample_rate_hz, "n_fft": self.n_fft, "hop": self.hop,
                "n_mels": self.n_mels, "fmin_hz": self.fmin_hz, "fmax_hz": self.fmax_hz, "log_gain": self.log_gain,
                "window_fall": self.window_fall}


DRUM_FEATURES = FeatureSpec()
# Instrument activity: 20 ms hop (50 frames a second), 96 mels, symmetric window (latency matters less).
INSTRUMENT_FEATURES = FeatureSpec(hop=441, n_mels=96, fmin_hz=30.0, window_fall=0)


@lru_cache(maxsize=8)
def mel_basis(spec: FeatureSpec) -> np.ndarray:
    """Slaney-normalised mel filters, shape (n_mels, n_fft // 2 + 1), float32."""
    return librosa.filters.mel(sr=spec.sample_rate_hz, n_fft=spec.n_fft, n_mels=spec.n_mels,
                               fmin=spec.fmin_hz, fmax=spec.fmax_hz).astype(np.float32)


def analysis_window(spec: FeatureSpec) -> np.ndarray:
    """Rising half-Hann over ``n_fft - window_fall`` samples, falling half-Hann over ``window_fall``; float32."""
    if spec.window_fall == 0:
        return signal.get_window("hann", spec.n_fft).astype(np.float32)
    rise = spec.n_fft - spec.window_fall
    return np.concatenate((np.hanning(2 * rise)[:rise], np.hanning(2 * spec.window_fall)[spec.window_fall:])).astype(np.float32)


def log_compress(mel_power: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """``log10(1 + gain * mel)``: bounded at silence, near-logarithmic above it."""
    return np.log10(1.0 + spec.log_gain * mel_power).astype(np.float32)


def log_expand(features: np.ndarray, spec: FeatureSpec) -> np.ndarray:
    """The mel power that ``log_compress`` turned into ``features`` (its inverse); float32."""
    return ((10.0 ** features.astype(np.float32) - 1.0) / spec.log_gain).astype(np.float32)


class StreamResampler:
    """Causal, stateful resampling of a block stream to a fixed rate.

    A 10th-order Butterworth low-pass (at 45% of the lower rate) keeps aliasing
    out; linear interpolation then reads the filtered signal at the target
    instants. Blocks of any size give the same output as one long block.

    The filter runs in transfer-function form (``lfilter``): in blocks of one
    frame, ``sosfilt``'s argument handling cost several times the filtering
    itself. From 8 to 384 kHz the two forms agree to about 1e-6 of full scale,
    below what a float32 log-mel resolves.

    Parameters
    ----------
    target_hz : int
        Output sample rate.
    """

    def __init__(self, target_hz: int) -> None:
        self.target_hz = target_hz
        self.reset()

    def reset(self) -> None:
        """Forget the stream; the next block sets the filter up again for its rate."""
        self.source_hz = 0
        self._filter = None
        self._zi = None
        self._last = 0.0
        self._next_position = 0.0  # of the next output sample, in input samples from the last one kept

    def _configure(self, source_hz: int) -> None:
        self.source_hz = source_hz
        self._filter = None
        if source_hz != self.target_hz:
            cutoff = 0.45 * min(source_hz, self.target_hz) / (source_hz / 2)
            self._filter = signal.butter(10, cutoff)
            self._zi = np.zeros(10)
        self._last = 0.0
        self._next_position = 0.0

    def inputs_needed(self, outputs: int, source_hz: int) -> int:
        """Input samples at ``source_hz`` after which ``process`` will have returned ``outputs`` more samples."""
        if source_hz != self.source_hz:
            self._configure(source_hz)
        if self._filter is None or outputs <= 0:
            return max(0, outputs)
        last_position = self._next_position + (outputs - 1) * source_hz / self.target_hz
        return max(0, math.ceil(last_position - 1e-9))

    def process(self, samples: np.ndarray, source_hz: int) -> np.ndarray:
        """Resample one block; returns float32 at ``target_hz``."""
        if source_hz != self.source_hz:
            self._configure(source_hz)
        if self._filter is None:
            return samples.astype(np.float32, copy=False)
        if len(samples) == 0:
            return np.zeros(0, np.float32)
        filtered, self._zi = signal.lfilter(*self._filter, samples, zi=self._zi)
        # Position 0 is the last sample of the previous block, 1.. are this block's.
        extended = np.concatenate(([self._last], filtered))
        step = source_hz / self.target_hz
        positions = np.arange(self._next_position, len(filtered) + 1e-9, step)
        out = np.interp(positions, np.arange(len(extended)), extended)
        self._next_position = (positions[-1] + step - len(filtered)) if len(positions) else self._next_position - len(filtered)
        self._last = float(filtered[-1])
        return out.astype(np.float32)


class LogMelStream:
    """Causal log-mel frames from a block stream of any sample rate.

    Parameters
    ----------
    spec : FeatureSpec
        Frame, hop and mel settings.
    on_samples : callable, optional
        Called with the stream's samples at ``spec.sample_rate_hz`` as they are
        resampled, in order and before the frames they complete are returned.

    Notes
    -----
    The stream starts with ``n_fft - hop`` samples of silence, so the first
    frame ends after the first ``hop`` samples.
    """

    def __init__(self, spec: FeatureSpec = DRUM_FEATURES,
                 on_samples: Callable[[np.ndarray], None] | None = None) -> None:
        self.spec = spec
        self.on_samples = on_samples
        self._resampler = StreamResampler(spec.sample_rate_hz)
        self._window = analysis_window(spec)
        # Built here, not on the first frame: librosa loads its filter code then, and holding the
        # interpreter lock for a third of a second in the analysis thread stalled the OSC thread.
        self._mel_basis_t = mel_basis(spec).T
        self._frame_span = np.arange(spec.n_fft)  # sample indices of one frame, for gathering frames
        self.reset()

    def reset(self) -> None:
        """Forget all audio (the next frame starts from silence)."""
        self._resampler.reset()
        self._buffer = np.zeros(self.spec.n_fft - self.spec.hop, dtype=np.float32)
        self._pending: list[np.ndarray] = []  # input not resampled yet: it completes no frame
        self._pending_samples = 0
        self._pending_hz = 0
        self.frames_out = 0

    def _resample_pending(self) -> None:
        if self._pending:
            block = np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]
            resampled = self._resampler.process(block, self._pending_hz)
            if self.on_samples is not None:
                self.on_samples(resampled)
            self._buffer = np.concatenate((self._buffer, resampled))
        self._pending, self._pending_samples = [], 0

    def samples_wanted(self, sample_rate_hz: int) -> int:
        """Input samples at ``sample_rate_hz`` after which ``process`` will return the next frame (at least 1)."""
        if sample_rate_hz != self._resampler.source_hz or sample_rate_hz != self._pending_hz:
            return max(1, math.ceil(self.spec.hop * sample_rate_hz / self.spec.sample_rate_hz))  # a new rate
        needed = self._resampler.inputs_needed(self.spec.n_fft - len(self._buffer), sample_rate_hz)
        return max(1, needed - self._pending_samples)

    def process(self, samples: np.ndarray, sample_rate_hz: int) -> np.ndarray:
        """Append a block; returns the frames it completed, shape (frames, n_mels), float32.

        Input that cannot complete a frame yet waits, unresampled: the output is the
        same, and small blocks cost one resampling per frame instead of one per block.
        """
        spec = self.spec
        if sample_rate_hz != self._pending_hz:
            self._resample_pending()
            self._pending_hz = sample_rate_hz
        self._pending.append(np.asarray(samples, dtype=np.float32))
        self._pending_samples += len(samples)
        if self._pending_samples < self._resampler.inputs_needed(spec.n_fft - len(self._buffer), sample_rate_hz):
            return np.zeros((0, spec.n_mels), dtype=np.float32)
        self._resample_pending()
        count = max(0, (len(self._buffer) - spec.n_fft) // spec.hop + 1)
        if count == 0:
            return np.zeros((0, spec.n_mels), dtype=np.float32)
        # A plain gather: sliding_window_view's set-up cost more than the copy for the one or two frames of a live block.
        frames = self._buffer[np.arange(0, count * spec.hop, spec.hop)[:, None] + self._frame_span]
        power = np.abs(np.fft.rfft(frames * self._window, axis=1)) ** 2
        self._buffer = self._buffer[count * spec.hop:]
        self.frames_out += count
        return log_compress(power.astype(np.float32) @ self._mel_basis_t, spec)


def log_mel(audio: np.ndarray, sample_rate_hz: int, spec: FeatureSpec = DRUM_FEATURES) -> np.ndarray:
    """Causal log-mel frames of a whole signal, exactly as the live stream computes them.

    Returns
    -------
    np.ndarray
        Shape (len(audio) // hop, n_mels) at ``spec.sample_rate_hz``; frame ``k`` ends at ``(k + 1) * hop_s``.
    """
    return LogMelStream(spec).process(audio, sample_rate_hz)
