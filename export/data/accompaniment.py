"""Band accompaniment from the folk melodies: melody, bass line and chords on random GM programs.

Chords are guessed bar by bar from the melody (the triad that covers most of
its notes), the bass plays their roots, and FluidSynth renders the three
tracks with a random General MIDI soundfont. Drums are left out: the drum data
adds its own.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from bridge.midi_file import append_events
from bridge.score import TICKS_PER_BEAT, tokens_to_notes
from export.data.render import render_midi

GM_SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/FluidR3_GS.sf2"),
                 Path("/usr/share/sounds/sf2/TimGM6mb.sf2"), Path("/usr/share/sounds/sf3/MuseScore_General.sf3"))
MELODY_PROGRAMS = (0, 4, 11, 24, 25, 26, 29, 40, 56, 64, 65, 71, 73, 80, 81)
BASS_PROGRAMS = (32, 33, 34, 35, 36, 38, 39)
CHORD_PROGRAMS = (0, 2, 4, 5, 16, 19, 24, 25, 27, 30, 48, 49, 50, 61, 88, 89)
TRIADS = [(root, (0, 4, 7) if quality == "maj" else (0, 3, 7)) for root in range(12) for quality in ("maj", "min")]


def bar_chords(tokens: np.ndarray) -> list[tuple[int, tuple[int, ...]]]:
    """Per bar, the (root pitch class, intervals) of the triad that covers most melody ticks."""
    chords, previous = [], TRIADS[0]
    for bar in tokens:
        weight = np.zeros(12)
        for note in tokens_to_notes(bar):
            weight[note.pitch % 12] += note.duration_ticks
        scores = [sum(weight[(root + i) % 12] for i in intervals) + (0.5 if (root, intervals) == previous else 0)
                  for root, intervals in TRIADS]
        previous = TRIADS[int(np.argmax(scores))] if weight.any() else previous
        chords.append(previous)
    return chords


@dataclass(frozen=True)
class BandNote:
    """A note of one part, in grid ticks (``bridge.score``: 6 a beat; a fraction between strummed strings)."""

    start_tick: float
    end_tick: float
    pitch: int
    velocity: int


def band_parts(tokens: np.ndarray, rng: np.random.Generator) -> dict[str, list[BandNote]]:
    """Melody, bass line and chords of a tune, ``tokens`` shaped (bars, 24)."""
    bar_ticks = tokens.shape[1]
    melody_shift = 12 * int(rng.integers(-1, 2))
    parts: dict[str, list[BandNote]] = {"melody": [], "bass": [], "chords": []}
    for bar, row in enumerate(tokens):
        for note in tokens_to_notes(row, start_tick=bar * bar_ticks, velocity=int(rng.integers(60, 110))):
            parts["melody"].append(BandNote(note.start_tick, note.end_tick, note.pitch + melody_shift, note.velocity))
    for bar, (root, intervals) in enumerate(bar_chords(tokens)):
        start = bar * bar_ticks
        for beat in (0, 2):
            tick = start + beat * TICKS_PER_BEAT
            parts["bass"].append(BandNote(tick, tick + 2 * TICKS_PER_BEAT - 1, 36 + root, int(rng.integers(70, 110))))
        pattern = (0,) if rng.random() < 0.5 else (0, 1, 2, 3)
        for beat in pattern:
            tick = start + beat * TICKS_PER_BEAT
            length = bar_ticks // len(pattern) - 1
            for interval in intervals:
                parts["chords"].append(BandNote(tick, tick + length, 60 + (root + interval) % 12, int(rng.integers(45, 85))))
    return parts


def accompaniment_midi(tokens: np.ndarray, tempo_bpm: float, rng: np.random.Generator) -> mido.MidiFile:
    """Three tracks (melody, bass, chords) of a tune, ``tokens`` shaped (bars, 24)."""
    midi = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    programs = (int(rng.choice(MELODY_PROGRAMS)), int(rng.choice(BASS_PROGRAMS)), int(rng.choice(CHORD_PROGRAMS)))
    events: list[tuple[int, int, mido.Message]] = []
    for channel, notes in enumerate(band_parts(tokens, rng).values()):
        for n in notes:
            events.append((n.start_tick, 1, mido.Message("note_on", channel=channel, note=n.pitch, velocity=n.velocity)))
            events.append((n.end_tick, 0, mido.Message("note_off", channel=channel, note=n.pitch)))
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm))])
    track += [mido.Message("program_change", channel=c, program=p) for c, p in enumerate(programs)]
    midi.tracks.append(append_events(track, events))
    return midi


def render_accompaniment(tokens: np.ndarray, tempo_bpm: float, seed: int, sample_rate_hz: int) -> np.ndarray:
    """Audio of ``accompaniment_midi`` through a random available GM soundfont, float32 mono."""
    rng = np.random.default_rng(seed)
    soundfonts = [s for s in GM_SOUNDFONTS if s.exists()]
    midi = accompaniment_midi(tokens, tempo_bpm, rng)
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "band.mid"
        midi.save(path)
        return render_midi(path, sample_rate_hz, soundfonts[int(rng.integers(len(soundfonts)))], gain=0.5)
