"""The instrument classes the activity detector knows, in their fixed output order, and their families.

Each class names the General MIDI programs that render it in training (the drum
set is channel 10) and the part it plays in a band. The order is the order of
``/instrument/activity``; ``/instrument/classes`` sends the names. A family's
activity (``/instrument/family_activity``, names on ``/instrument/families``)
is the largest of its classes': steadier where a class is taken for its
neighbour (a clarinet for a flute).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class InstrumentClass:
    name: str  # OSC name: /instrument/<name>
    programs: tuple[int, ...]  # GM programs (0-based); empty for the drum set
    role: str  # "drums", "bass", "chords" (chords or melody) or "melody"


INSTRUMENT_CLASSES: tuple[InstrumentClass, ...] = (
    InstrumentClass("drums", (), "drums"),
    InstrumentClass("electric_bass", (33, 34, 35, 36, 37), "bass"),
    InstrumentClass("double_bass", (32, 43), "bass"),
    InstrumentClass("piano", (0, 1, 2, 3), "chords"),
    InstrumentClass("electric_piano", (4, 5), "chords"),
    InstrumentClass("organ", (16, 17, 18, 19), "chords"),
    InstrumentClass("acoustic_guitar", (24, 25), "chords"),
    InstrumentClass("clean_electric_guitar", (26, 27, 28), "chords"),
    InstrumentClass("distorted_electric_guitar", (29, 30), "chords"),
    InstrumentClass("strings", (40, 41, 44, 48, 49), "chords"),
    InstrumentClass("trumpet", (56, 59), "melody"),
    InstrumentClass("saxophone", (64, 65, 66, 67), "melody"),
    InstrumentClass("flute", (72, 73), "melody"),
    InstrumentClass("clarinet", (71,), "melody"),
    InstrumentClass("synth_lead", (80, 81, 83), "melody"),
    InstrumentClass("synth_pad", (88, 89, 90, 91, 94, 95), "chords"),
    InstrumentClass("voice", (52, 53, 54), "melody"),
)
INSTRUMENT_NAMES: tuple[str, ...] = tuple(c.name for c in INSTRUMENT_CLASSES)

INSTRUMENT_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("drums", ("drums",)),
    ("bass", ("electric_bass", "double_bass")),
    ("keys", ("piano", "electric_piano", "organ")),
    ("guitars", ("acoustic_guitar", "clean_electric_guitar", "distorted_electric_guitar")),
    ("strings", ("strings",)),
    ("winds", ("trumpet", "saxophone", "flute", "clarinet")),
    ("synths", ("synth_lead", "synth_pad")),
    ("voice", ("voice",)),
)


@dataclass(frozen=True)
class Families:
    """The families of a model's classes, each with the indices of its classes; a family none of whose classes
    the model has is left out."""

    names: tuple[str, ...]
    members: tuple[tuple[int, ...], ...]

    @classmethod
    def of(cls, classes: Sequence[str]) -> Families:
        """The ``INSTRUMENT_FAMILIES`` of ``classes`` (a model's output order)."""
        found = [(name, tuple(classes.index(m) for m in members if m in classes)) for name, members in INSTRUMENT_FAMILIES]
        kept = [(name, indices) for name, indices in found if indices]
        return cls(tuple(name for name, _ in kept), tuple(indices for _, indices in kept))

    def activity(self, activity: np.ndarray) -> np.ndarray:
        """Each family's activity, the largest of its classes': (..., classes) to (..., families)."""
        return np.stack([activity[..., list(indices)].max(axis=-1) for indices in self.members], axis=-1)
