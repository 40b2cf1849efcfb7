"""Struck and plucked strings modelled additively: piano and guitar timbres that no soundfont has.

A soundfont holds one recorded instrument per program, so a model trained on a
few soundfonts can learn those recordings rather than the instrument. These
models draw the physics that make a piano or a guitar sound as they do at
random, once per stem: stiff strings (inharmonic partials), unison strings
beating against each other, where the hammer or the plectrum strikes (the
partials it leaves out), how fast each partial decays, the piano's two-stage
decay, the hammer's thump or the pick's click, and the dampers at note off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import signal

MAX_PARTIALS = 32
MAX_NOTE_S = 4.0  # a note's sound is cut after this long (it has decayed by then or the next chord damps it)


@dataclass(frozen=True)
class StringModel:
    """The parameters of one modelled instrument, drawn once per stem."""

    inharmonicity: float  # B of a string at middle C: partial n sounds at n f0 sqrt(1 + B n^2)
    unison: int  # strings per note (pianos have 2-3 above the bass)
    detune_cents: float  # spread of the unison strings
    tilt: float  # partial n has amplitude n^-tilt at velocity 64, less tilt when played harder
    strike_position: float  # where along the string it is struck or plucked (a fraction of its length)
    t60_s: float  # decay time of the fundamental at middle C
    damping: float  # partial n decays (1 + damping (n - 1)) times faster than the fundamental
    prompt_share: float  # share of the sound in the fast first stage of a two-stage decay
    release_s: float  # time constant of the dampers after note off
    attack_noise: float  # level of the hammer's thump or the pick's click
    attack_s: float  # its length


def piano_model(rng: np.random.Generator) -> StringModel:
    """A random piano: stiff, struck near an eighth of the string, two or three strings a note."""
    return StringModel(inharmonicity=float(np.exp(rng.uniform(np.log(1e-4), np.log(8e-4)))),
                       unison=int(rng.integers(2, 4)), detune_cents=float(rng.uniform(0.3, 3.0)),
                       tilt=float(rng.uniform(1.0, 2.0)), strike_position=float(rng.uniform(1 / 9, 1 / 7)),
                       t60_s=float(rng.uniform(4.0, 12.0)), damping=float(rng.uniform(0.15, 0.5)),
                       prompt_share=float(rng.uniform(0.5, 0.85)), release_s=float(rng.uniform(0.05, 0.2)),
                       attack_noise=float(rng.uniform(0.02, 0.15)), attack_s=float(rng.uniform(0.002, 0.008)))


def guitar_model(rng: np.random.Generator) -> StringModel:
    """A random acoustic guitar: nearly harmonic, plucked, one string a note, upper partials dying fast."""
    return StringModel(inharmonicity=float(np.exp(rng.uniform(np.log(1e-5), np.log(1e-4)))),
                       unison=1, detune_cents=0.0, tilt=float(rng.uniform(1.4, 2.2)),
                       strike_position=float(rng.uniform(0.08, 0.25)), t60_s=float(rng.uniform(1.5, 5.0)),
                       damping=float(rng.uniform(0.3, 1.0)), prompt_share=float(rng.uniform(0.0, 0.3)),
                       release_s=float(rng.uniform(0.03, 0.1)), attack_noise=float(rng.uniform(0.005, 0.05)),
                       attack_s=float(rng.uniform(0.0005, 0.002)))


MODELS: dict[str, Callable[[np.random.Generator], StringModel]] = {"piano": piano_model,
                                                                   "acoustic_guitar": guitar_model}


def render_note(model: StringModel, pitch: int, velocity: int, duration_s: float, sample_rate_hz: int,
                rng: np.random.Generator) -> np.ndarray:
    """One note: its partials decaying from the strike, damped from ``duration_s``."""
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    length_s = min(duration_s + 5 * model.release_s, MAX_NOTE_S)
    t = np.arange(int(length_s * sample_rate_hz), dtype=np.float32) / sample_rate_hz
    n = np.arange(1, MAX_PARTIALS + 1, dtype=np.float32)
    stiffness = model.inharmonicity * 2 ** ((pitch - 60) / 24)  # stiffer strings higher up
    freqs = n * f0 * np.sqrt(1 + stiffness * n**2)
    keep = freqs < 0.45 * sample_rate_hz
    n, freqs = n[keep], freqs[keep]
    loudness = velocity / 127
    amps = n ** -(model.tilt - 0.8 * (loudness - 0.5)) * (np.abs(np.sin(np.pi * n * model.strike_position)) + 0.05)
    decay = 6.91 / (model.t60_s * 2 ** (-(pitch - 60) / 24)) * (1 + model.damping * (n - 1))  # per second
    envelope = ((1 - model.prompt_share) * np.exp(-np.outer(decay, t))
                + model.prompt_share * np.exp(-np.outer(4 * decay, t)))
    envelope *= np.exp(-np.maximum(t - duration_s, 0) / model.release_s)
    note = np.zeros(len(t), np.float32)
    for string in range(model.unison):
        cents = model.detune_cents * (string - (model.unison - 1) / 2)
        phases = rng.uniform(0, 2 * np.pi, len(n)).astype(np.float32)[:, None]
        partials = np.sin(2 * np.pi * np.outer(freqs * 2 ** (cents / 1200), t) + phases)
        note += (amps[:, None] * envelope * partials).sum(axis=0) / model.unison
    attack = min(len(t), int(model.attack_s * sample_rate_hz) + 1)
    noise = rng.standard_normal(attack) * np.hanning(2 * attack)[attack:] * model.attack_noise * amps.sum()
    note[:attack] += noise.astype(np.float32)
    return note * loudness**1.5


def render_part(kind: str, notes: Sequence, seconds_per_tick: float, length: int, sample_rate_hz: int,
                rng: np.random.Generator) -> np.ndarray:
    """A stem of ``length`` samples: ``notes`` (``start_tick``, ``end_tick``, ``pitch``, ``velocity``) played by a
    random instrument of ``kind`` (a key of ``MODELS``), its body or soundboard a random resonant filter."""
    model = MODELS[kind](rng)
    stem = np.zeros(length, np.float32)
    for note in notes:
        start = int(note.start_tick * seconds_per_tick * sample_rate_hz)
        if start >= length:
            break
        duration_s = (note.end_tick - note.start_tick) * seconds_per_tick
        sound = render_note(model, note.pitch, note.velocity, duration_s, sample_rate_hz, rng)[: length - start]
        stem[start:start + len(sound)] += sound
    fade = math.ceil(0.05 * sample_rate_hz)  # the last notes are cut off with a 50-ms fade
    stem[-fade:] *= np.linspace(1, 0, fade)
    return body(stem, rng, sample_rate_hz)


def body(audio: np.ndarray, rng: np.random.Generator, sample_rate_hz: int) -> np.ndarray:
    """A soundboard or guitar body: three to six resonances between 80 Hz and 3 kHz, each up to 10 dB."""
    out = audio.astype(np.float64)
    for _ in range(int(rng.integers(3, 7))):
        freq = float(np.exp(rng.uniform(np.log(80), np.log(3000))))
        b, a = signal.iirpeak(freq, rng.uniform(2, 12), fs=sample_rate_hz)
        out = out + (10 ** (rng.uniform(0, 10) / 20) - 1) * signal.lfilter(b, a, out)
    return (out / (np.abs(out).max() + 1e-9) * 0.5).astype(np.float32)
