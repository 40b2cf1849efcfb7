"""``python -m export evaluate piano-registers``: does the instrument graph tell a piano by its register?

The real piano recording of ``evaluate recorded-instruments`` is a phrase low in the bass register, and the graph
hears it as a double bass. This check renders one phrase of single piano notes (GM program 0, eighths at 120 BPM)
at three registers through the soundfonts of the training mixes and of the test mixes and, where its samples are
installed, on the recorded Salamander Grand Piano (``export.data.sampler``), and reports the mean
activity of the piano and the two basses over its whole seconds, with the classes heard most. The training
songs' pianos play the melody, or a left hand from C2 up under or between the right hand's chords
(``export.data.idioms``): never a bass line alone, nor below C2, so a low phrase on its own is new to the models in
any soundfont.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import mido
import numpy as np

from bridge.features import INSTRUMENT_FEATURES, log_mel
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.data.accompaniment import BandNote
from export.data.multitrack import SAMPLE_RATE_HZ, SOUNDFONTS
from export.data.render import render_midi
from export.data.sampler import SALAMANDER, Sampler
from export.evaluate_instruments import Probabilities, second_windows, shipped_probabilities

PHRASE = (45, 47, 49, 50, 52, 54, 52, 50, 49, 47, 45, 42, 45, 49, 52, 54)  # A2 to F#3, in A major
REGISTERS = {"A1-F#2": -12, "A2-F#3": 0, "A4-F#5": 24}  # name -> semitones from PHRASE
VELOCITIES = (92, 74, 80, 70, 86, 72, 78, 70)  # a player's accents, repeated
TICKS_PER_BEAT, TEMPO_US = 480, 500_000  # 120 BPM
EIGHTH_TICKS = TICKS_PER_BEAT // 2
EIGHTH_S = EIGHTH_TICKS / TICKS_PER_BEAT * TEMPO_US / 1e6
WATCHED = ("piano", "double_bass", "electric_bass")
RECORDED = "Salamander Grand Piano (recorded)"


def phrase_notes(shift: int) -> list[BandNote]:
    """``PHRASE`` moved by ``shift`` semitones and played twice, each note an eighth, in ``TICKS_PER_BEAT`` ticks."""
    return [BandNote(i * EIGHTH_TICKS, (i + 1) * EIGHTH_TICKS, pitch + shift, VELOCITIES[i % len(VELOCITIES)])
            for i, pitch in enumerate(PHRASE * 2)]


def phrase_midi(shift: int) -> mido.MidiFile:
    """``phrase_notes`` on a piano (program 0)."""
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=TEMPO_US),
                            mido.Message("program_change", channel=0, program=0)])
    for note in phrase_notes(shift):
        track.append(mido.Message("note_on", channel=0, note=note.pitch, velocity=note.velocity))
        track.append(mido.Message("note_off", channel=0, note=note.pitch, time=note.end_tick - note.start_tick))
    midi = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(track)
    return midi


def soundfonts() -> dict[str, Path]:
    """The soundfonts of the training and test mixes that this machine has, by name and split."""
    named = {f"{font.stem} ({split})": font for split in ("train", "test") for font in SOUNDFONTS[split]}
    return {name: font for name, font in named.items() if font.exists()}


def heard(audio: np.ndarray, probabilities: Probabilities, top: int = 3) -> dict:
    """The mean activity of ``WATCHED`` over the whole seconds of ``audio``, and the ``top`` classes."""
    mean = probabilities(second_windows(log_mel(audio, SAMPLE_RATE_HZ, INSTRUMENT_FEATURES))).mean(axis=0)
    return {"activity": {name: round(float(mean[INSTRUMENT_NAMES.index(name)]), 3) for name in WATCHED},
            "top": [[INSTRUMENT_NAMES[i], round(float(mean[i]), 3)] for i in np.argsort(-mean)[:top]]}


def evaluate(probabilities: Probabilities | None = None, samples: Path = SALAMANDER) -> dict:
    """Per register and soundfont, and played by the recorded piano where its ``samples`` are installed, what the
    graph (default: the shipped one) hears in the phrase."""
    probabilities = probabilities or shipped_probabilities()
    phrase_s = len(PHRASE) * 2 * EIGHTH_S
    fonts = soundfonts()
    if not fonts:
        raise FileNotFoundError("no soundfont of the instrument mixes is installed (fluid-soundfont-gm, ...)")
    recorded = Sampler(samples, SAMPLE_RATE_HZ) if any(samples.glob("*.ogg")) else None
    report: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for register, shift in REGISTERS.items():
            path = Path(scratch) / f"{register}.mid"
            phrase_midi(shift).save(path)
            report[register] = {name: heard(render_midi(path, SAMPLE_RATE_HZ, font), probabilities)
                                for name, font in fonts.items()}
            if recorded is not None:
                audio = recorded.render(phrase_notes(shift), EIGHTH_S / EIGHTH_TICKS, int(phrase_s * SAMPLE_RATE_HZ) + SAMPLE_RATE_HZ)
                report[register][RECORDED] = heard(audio, probabilities)
    return {"phrase": {"notes": len(PHRASE) * 2, "seconds": phrase_s}, "registers": report}


def markdown_table(report: dict) -> str:
    """One row per register and soundfont: the watched classes' mean activity and the classes heard most."""
    lines = ["| register | soundfont | " + " | ".join(WATCHED) + " | heard most |",
             "|---|---|" + "---|" * (len(WATCHED) + 1)]
    for register, fonts in report["registers"].items():
        for font, result in fonts.items():
            cells = " | ".join(f"{result['activity'][name]:.2f}" for name in WATCHED)
            top = ", ".join(f"{name} {value:.2f}" for name, value in result["top"])
            lines.append(f"| {register} | {font} | {cells} | {top} |")
    return "\n".join(lines) + "\n"
