"""The demo's bundled performance: an original 8-bar tune with bass and drums.

``python -m export data demo`` writes ``bridge/data/demo_melody.mid`` (the
melody the demo plays into the daemon's MIDI input), ``demo_band.mid`` (the
whole band) and ``demo_band.wav`` (the band rendered with FluidSynth, played
into the daemon's audio input).
"""

from __future__ import annotations

from pathlib import Path

import mido

from export.data.render import render_midi, write_wav

TEMPO_BPM = 110
TICKS_PER_BEAT = 480
DEMO_DIR = Path(__file__).parents[2] / "bridge" / "data"

# (MIDI pitch, beats) per bar, 4 beats a bar; 0 is a rest. Original tune, G major.
MELODY = [
    [(67, 1), (71, 0.5), (74, 0.5), (76, 1), (74, 1)],
    [(72, 1.5), (71, 0.5), (69, 1), (67, 1)],
    [(69, 0.5), (71, 0.5), (72, 1), (74, 0.5), (72, 0.5), (71, 1)],
    [(69, 2), (0, 1), (62, 1)],
    [(67, 1), (71, 0.5), (74, 0.5), (79, 1), (78, 0.5), (76, 0.5)],
    [(74, 1), (72, 0.5), (71, 0.5), (72, 1), (76, 1)],
    [(74, 0.5), (72, 0.5), (71, 0.5), (69, 0.5), (67, 1), (66, 1)],
    [(67, 3), (0, 1)],
]
BASS_ROOTS = [43, 48, 45, 50, 43, 48, 50, 43]  # G C Am D G C D G


def _track(events: list[tuple[float, mido.Message]], name: str) -> mido.MidiTrack:
    """A track from (beat, message) pairs."""
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    now = 0
    for beat, message in sorted(events, key=lambda e: (e[0], e[1].type == "note_on")):
        tick = round(beat * TICKS_PER_BEAT)
        track.append(message.copy(time=tick - now))
        now = tick
    return track


def _notes(pairs: list[tuple[int, float, float, int]], channel: int) -> list[tuple[float, mido.Message]]:
    events = []
    for pitch, start, length, velocity in pairs:
        events.append((start, mido.Message("note_on", note=pitch, velocity=velocity, channel=channel)))
        events.append((start + length * 0.95, mido.Message("note_off", note=pitch, channel=channel)))
    return events


def melody_notes() -> list[tuple[int, float, float, int]]:
    """(pitch, start beat, length in beats, velocity) of the melody."""
    notes, beat = [], 0.0
    for bar in MELODY:
        for pitch, length in bar:
            if pitch:
                notes.append((pitch, beat, length, 96 if beat % 2 == 0 else 80))
            beat += length
    return notes


def band_file() -> mido.MidiFile:
    """Melody (flute), bass (fingered bass) and drums, 8 bars."""
    tempo = mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(TEMPO_BPM))
    bass = [(root, bar * 4 + beat, 1, 90) for bar, root in enumerate(BASS_ROOTS) for beat in (0, 2)]
    drums = []
    for bar in range(8):
        for eighth in range(8):
            beat = bar * 4 + eighth / 2
            drums.append((42, beat, 0.25, 70 if eighth % 2 else 90))
            if eighth in (0, 4):
                drums.append((36, beat, 0.25, 110))
            if eighth in (2, 6):
                drums.append((38, beat, 0.25, 100))
    midi = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    melody_events = [(0, mido.Message("program_change", channel=0, program=73))] + _notes(melody_notes(), 0)
    bass_events = [(0, mido.Message("program_change", channel=1, program=33))] + _notes(bass, 1)
    midi.tracks.append(mido.MidiTrack([tempo, mido.MetaMessage("time_signature", numerator=4, denominator=4)]))
    midi.tracks.append(_track(melody_events, "melody"))
    midi.tracks.append(_track(bass_events, "bass"))
    midi.tracks.append(_track(_notes(drums, 9), "drums"))
    return midi


def melody_file() -> mido.MidiFile:
    midi = mido.MidiFile(ticks_per_beat=TICKS_PER_BEAT)
    midi.tracks.append(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(TEMPO_BPM))]))
    midi.tracks.append(_track(_notes(melody_notes(), 0), "melody"))
    return midi


def write_demo(directory: Path = DEMO_DIR, sample_rate_hz: int = 22050) -> list[Path]:
    """Write the demo's MIDI and WAV files; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    melody_path, band_path, wav_path = directory / "demo_melody.mid", directory / "demo_band.mid", directory / "demo_band.wav"
    melody_file().save(melody_path)
    band_file().save(band_path)
    write_wav(wav_path, render_midi(band_path, sample_rate_hz), sample_rate_hz)
    return [melody_path, band_path, wav_path]
