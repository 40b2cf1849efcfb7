"""Offline commands: a file goes through the same engine code a live performance does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bridge.engines.inpaint import BAR_TICKS, InpaintModel, gap_context, has_notes
from bridge.midi_file import read_notes, write_notes
from bridge.score import MelodyHistory, Note, tokens_to_notes


def read_melody(path: Path) -> tuple[MelodyHistory, float, int]:
    """A MIDI file's notes (all channels; chords keep their top) on the grid, its tempo and its bar count."""
    notes, tempo_bpm = read_notes(path)
    history = MelodyHistory(max_bars=100000)
    events = [(n.start_beats, 1, n) for n in notes] + [(n.end_beats, 0, n) for n in notes]
    for beats, is_on, note in sorted(events, key=lambda e: (e[0], e[1])):
        if is_on:
            history.note_on(note.pitch, note.velocity, beats)
        else:
            history.note_off(note.pitch, beats)
    last_beats = max((n.end_beats for n in notes), default=0.0)
    return history, tempo_bpm, int(np.ceil(last_beats / 4.0 - 1e-9))


def inpaint_file(source: Path, start_bar: int, end_bar: int, output: Path, context_bars: int = 4,
                 seed: int = -1, model: InpaintModel | None = None) -> dict:
    """Replace bars ``start_bar`` .. ``end_bar - 1`` of ``source`` with inpainted ones; write ``output``."""
    model = model or InpaintModel()
    history, tempo_bpm, n_bars = read_melody(source)

    def bar(b: int) -> np.ndarray | None:
        tokens = history.bar_tokens(b)
        return tokens if has_notes(tokens) else None

    gap_bars = end_bar - start_bar
    past, future = gap_context(bar, start_bar, gap_bars, context_bars)
    rng = np.random.default_rng(seed) if seed >= 0 else None
    filled = model.inpaint(past, future, gap_bars, rng)
    kept = [n for n in tokens_to_notes(history.bar_tokens(0, max(n_bars, end_bar)))
            if not start_bar * BAR_TICKS <= n.start_tick < end_bar * BAR_TICKS]
    kept = [Note(n.pitch, n.start_tick, min(n.duration_ticks, max(1, start_bar * BAR_TICKS - n.start_tick))
                 if n.start_tick < start_bar * BAR_TICKS else n.duration_ticks, n.velocity) for n in kept]
    new = tokens_to_notes(filled.reshape(-1), start_tick=start_bar * BAR_TICKS, velocity=90)
    write_notes(output, sorted(kept + new, key=lambda n: n.start_tick), tempo_bpm)
    return {"gap": [start_bar, end_bar], "context_bars": [len(past), len(future)],
            "notes": [{"pitch": n.pitch, "bar": n.start_tick // BAR_TICKS, "tick": n.start_tick % BAR_TICKS,
                       "duration_ticks": n.duration_ticks} for n in new]}


def print_json(value: dict) -> None:
    print(json.dumps(value, indent=2))
