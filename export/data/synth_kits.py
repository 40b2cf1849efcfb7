"""Drum machines synthesised at random: electronic kits that no sampled kit on this machine has.

The sampled electronic kits (the GM soundfonts' Electronic and TR-808 programs, a
few Hydrogen kits) are a handful of fixed sounds, and a model trained on them
can take a synthesised kick whose pitch it never heard for a tom. Drum machines
build their voices the same few ways, so the voices are drawn here from those
ways with random settings, once per kit: a kick is a sine whose pitch falls
fast to a low end (a click, a drive and a boom of any length on top); toms are
sines that fall little from higher pitches; a snare is a tone and a burst of
noise; hi-hats and cymbals are six square waves at inharmonic ratios with
noise, high-passed, short (closed) or long (open, crash, ride). Claps and
cowbells, outside the classes, are drawn too, as distractors.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from export.data.drum_kits import SampleKit

VELOCITY_LAYERS = ((0.0, 0.4), (0.4, 0.75), (0.75, 1.0))
# The six square waves of the classic analogue hi-hat and cymbal voice, in Hz (scaled per kit).
METAL_HZ = (205.3, 304.4, 369.6, 522.7, 540.0, 800.0)
TOMS = (41, 43, 45, 47, 48, 50)  # low floor tom to high tom


def _decay(n: int, tau_s: float, sample_rate_hz: int) -> np.ndarray:
    return np.exp(-np.arange(n) / (tau_s * sample_rate_hz)).astype(np.float32)


def _swept_sine(f_start_hz: float, f_end_hz: float, sweep_s: float, n: int, sample_rate_hz: int) -> np.ndarray:
    """``n`` samples of a sine whose pitch falls exponentially from ``f_start_hz`` to ``f_end_hz`` with time
    constant ``sweep_s``."""
    t = np.arange(n) / sample_rate_hz
    frequency = f_end_hz + (f_start_hz - f_end_hz) * np.exp(-t / sweep_s)
    return np.sin(2 * np.pi * np.cumsum(frequency) / sample_rate_hz).astype(np.float32)


def _filtered_noise(n: int, low_hz: float, high_hz: float, rng: np.random.Generator,
                    sample_rate_hz: int) -> np.ndarray:
    nyquist = sample_rate_hz / 2
    sos = signal.butter(2, [low_hz / nyquist, min(high_hz, 0.95 * nyquist) / nyquist], "bandpass", output="sos")
    return signal.sosfilt(sos, rng.standard_normal(n)).astype(np.float32)


def _normalised(audio: np.ndarray) -> np.ndarray:
    return (audio / (float(np.max(np.abs(audio))) or 1.0)).astype(np.float32)


def _every_layer(audio: np.ndarray) -> list[np.ndarray]:
    """One sample for every velocity layer (a voice whose brightness does not follow the velocity)."""
    return [_normalised(audio)] * len(VELOCITY_LAYERS)


def _kick(rng: np.random.Generator, sr: int) -> list[np.ndarray]:
    """One kick, one sample per velocity layer: harder strokes click and drive more."""
    f_end = rng.uniform(38, 70)
    f_start = f_end * rng.uniform(1.5, 6.0)
    boom_s = rng.uniform(0.06, 0.6)
    n = int(5 * boom_s * sr)
    body = _swept_sine(f_start, f_end, rng.uniform(0.005, 0.06), n, sr) * _decay(n, boom_s, sr)
    click = _filtered_noise(n, 1000, rng.uniform(3000, 10000), rng, sr) * _decay(n, rng.uniform(0.001, 0.005), sr)
    click_level, drive = rng.uniform(0.0, 0.6), rng.uniform(1.0, 8.0) if rng.random() < 0.5 else 1.0
    return [_normalised(np.tanh(drive * (0.6 + 0.4 * hi) * (body + click_level * hi * click)))
            for _, hi in VELOCITY_LAYERS]


def _tom(f_hz: float, decay_s: float, rng: np.random.Generator, sr: int) -> list[np.ndarray]:
    n = int(5 * decay_s * sr)
    body = _swept_sine(f_hz * rng.uniform(1.05, 1.6), f_hz, rng.uniform(0.01, 0.08), n, sr) * _decay(n, decay_s, sr)
    attack = _filtered_noise(n, 500, 6000, rng, sr) * _decay(n, 0.004, sr)
    return [_normalised(body + 0.2 * hi * attack) for _, hi in VELOCITY_LAYERS]


def _snare(rng: np.random.Generator, sr: int, brighter: bool) -> list[np.ndarray]:
    n = int(0.6 * sr)
    tone_hz = rng.uniform(150, 280)
    tone = (_swept_sine(tone_hz * 1.3, tone_hz, 0.01, n, sr)
            + 0.5 * _swept_sine(tone_hz * 2.6, tone_hz * 1.8, 0.01, n, sr)) * _decay(n, rng.uniform(0.02, 0.12), sr)
    low = rng.uniform(800, 2500) * (1.5 if brighter else 1.0)
    noise = _filtered_noise(n, low, rng.uniform(6000, 11000), rng, sr) * _decay(n, rng.uniform(0.05, 0.25), sr)
    share = rng.uniform(0.4, 0.9)
    return [_normalised((1 - share) * tone + share * (0.7 + 0.3 * hi) * noise) for _, hi in VELOCITY_LAYERS]


def _metal(scale: float, decay_s: float, low_hz: float, noise_share: float, rng: np.random.Generator,
           sr: int) -> list[np.ndarray]:
    """Six detuned square waves and noise, high-passed: a hi-hat or a cymbal."""
    n = int(min(2.5, 5 * decay_s) * sr)
    t = np.arange(n) / sr
    squares = sum(signal.square(2 * np.pi * f * scale * rng.uniform(0.98, 1.02) * t) for f in METAL_HZ) / len(METAL_HZ)
    source = (1 - noise_share) * squares + noise_share * rng.standard_normal(n)
    sos = signal.butter(4, low_hz / (sr / 2), "highpass", output="sos")
    metal = signal.sosfilt(sos, source).astype(np.float32) * _decay(n, decay_s, sr)
    return _every_layer(metal)


def _clap(rng: np.random.Generator, sr: int) -> list[np.ndarray]:
    n = int(0.5 * sr)
    bursts = np.zeros(n, np.float32)
    for k in range(int(rng.integers(3, 5))):
        start = int(k * rng.uniform(0.007, 0.013) * sr)
        bursts[start:] += _decay(n - start, 0.004 if k < 3 else rng.uniform(0.05, 0.15), sr)
    return [_normalised(bursts * _filtered_noise(n, rng.uniform(700, 1200), rng.uniform(2500, 5000), rng, sr))
            for _ in VELOCITY_LAYERS]  # a noise of its own for each layer


def _cowbell(rng: np.random.Generator, sr: int) -> list[np.ndarray]:
    n = int(0.5 * sr)
    t = np.arange(n) / sr
    f = rng.uniform(450, 650)
    bell = (signal.square(2 * np.pi * f * t) + signal.square(2 * np.pi * f * 1.48 * t)) * _decay(n, rng.uniform(0.05, 0.2), sr)
    return _every_layer(bell)


def synth_kit(rng: np.random.Generator, sample_rate_hz: int) -> SampleKit:
    """A random drum machine: kicks, snares, side stick, toms, hi-hats, cymbals, clap and cowbell as GM notes.

    Each voice is drawn once; the velocity layers of kicks, toms and snares differ in brightness, those of the
    metal voices and the cowbell are one sample, and the clap's are three (``render_drums`` scales their level).
    """
    sr = sample_rate_hz
    kit = SampleKit("synth", False, sr)
    voices: dict[int, list[np.ndarray]] = {35: _kick(rng, sr), 36: _kick(rng, sr),
                                           38: _snare(rng, sr, False), 40: _snare(rng, sr, True),
                                           37: _tom(rng.uniform(400, 900), 0.02, rng, sr),
                                           39: _clap(rng, sr), 56: _cowbell(rng, sr)}
    tom_hz, tom_step = rng.uniform(80, 140), rng.uniform(1.12, 1.3)
    tom_decay = rng.uniform(0.1, 0.5)
    for i, note in enumerate(TOMS):
        voices[note] = _tom(tom_hz * tom_step ** i, tom_decay, rng, sr)
    scale, hat_low = rng.uniform(0.8, 1.6), rng.uniform(5000, 9000)
    closed_s = rng.uniform(0.02, 0.08)
    voices[42] = _metal(scale, closed_s, hat_low, rng.uniform(0.2, 0.8), rng, sr)
    voices[44] = _metal(scale, 0.6 * closed_s, hat_low, rng.uniform(0.2, 0.8), rng, sr)
    voices[46] = _metal(scale, rng.uniform(0.2, 0.6), hat_low, rng.uniform(0.2, 0.8), rng, sr)
    cymbal_low = rng.uniform(3000, 7000)  # crashes: mostly noise; rides: mostly the squares, their ping
    for note, decay in ((49, (0.8, 2.0)), (57, (0.8, 2.0)), (55, (0.3, 0.8)), (52, (0.6, 1.5))):
        voices[note] = _metal(rng.uniform(0.8, 1.6), rng.uniform(*decay), cymbal_low, rng.uniform(0.5, 0.95), rng, sr)
    ride_scale, ride_low = rng.uniform(0.8, 1.6), rng.uniform(2000, 5000)
    for note, noise in ((51, (0.1, 0.4)), (59, (0.1, 0.4)), (53, (0.0, 0.2))):
        voices[note] = _metal(ride_scale, rng.uniform(0.5, 1.5), ride_low, rng.uniform(*noise), rng, sr)
    for note, shots in voices.items():
        kit.layers[note] = [(low, high, shot) for (low, high), shot in zip(VELOCITY_LAYERS, shots)]
    return kit
