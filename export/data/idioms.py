"""How each chord and bass instrument of the multitrack data plays a song.

The band arrangement (``accompaniment.band_parts``) gives every chord instrument
the same close triads around middle C and both basses the same half-note roots,
so that only the timbre tells a piano from a guitar or an electric bass from a
double bass. Players play after their instrument: a pianist's left hand takes the
bass under the right hand's chord, or breaks the chord, or plays oom-pah; a
guitarist strums five or six strings of a fretted shape, down on the beat and up
between, or picks them one by one; a distorted guitar plays power chords; organs,
strings and pads hold wide voicings; an electric bass drives eighths or runs
root, fifth and octave, a double bass walks. ``idiomatic_part`` plays a song so,
one style drawn at random per stem (the default of ``data instruments``;
``--plain-parts`` turns it off).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from bridge.score import TICKS_PER_BEAT
from export.data.accompaniment import BandNote

Chord = tuple[int, tuple[int, ...]]  # root pitch class, intervals (``accompaniment.bar_chords``)
GUITAR_STRINGS = (40, 45, 50, 55, 59, 64)  # E2 A2 D3 G3 B3 E4
EIGHTH = TICKS_PER_BEAT // 2
STRUM_PATTERNS = ("D.D.D.D.", "D.DUD.DU", "D.DU.UDU", "DDDDDDDD", "D..D..D.", "D...D...")  # per eighth of a bar


def chord_tones(chord: Chord, low: int, high: int) -> list[int]:
    """Every pitch from ``low`` to ``high`` whose pitch class is in ``chord``, ascending."""
    root, intervals = chord
    classes = {(root + i) % 12 for i in intervals}
    return [p for p in range(low, high + 1) if p % 12 in classes]


def guitar_shape(chord: Chord) -> list[int]:
    """The pitches of a fretted shape, low string first: the root on the lowest string where it lies within
    seven frets, then on each higher string the lowest chord tone within the four frets from the root's fret
    (a string with none is not played)."""
    root = chord[0]
    for low_string, open_pitch in enumerate(GUITAR_STRINGS[:3]):
        fret = (root - open_pitch) % 12
        if fret <= 7:
            break
    shape = [open_pitch + fret]
    tones = set(chord_tones(chord, 40, 88))
    for string in GUITAR_STRINGS[low_string + 1:]:
        playable = [string + f for f in range(max(0, fret - 1), fret + 4) if string + f in tones]
        if playable:
            shape.append(playable[0])
    return shape


def _note(start: float, end: float, pitch: int, velocity: float) -> BandNote:
    return BandNote(start, end, int(pitch), int(np.clip(velocity, 20, 127)))


def strum(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """A guitar strummed in a pattern of eighths: down strokes low to high, up strokes over the top strings,
    each string a few milliseconds after the last; every string rings until the next stroke."""
    pattern = STRUM_PATTERNS[int(rng.integers(len(STRUM_PATTERNS)))]
    spread = rng.uniform(0.004, 0.015) / seconds_per_tick  # between two strings, in ticks
    strokes = [(bar * bar_ticks + i * EIGHTH, stroke, chord) for bar, chord in enumerate(chords)
               for i, stroke in enumerate(pattern[: bar_ticks // EIGHTH]) if stroke != "."]
    notes = []
    for k, (tick, stroke, chord) in enumerate(strokes):
        end = strokes[k + 1][0] if k + 1 < len(strokes) else tick + bar_ticks
        shape = guitar_shape(chord)
        strings = shape if stroke == "D" else shape[::-1][: int(rng.integers(3, 5))]
        loud = rng.uniform(75, 105) if stroke == "D" else rng.uniform(50, 80)
        notes += [_note(tick + i * spread, end, p, loud + rng.normal(0, 5)) for i, p in enumerate(strings)]
    return notes


def fingerpick(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """A guitar picked string by string in eighths, the bass on the beat, each note ringing for two beats."""
    order = (0, 2, 3, 4, 1, 3, 4, 5)
    notes = []
    for bar, chord in enumerate(chords):
        shape = guitar_shape(chord)
        for i in range(bar_ticks // EIGHTH):
            tick = bar * bar_ticks + i * EIGHTH
            notes.append(_note(tick, tick + 2 * TICKS_PER_BEAT, shape[min(order[i], len(shape) - 1)], rng.uniform(55, 90)))
    return notes


def right_hand(chord: Chord, rng: np.random.Generator) -> list[int]:
    """A close voicing of three or four chord tones whose lowest lies between G3 and E4."""
    tones = chord_tones(chord, 55, 88)
    start = int(rng.integers(0, min(len(tones), 3)))
    return tones[start:start + int(rng.integers(3, 5))]


def left_hand(chord: Chord, rng: np.random.Generator) -> list[int]:
    """The root between C2 and B2, alone, with its octave or with its fifth."""
    root = 36 + chord[0]
    return [[root], [root, root + 12], [root, root + 7]][int(rng.integers(3))]


def two_hands(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """Piano: the left hand's bass held through the bar under the right hand's chord on every beat or on two."""
    beats = (0, 2) if rng.random() < 0.5 else (0, 1, 2, 3)
    length = bar_ticks // len(beats)
    notes = []
    for bar, chord in enumerate(chords):
        start = bar * bar_ticks
        notes += [_note(start, start + bar_ticks, p, rng.uniform(60, 95)) for p in left_hand(chord, rng)]
        for beat in beats:
            tick = start + beat * TICKS_PER_BEAT
            notes += [_note(tick, tick + length, p, rng.uniform(50, 85)) for p in right_hand(chord, rng)]
    return notes


def broken(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """Piano: the bass on the first beat, the right hand's chord broken in eighths, up or up and down."""
    notes = []
    for bar, chord in enumerate(chords):
        start = bar * bar_ticks
        notes += [_note(start, start + bar_ticks, p, rng.uniform(60, 90)) for p in left_hand(chord, rng)[:1]]
        tones = right_hand(chord, rng)
        cycle = tones + tones[-2:0:-1] if rng.random() < 0.5 else tones
        for i in range(bar_ticks // EIGHTH):
            tick = start + i * EIGHTH
            notes.append(_note(tick, tick + 2 * EIGHTH, cycle[i % len(cycle)], rng.uniform(45, 80)))
    return notes


def oom_pah(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """Piano: bass notes on beats one and three (root, then fifth), short chords on two and four."""
    notes = []
    for bar, chord in enumerate(chords):
        start, root = bar * bar_ticks, 36 + chord[0]
        for beat, bass in ((0, root), (2, root + 7 if root + 7 < 50 else root - 5)):
            tick = start + beat * TICKS_PER_BEAT
            notes.append(_note(tick, tick + TICKS_PER_BEAT, bass, rng.uniform(65, 95)))
            notes += [_note(tick + TICKS_PER_BEAT, tick + 1.6 * TICKS_PER_BEAT, p, rng.uniform(45, 75))
                      for p in right_hand(chord, rng)]
    return notes


def power_chords(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """Distorted guitar: root, fifth and octave from the low strings, chugged in short eighths or held for half
    bars, the strings a few milliseconds apart."""
    chug = rng.random() < 0.5
    step, length = (EIGHTH, 0.6 * EIGHTH) if chug else (bar_ticks // 2, bar_ticks // 2)
    spread = rng.uniform(0.002, 0.008) / seconds_per_tick
    notes = []
    for bar, chord in enumerate(chords):
        root = 40 + (chord[0] - 4) % 12
        for tick in range(bar * bar_ticks, (bar + 1) * bar_ticks, step):
            notes += [_note(tick + i * spread, tick + length, p, rng.uniform(80, 110))
                      for i, p in enumerate((root, root + 7, root + 12))]
    return notes


def held(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """Organ, strings, pad: a wide voicing (four or five chord tones from G2 up to C6) held legato through each
    bar or half bar."""
    halves = 2 if rng.random() < 0.4 else 1
    notes = []
    for bar, chord in enumerate(chords):
        tones = chord_tones(chord, 43, 84)
        low = int(rng.integers(0, 3))
        voicing = sorted({tones[low], *rng.choice(tones[low + 1:], size=int(rng.integers(3, 5)), replace=False)})
        for half in range(halves):
            tick = bar * bar_ticks + half * bar_ticks // halves
            notes += [_note(tick, tick + bar_ticks // halves, p, rng.uniform(55, 90)) for p in voicing]
    return notes


def bass_root(chord: Chord, rng: np.random.Generator) -> int:
    """The chord's root from E1 to D#2, or an octave up."""
    return 28 + (chord[0] - 4) % 12 + 12 * int(rng.random() < 0.4)


def half_notes(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """Bass: the root on beats one and three, or root then fifth, each held two beats."""
    fifth = rng.random() < 0.5
    notes = []
    for bar, chord in enumerate(chords):
        root = bass_root(chord, rng)
        for half, pitch in enumerate((root, root + 7 if fifth else root)):
            tick = bar * bar_ticks + half * bar_ticks // 2
            notes.append(_note(tick, tick + bar_ticks // 2 - 1, pitch, rng.uniform(70, 105)))
    return notes


def eighth_roots(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """Electric bass: the root in driving eighths, the beats accented."""
    notes = []
    for bar, chord in enumerate(chords):
        root = bass_root(chord, rng)
        for i in range(bar_ticks // EIGHTH):
            tick = bar * bar_ticks + i * EIGHTH
            notes.append(_note(tick, tick + 0.8 * EIGHTH, root, rng.uniform(80, 110) if i % 2 == 0 else rng.uniform(60, 85)))
    return notes


def root_fifth_octave(chords: list[Chord], bar_ticks: int, rng: np.random.Generator,
                      seconds_per_tick: float) -> list[BandNote]:
    """Electric bass: root, fifth, octave, fifth in quarters."""
    notes = []
    for bar, chord in enumerate(chords):
        root = bass_root(chord, rng)
        for beat, step in enumerate((0, 7, 12, 7)[: bar_ticks // TICKS_PER_BEAT]):
            tick = bar * bar_ticks + beat * TICKS_PER_BEAT
            notes.append(_note(tick, tick + 0.9 * TICKS_PER_BEAT, root + step, rng.uniform(70, 105)))
    return notes


def walking(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """Double bass: a walking line in quarters, the root on the first beat, chord tones after it and on the last
    beat (but in the last bar) a half step onto the next bar's root."""
    notes = []
    for bar, chord in enumerate(chords):
        root = bass_root(chord, rng)
        tones = [p for p in chord_tones(chord, root, root + 12) if p != root]
        line = [root, *rng.choice(tones, size=bar_ticks // TICKS_PER_BEAT - 1)]
        if bar + 1 < len(chords):
            line[-1] = bass_root(chords[bar + 1], rng) + (1 if rng.random() < 0.5 else -1)
        for beat, pitch in enumerate(line):
            tick = bar * bar_ticks + beat * TICKS_PER_BEAT
            notes.append(_note(tick, tick + 0.95 * TICKS_PER_BEAT, pitch, rng.uniform(65, 100)))
    return notes


def low_line(chords: list[Chord], bar_ticks: int, rng: np.random.Generator, seconds_per_tick: float) -> list[BandNote]:
    """Piano, low and alone: the left hand plays one of the basses' lines (E1 up) with no right hand, so that the
    register does not tell a piano from a bass (``data instruments --low-piano``)."""
    lines = (half_notes, eighth_roots, root_fifth_octave, walking)
    return lines[int(rng.integers(len(lines)))](chords, bar_ticks, rng, seconds_per_tick)


Style = Callable[[list[Chord], int, np.random.Generator, float], list[BandNote]]
STYLES: dict[str, tuple[Style, ...]] = {
    "piano": (two_hands, broken, oom_pah), "electric_piano": (two_hands, broken, oom_pah),
    "acoustic_guitar": (strum, strum, fingerpick), "clean_electric_guitar": (strum, fingerpick),
    "distorted_electric_guitar": (power_chords,), "organ": (held, two_hands), "strings": (held,), "synth_pad": (held,),
    "electric_bass": (half_notes, eighth_roots, root_fifth_octave), "double_bass": (half_notes, walking),
}


def idiomatic_part(name: str, chords: list[Chord], bar_ticks: int, rng: np.random.Generator,
                   seconds_per_tick: float) -> list[BandNote]:
    """The chords of a song as instrument class ``name`` (a key of ``STYLES``) plays them or its bass line, in one
    of its styles. ``seconds_per_tick`` times a strum's spread."""
    styles = STYLES[name]
    return styles[int(rng.integers(len(styles)))](chords, bar_ticks, rng, seconds_per_tick)


def articulate(notes: list[BandNote], rng: np.random.Generator) -> list[BandNote]:
    """A part as a player articulates it: every note held for one share of its length, drawn for the part from
    staccato (a quarter) to nearly legato, and the notes of some eighths left out (up to 30% of them, drawn for the
    part), so that a part breathes and rests within the bar as players' parts do (``data instruments
    --articulation``). The notes of one eighth (a strum's strings, a chord) stay or go together."""
    held, left_out = rng.uniform(0.25, 0.9), rng.uniform(0.0, 0.3)
    eighths = sorted({int(n.start_tick // EIGHTH) for n in notes})
    kept = {e for e, draw in zip(eighths, rng.random(len(eighths))) if draw >= left_out}
    return [BandNote(n.start_tick, n.start_tick + held * (n.end_tick - n.start_tick), n.pitch, n.velocity)
            for n in notes if int(n.start_tick // EIGHTH) in kept]
