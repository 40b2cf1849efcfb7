"""Offline commands: a file goes through the same engine code a live performance does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bridge.config import VELOCITY_REFERENCES, Config, load_config
from bridge.engines.drums import DEFAULT_DRUM_MODEL
from bridge.engines.inpaint import BAR_TICKS, InpaintModel, gap_context, has_notes
from bridge.midi_file import append_events, read_notes, write_notes
from bridge.models import models_directory
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


def write_drum_midi(path: Path, onsets: list, note_s: float = 0.05) -> None:
    """Drum notes on channel 10 (GM numbers) at their onset times; 120 BPM, 960 ticks a second."""
    import mido

    from bridge.drum_vocabulary import DRUM_CHANNEL
    from bridge.engines.drums import GM_NOTE_OF_CLASS

    ticks_per_s = 960
    events = []
    for onset in onsets:
        note = GM_NOTE_OF_CLASS[onset.name]
        events.append((round(onset.time_s * ticks_per_s), 1, mido.Message("note_on", channel=DRUM_CHANNEL, note=note, velocity=onset.velocity)))
        events.append((round((onset.time_s + note_s) * ticks_per_s), 0, mido.Message("note_off", channel=DRUM_CHANNEL, note=note)))
    midi = mido.MidiFile(ticks_per_beat=480)
    midi.tracks.append(append_events(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(120))]), events))
    midi.save(path)


def transcribe_drums_file(source: Path, output: Path | None, threshold: float | None = None,
                          class_thresholds: dict[str, float] | None = None, model_name: str = DEFAULT_DRUM_MODEL,
                          config: Config | None = None, velocity_reference: str = "file") -> dict:
    """Stream an audio file through the live drum engine with the model ``model_name``; write drum MIDI
    to ``output`` if given.

    ``config`` (the defaults when None) gives the models' folder and provider, the velocities (``[drums]
    velocity`` and its curve and memory) and thresholds: its ``[drums] threshold`` unless ``threshold`` is given,
    then its ``[drums.thresholds]`` under ``class_thresholds`` (those of ``bridge.engines.drums.transcribe``).
    Velocities from the levels are mapped against each drum's loudest stroke in the whole file where
    ``velocity_reference`` is "file", against its loudest so far where it is "running" (as live); the result's
    ``velocity_reference`` is None where the activations give them.

    Raises
    ------
    ValueError
        The file cannot be read as audio, or a threshold is out of range or names no drum class.
    """
    from bridge.engines.drums import DrumModel, against_loudest_in_file, transcribe

    if velocity_reference not in VELOCITY_REFERENCES:
        raise ValueError(f"no velocity reference {velocity_reference!r}: choose {' or '.join(VELOCITY_REFERENCES)}")
    config = config or load_config()
    if threshold is None and config.drums.threshold:
        threshold = config.drums.threshold
    audio, sample_rate_hz = read_audio(source)
    model = DrumModel(models_directory(config.models.dir), config.models.provider, model_name)
    onsets = transcribe(audio, sample_rate_hz, model, threshold,
                        class_thresholds={**config.drums.thresholds, **(class_thresholds or {})},
                        velocity=config.drums.velocity_settings())
    mapped = velocity_reference if config.drums.velocity == "level" else None  # none for the activations'
    if mapped == "file":
        onsets = against_loudest_in_file(onsets, config.drums.velocity_curve_db)
    if output is not None:
        write_drum_midi(output, onsets)
    return {"model": model_name, "sample_rate_hz": int(sample_rate_hz), "velocity_reference": mapped,
            "duration_s": round(len(audio) / sample_rate_hz, 3),
            "onsets": [{"time": round(o.time_s, 4), "drum": o.name, "velocity": o.velocity,
                        "level_dbfs": round(o.level_db, 1)} for o in onsets]}


def read_audio(source: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples of any file libsndfile or audioread reads, at its own rate.

    Raises
    ------
    ValueError
        The file cannot be read as audio.
    """
    import warnings

    import librosa

    try:
        with warnings.catch_warnings():  # librosa warns on every fallback to audioread; the error below says enough
            warnings.simplefilter("ignore")
            audio, sample_rate_hz = librosa.load(source, sr=None, mono=True)
    except Exception as exc:  # soundfile and audioread raise many unrelated types for a bad file
        # librosa's last resort, audioread, fails with an empty message for a file of no sound format at all.
        reason = str(exc) or "no decoder on this machine (libsndfile, audioread) knows its format"
        raise ValueError(f"cannot read {source} as audio: {reason}") from exc
    return audio, int(sample_rate_hz)


def detect_instruments_file(source: Path, config: Config | None = None) -> dict:
    """Stream an audio file through the live instrument engine, with the models' folder, provider and
    ``[instruments]`` settings (smoothing, hysteresis, update rate, silence level) of ``config`` (the defaults
    when None).

    Returns the classes, the update period, the time of every update, its smoothed activity, the classes
    on at it (each class's tuned hysteresis), the families and their activity (as ``/instrument/family_activity``)
    and, per class, the highest clip probability of any ten-second stretch.
    """
    from bridge.engines.instruments import InstrumentModel, detect, engine_settings
    from bridge.instrument_vocabulary import Families

    config = config or load_config()
    audio, sample_rate_hz = read_audio(source)
    model = InstrumentModel(models_directory(config.models.dir), config.models.provider)
    updates = detect(audio, sample_rate_hz, model, **engine_settings(config.instruments, model))
    families = Families.of(model.classes)
    clips = [u.clip for u in updates if u.clip is not None]
    clip = np.max(clips, axis=0) if clips else np.zeros(len(model.classes))
    hop_s = (updates[1].time_s - updates[0].time_s) if len(updates) > 1 else 0.0
    return {"classes": list(model.classes), "hop_s": round(hop_s, 4),
            "time_s": [round(float(u.time_s), 4) for u in updates],
            "activity": [[round(float(v), 4) for v in u.activity] for u in updates],
            "active": [[name for name, on in zip(model.classes, u.active) if on] for u in updates],
            "families": list(families.names),
            "family_activity": [[round(float(v), 4) for v in families.activity(u.activity)] for u in updates],
            "clip": {name: round(float(p), 4) for name, p in zip(model.classes, clip)}}
