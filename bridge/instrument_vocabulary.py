"""The instrument classes the activity detector knows, in their fixed output order.

Each class names the General MIDI programs that render it in training (the drum
set is channel 10) and the part it plays in a band. The order is the order of
``/instrument/activity``; ``/instrument/classes`` sends the names.
"""

from __future__ import annotations

from dataclasses import dataclass


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
