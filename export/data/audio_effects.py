"""Random 'recording chain' effects that keep a model from learning the synthesiser.

Each function takes mono float32 audio and a ``numpy.random.Generator`` and
returns new audio of the same length; ``recording_chain`` applies a random
selection of them, as a room, a desk and a mastering chain would.
"""

from __future__ import annotations

import numpy as np
from scipy import signal


def _peaking(freq_hz: float, gain_db: float, q: float, sample_rate_hz: int) -> np.ndarray:
    """RBJ peaking biquad as second-order sections."""
    a = 10 ** (gain_db / 40)
    w0 = 2 * np.pi * freq_hz / sample_rate_hz
    alpha = np.sin(w0) / (2 * q)
    b = np.array([1 + alpha * a, -2 * np.cos(w0), 1 - alpha * a])
    den = np.array([1 + alpha / a, -2 * np.cos(w0), 1 - alpha / a])
    return np.concatenate((b / den[0], den / den[0]))[None, :]


def random_eq(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """Up to three peaking bands of +-9 dB, a high-pass and sometimes a low-pass."""
    nyquist = sample_rate_hz / 2
    sections = [signal.butter(2, rng.uniform(20, 120) / nyquist, "highpass", output="sos")]
    for _ in range(int(rng.integers(1, 4))):
        freq = float(np.exp(rng.uniform(np.log(60), np.log(0.8 * nyquist))))
        sections.append(_peaking(freq, rng.uniform(-9, 9), rng.uniform(0.5, 2.0), sample_rate_hz))
    if rng.random() < 0.3:
        sections.append(signal.butter(2, rng.uniform(0.45, 0.95) * nyquist / nyquist, "lowpass", output="sos"))
    return signal.sosfilt(np.concatenate(sections), audio).astype(np.float32)


def darken(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """A softer player or a duller microphone: a low-pass of 12 dB an octave at 0.7-3 kHz (log-uniform).

    Soft notes of real winds and strings carry little above 2 kHz, far less than a soundfont's at low
    velocity; ``random_eq``'s low-pass stops at 5 kHz.
    """
    cutoff_hz = float(np.exp(rng.uniform(np.log(700.0), np.log(3000.0))))
    return signal.sosfilt(signal.butter(2, cutoff_hz, "lowpass", fs=sample_rate_hz, output="sos"), audio).astype(np.float32)


def compress(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """Feed-forward compressor: threshold -30..-10 dB below the peak, ratio 2-8, 5-20 ms attack."""
    peak = float(np.max(np.abs(audio))) or 1.0
    coefficient = np.exp(-1.0 / (rng.uniform(0.005, 0.02) * sample_rate_hz))
    envelope = signal.lfilter([1 - coefficient], [1, -coefficient], np.abs(audio))
    level_db = 20 * np.log10(np.maximum(envelope / peak, 1e-6))
    threshold_db, ratio = rng.uniform(-30, -10), rng.uniform(2, 8)
    reduction_db = np.minimum(0.0, (threshold_db - level_db) * (1 - 1 / ratio))
    return (audio * 10 ** (reduction_db / 20)).astype(np.float32)


def saturate(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """Soft clipping (tanh) driven 1-6x at the peak."""
    peak = float(np.max(np.abs(audio))) or 1.0
    drive = rng.uniform(1, 6)
    return (np.tanh(drive * audio / peak) * peak / np.tanh(drive)).astype(np.float32)


def guitar_amp(audio: np.ndarray, sample_rate_hz: int, gain: float = 40.0) -> np.ndarray:
    """A high-gain guitar amplifier, as a distorted guitar is recorded from a clean one: the lows tightened
    (high-pass at 120 Hz), the signal driven ``gain`` times its RMS level into a soft clipper, then a speaker
    cabinet's roll-off (4th-order low-pass at 5 kHz). Unlike ``saturate``, no setting is random."""
    nyquist = sample_rate_hz / 2
    tightened = signal.sosfilt(signal.butter(2, 120 / nyquist, "highpass", output="sos"), audio)
    level = float(np.sqrt(np.mean(tightened**2))) or 1.0
    clipped = np.tanh(gain * tightened / level)
    return signal.sosfilt(signal.butter(4, 5000 / nyquist, output="sos"), clipped).astype(np.float32)


def room_impulse(rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """A synthetic room: a few early reflections and an exponentially decaying, darkening tail."""
    rt60_s = rng.uniform(0.15, 1.5)
    n = int(min(rt60_s, 1.2) * sample_rate_hz)
    t = np.arange(n) / sample_rate_hz
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60_s)
    tail = signal.sosfilt(signal.butter(1, rng.uniform(2000, 8000) / (sample_rate_hz / 2), output="sos"), tail)
    impulse = 0.3 * tail / (np.sqrt(np.sum(tail**2)) or 1.0)
    impulse[0] = 1.0
    for _ in range(int(rng.integers(2, 6))):
        impulse[int(rng.uniform(0.002, 0.03) * sample_rate_hz)] += rng.uniform(0.1, 0.5)
    return impulse.astype(np.float32)


def reverb(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """Convolution with a random room, 5-45% wet."""
    wet = signal.fftconvolve(audio, room_impulse(rng, sample_rate_hz))[: len(audio)]
    mix = rng.uniform(0.05, 0.45)
    return ((1 - mix) * audio + mix * wet * (np.std(audio) / (np.std(wet) or 1.0))).astype(np.float32)


def mic_bleed(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """A distant, darker copy 1-8 ms late at -30..-12 dB, as other microphones pick up the kit."""
    delay = int(rng.uniform(0.001, 0.008) * sample_rate_hz)
    dark = signal.sosfilt(signal.butter(2, 3000 / (sample_rate_hz / 2), output="sos"), audio)
    late = np.concatenate((np.zeros(delay, np.float32), dark[: len(audio) - delay]))
    return (audio + 10 ** (rng.uniform(-30, -12) / 20) * late).astype(np.float32)


def add_noise(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """White or pink noise 20-60 dB below the signal."""
    noise = rng.standard_normal(len(audio))
    if rng.random() < 0.5:  # pink: -3 dB per octave
        noise = signal.lfilter([0.049922035, -0.095993537, 0.050612699, -0.004408786],
                               [1, -2.494956002, 2.017265875, -0.522189400], noise)
    rms = float(np.sqrt(np.mean(audio**2))) or 1e-3
    noise *= rms * 10 ** (-rng.uniform(20, 60) / 20) / (np.std(noise) or 1.0)
    return (audio + noise).astype(np.float32)


def level_changes(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """Slow gain automation within +-6 dB."""
    points = int(rng.integers(2, 6))
    gains_db = rng.uniform(-6, 6, points)
    curve = np.interp(np.arange(len(audio)), np.linspace(0, len(audio), points), gains_db)
    return (audio * 10 ** (curve / 20)).astype(np.float32)


def dropouts(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int, rate_per_s: float | None = None
             ) -> np.ndarray:
    """What a live input delivers when the audio interface or a client misses cycles on a loaded machine:
    stretches of 1-25 ms lost (silence), read twice (the stretch before, again) or skipped (the stretch after,
    early), ``rate_per_s`` a second on average (default: 0.5-20, log-uniform). Each one leaves a click at both
    ends, which a model must not take for a drum stroke; the audio around them stays in place."""
    out = audio.copy()
    if rate_per_s is None:
        rate_per_s = float(np.exp(rng.uniform(np.log(0.5), np.log(20.0))))
    for _ in range(int(rng.poisson(rate_per_s * len(audio) / sample_rate_hz))):
        length = int(rng.uniform(0.001, 0.025) * sample_rate_hz)
        start = int(rng.integers(length, max(length + 1, len(audio) - 2 * length)))
        kind = rng.integers(3)
        out[start:start + length] = (0.0, out[start - length:start], audio[start + length:start + 2 * length])[kind]
    return out


CHAIN = ((mic_bleed, 0.5), (random_eq, 0.8), (compress, 0.5), (saturate, 0.3), (reverb, 0.7),
         (level_changes, 0.5), (add_noise, 0.5))


def recording_chain(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """Each effect of ``CHAIN`` with its probability, in order, then a random peak level (-20..-1 dBFS)."""
    for effect, probability in CHAIN:
        if rng.random() < probability:
            audio = effect(audio, rng, sample_rate_hz)
    peak = float(np.max(np.abs(audio))) or 1.0
    return (audio / peak * 10 ** (rng.uniform(-20, -1) / 20)).astype(np.float32)
