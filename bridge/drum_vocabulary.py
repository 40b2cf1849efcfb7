"""The drum classes the transcriber knows: names, General MIDI notes and annotation labels.

One table serves the training labels (GM notes of the rendered MIDI), the
evaluation (labels of annotation files) and the live output (MIDI notes on
channel 10 and OSC names), so the three always agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class DrumClass:
    """One output of the drum model."""

    name: str  # OSC name: /drum/<name>
    label: str  # annotation label, as in public drum data sets
    midi_note: int  # General MIDI note sent on channel 10
    gm_notes: tuple[int, ...]  # every GM drum note that counts as this class
    aliases: tuple[str, ...]  # other labels that annotation files use for it


DRUM_CLASSES: tuple[DrumClass, ...] = (
    DrumClass("kick", "KD", 36, (35, 36), ("BD", "KICK", "B")),
    DrumClass("snare", "SD", 38, (37, 38, 40), ("SNARE", "S", "RS", "SS", "SST")),
    DrumClass("hihat", "HH", 42, (42, 44, 46), ("CHH", "OHH", "PHH", "HIHAT", "H")),
    DrumClass("tom", "TT", 45, (41, 43, 45, 47, 48, 50), ("LT", "MT", "HT", "LFT", "HFT", "TOM")),
    DrumClass("crash", "CY", 49, (49, 52, 55, 57), ("CRASH", "CHC", "SPC", "CY1", "CY2")),
    DrumClass("ride", "RD", 51, (51, 53, 59), ("RIDE", "RDC", "RDB")),
)
DRUM_NAMES: tuple[str, ...] = tuple(c.name for c in DRUM_CLASSES)
MAIN_CLASSES: tuple[str, ...] = ("kick", "snare", "hihat")  # the ones every goal and average is about
DRUM_CHANNEL = 9  # channel 10, 0-based

_CLASS_OF_GM = {note: i for i, c in enumerate(DRUM_CLASSES) for note in c.gm_notes}
_CLASS_OF_LABEL = {label.upper(): i for i, c in enumerate(DRUM_CLASSES) for label in (c.label, c.name, *c.aliases)}


def class_of_gm_note(note: int) -> int | None:
    """Index into ``DRUM_CLASSES`` of a GM drum note, or None for percussion outside the classes."""
    return _CLASS_OF_GM.get(note)


# The hi-hat's strokes by GM note, labelled as public drum data sets label them: closed, pedal, open.
HIHAT_LABELS = {42: "CHH", 44: "PHH", 46: "OHH"}


def label_of_gm_note(note: int) -> str:
    """The annotation label of a GM drum note of the classes: its class's, or for the hi-hat how it was played
    (``HIHAT_LABELS``); KeyError for percussion outside the classes."""
    return HIHAT_LABELS.get(note) or DRUM_CLASSES[_CLASS_OF_GM[note]].label


def class_of_label(label: str) -> int | None:
    """Index into ``DRUM_CLASSES`` of an annotation label (case-insensitive), or None if unknown."""
    return _CLASS_OF_LABEL.get(label.strip().upper())


def read_strokes(path: Path, unknown: Counter | None = None) -> list[np.ndarray]:
    """Per class, the (time, velocity) rows, shape (strokes, 2), of a ``time<TAB>label[<TAB>velocity]`` file,
    sorted by time: as ``read_annotations``, with the stroke's MIDI velocity (1-127) from the third column, NaN
    where a line has none."""
    per_class: list[list[tuple[float, float]]] = [[] for _ in DRUM_CLASSES]
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) < 2 or line.lstrip().startswith("#"):
            continue
        index = class_of_label(parts[1])
        if index is None:
            if unknown is not None:
                unknown[parts[1]] += 1
            continue
        per_class[index].append((float(parts[0]), float(parts[2]) if len(parts) > 2 else np.nan))
    return [np.array(sorted(rows), float).reshape(-1, 2) for rows in per_class]


def read_annotations(path: Path, unknown: Counter | None = None) -> list[np.ndarray]:
    """Onset times per class (sorted, seconds) from a ``time<TAB>label`` file; whitespace also separates,
    ``#`` starts a comment line, and labels of no class are counted in ``unknown`` and skipped. A third column,
    the stroke's MIDI velocity, is read by ``read_strokes``."""
    return [rows[:, 0] for rows in read_strokes(path, unknown)]
