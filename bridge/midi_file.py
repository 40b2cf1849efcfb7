"""Standard MIDI files: notes in beats in, grid notes out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mido

from bridge.score import TICKS_PER_BEAT, Note

FILE_TICKS_PER_BEAT = 480


@dataclass(frozen=True)
class PlayedNote:
    """A note of a file, in quarter-note beats from its start."""

    pitch: int
    velocity: int
    start_beats: float
    end_beats: float


def read_notes(path: Path) -> tuple[list[PlayedNote], float]:
    """Every note of every track, sorted by start, and the tempo at the start (BPM)."""
    midi = mido.MidiFile(path)
    tempo_bpm, notes = 120.0, []
    for track in midi.tracks:
        now, sounding = 0, {}
        for message in track:
            now += message.time
            beats = now / midi.ticks_per_beat
            if message.type == "set_tempo" and now == 0:
                tempo_bpm = mido.tempo2bpm(message.tempo)
            elif message.type == "note_on" and message.velocity > 0:
                sounding[(message.channel, message.note)] = (beats, message.velocity)
            elif message.type in ("note_off", "note_on") and (message.channel, message.note) in sounding:
                start, velocity = sounding.pop((message.channel, message.note))
                notes.append(PlayedNote(message.note, velocity, start, beats))
    return sorted(notes, key=lambda n: (n.start_beats, n.pitch)), tempo_bpm


def append_events(track: mido.MidiTrack, events: list[tuple[int, int, mido.Message]]) -> mido.MidiTrack:
    """Append ``(absolute tick, order, message)`` events in time order, ties by ``order`` (e.g. note-offs
    before note-ons), with the delta times a track stores. Returns ``track``."""
    now = 0
    for tick, _, message in sorted(events, key=lambda e: (e[0], e[1])):
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def write_notes(path: Path, notes: list[Note], tempo_bpm: float) -> None:
    """One track of grid notes (ticks of ``bridge.score``) at ``tempo_bpm``."""
    midi = mido.MidiFile(ticks_per_beat=FILE_TICKS_PER_BEAT)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(tempo_bpm))])
    scale = FILE_TICKS_PER_BEAT // TICKS_PER_BEAT
    events = []
    for note in notes:
        events.append((note.start_tick * scale, 1, mido.Message("note_on", note=note.pitch, velocity=note.velocity)))
        events.append((note.end_tick * scale, 0, mido.Message("note_off", note=note.pitch)))
    midi.tracks.append(append_events(track, events))
    midi.save(path)
