"""``python -m export data instruments``: multitrack renders with per-second instrument activity labels.

Songs are folk tunes with a band arrangement (``accompaniment.band_parts``; its chords
and bass line played as on each instrument, ``idioms``, unless ``--plain-parts``) at a
random tempo. Every instrument class renders its part of a song as a stem of its
own (FluidSynth, or where asked for TiMidity++ with freepats' patches or, for piano
and acoustic guitar, modelled strings; a random GM program of the class, vibrato
where the instrument has it); the drum set is
mixed from the sampled kits of the drum data. A mix takes 1 to 6 stems of one
song at random levels, with stretches where a stem falls silent, and a random
recording chain (and for a share of the training mixes, the dropouts of a live
input that misses cycles); a class is active in a second when its stem's level
there is within 30 dB of its loudest second and above -60 dBFS, as multitrack
data sets derive activations from stem envelopes.

Splits: songs by tune (the folk train/valid/test split) and by soundfont (the
test stems come from a soundfont and a drum kit that training never hears).

Layout of ``OUT``::

    stems_<split>.npz      the rendered stems (cache)
    train.npz, valid.npz   log-mel features and per-second labels of the mixes
    test/                  NAME.wav with NAME.csv beside it (see ``write_activity_csv``)
    instruments.json       counts and settings
"""

from __future__ import annotations

import json
import tempfile
from fractions import Fraction
from multiprocessing import Pool
from pathlib import Path
from typing import Iterator, NamedTuple

import mido
import numpy as np
from scipy.io import wavfile
from scipy.signal import resample_poly
from tqdm import tqdm

from bridge.features import INSTRUMENT_FEATURES, log_mel
from bridge.instrument_vocabulary import INSTRUMENT_CLASSES, INSTRUMENT_NAMES, InstrumentClass
from bridge.midi_file import append_events
from bridge.score import TICKS_PER_BEAT
from export.data.accompaniment import band_parts, bar_chords
from export.data.audio_effects import darken, dropouts, random_eq, recording_chain, saturate
from export.data.drum_kits import kits_for, load_kits
from export.data.drums import render_drums
from export.data.folk import load_splits
from export.data.grooves import generate
from export.data.idioms import STYLES, articulate, idiomatic_part, low_line
from export.data.modelled import MODELS, render_part
from export.data.render import bank_programs, render_midi

SAMPLE_RATE_HZ = INSTRUMENT_FEATURES.sample_rate_hz
SONG_S = 24.0
GAP_S = 3.0  # silence between stems in one FluidSynth render, for release tails
SOUNDFONTS = {"train": (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/TimGM6mb.sf2")),
              "valid": (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/TimGM6mb.sf2")),
              "test": (Path("/usr/share/sounds/sf3/MuseScore_General.sf3"),)}
# csound's GM bank (csound-soundfont): a third set of timbres for training and validation, only with
# ``data instruments --csound-bank``, an experiment the model card reports.
CSOUND_BANK = Path("/usr/share/sounds/sf2/sf_GMbank.sf2")
# freepats (GUS patches, mostly recorded instruments) through TiMidity++: another synthesiser and other samples for
# training and validation, only with ``data instruments --freepats``, an experiment the model card reports.
FREEPATS = Path("/etc/timidity/freepats.cfg")
# FluidR3 through TiMidity++ (``data instruments --fluidr3-timidity``): the control for freepats, the same
# synthesiser with recordings that training already has.
FLUIDR3_TIMIDITY = Path(__file__).with_name("fluidr3_timidity.cfg")
VIBRATO_CLASSES = ("strings", "voice", "synth_lead", "saxophone", "flute", "clarinet", "trumpet")
ACTIVE_WITHIN_DB, ACTIVE_FLOOR_DBFS = 30.0, -60.0
DROPOUT_SHARE = 0.5  # default share of the training mixes with the clicks of a live input that misses cycles


class PartStyle(NamedTuple):
    """How the players of the pitched stems play their parts (``stem_notes``)."""

    idiomatic: bool = False  # chord and bass instruments play as their players would (``idioms.idiomatic_part``)
    low_piano: float = 0.0  # share of the pianos not on the melody that play a bass line alone (``idioms.low_line``)
    articulation: float = 0.0  # share of the parts played staccato and with rests (``idioms.articulate``)

    def of_split(self, split: str) -> PartStyle:
        """The style of a split's parts: the test songs' pianos never play low and alone."""
        return self._replace(low_piano=0.0) if split == "test" else self

    def settings(self) -> dict:
        """What a stems file records of the style: only what differs from the plain parts."""
        return {key: value for key, value in self._asdict().items() if value}

    @classmethod
    def of_build(cls, summary: dict, split: str) -> PartStyle:
        """The style in which the build ``summary`` describes played the parts of ``split``."""
        style = cls(summary["idiomatic"], summary.get("low_piano", 0.0), summary.get("articulation", 0.0))
        return style.of_split(split)


def stem_notes(klass: InstrumentClass, tokens: np.ndarray, parts: dict, rng: np.random.Generator,
               seconds_per_tick: float, style: PartStyle = PartStyle(), seed: int = 0) -> list:
    """The part a class plays: its role's, and for chord instruments sometimes the melody, in ``style``; its
    articulation is drawn from the song's ``seed`` and the class alone (``articulated``)."""
    notes = _role_or_idiom(klass, tokens, parts, rng, seconds_per_tick, style)
    return articulated(notes, style.articulation, seed, INSTRUMENT_CLASSES.index(klass))


def _role_or_idiom(klass: InstrumentClass, tokens: np.ndarray, parts: dict, rng: np.random.Generator,
                   seconds_per_tick: float, style: PartStyle) -> list:
    if klass.role == "chords" and rng.random() < 0.3:
        return parts["melody"]
    low_piano = style.idiomatic and klass.name == "piano" and style.low_piano > 0
    if low_piano and rng.random() < style.low_piano:  # no draw by default
        return low_line(bar_chords(tokens), tokens.shape[1], rng, seconds_per_tick)
    if style.idiomatic and klass.name in STYLES:
        return idiomatic_part(klass.name, bar_chords(tokens), tokens.shape[1], rng, seconds_per_tick)
    return parts[klass.role]


def articulated(notes: list, share: float, seed: int, klass: int) -> list:
    """``notes`` as a player articulates them (``idioms.articulate``) in ``share`` of the parts, drawn from the song's
    ``seed`` and the class alone: the programs, parts and mixes of a build stay those of the build without it."""
    if not share:
        return notes
    rng = np.random.default_rng([seed, klass, 13])
    return articulate(notes, rng) if rng.random() < share else notes


def timbre_shifts(songs: list[tuple[np.ndarray, float, int]], classes: list[int], semitones: int) -> np.ndarray:
    """The shift of each (song, class) stem in ``songs_midi``'s order: a whole number of semitones drawn from
    ``-semitones`` to ``semitones`` by the song's seed and the class, all 0 where ``semitones`` is 0."""
    return np.array([int(np.random.default_rng([seed, index, 11]).integers(-semitones, semitones + 1)) if semitones else 0
                     for _, _, seed in songs for index in classes], np.int64)


def stretch_ratio(shift: int) -> Fraction:
    """How much longer a stem rendered ``shift`` semitones up (and that much faster) is played to sound at its
    pitch: 2^(shift/12), as a fraction for polyphase resampling (within 0.03 cent)."""
    return Fraction(2 ** (shift / 12)).limit_denominator(1000)


class StemPart(NamedTuple):
    """What one class plays in one song: its GM program, its vibrato depth (CC 1) and its notes."""

    klass: int
    program: int
    vibrato: int
    notes: list


def song_stem_parts(tokens: np.ndarray, tempo_bpm: float, seed: int, classes: list[int],
                    programs: frozenset[int] | None = None, style: PartStyle = PartStyle()) -> Iterator[StemPart]:
    """The part of each of ``classes`` in one song, drawn from the song's ``seed`` in ``classes``' order, as
    ``songs_midi`` plays them (``programs``, where not None, the GM programs the synthesiser has), played in
    ``style`` (``stem_notes``)."""
    rng = np.random.default_rng(seed)
    parts = band_parts(tokens, rng)
    seconds_per_tick = 60.0 / tempo_bpm / TICKS_PER_BEAT
    for index in classes:
        klass = INSTRUMENT_CLASSES[index]
        choices = [p for p in klass.programs if programs is None or p in programs]
        program = int(rng.choice(choices))
        vibrato = int(rng.integers(0, 70)) if klass.name in VIBRATO_CLASSES else 0
        yield StemPart(index, program, vibrato, stem_notes(klass, tokens, parts, rng, seconds_per_tick, style, seed))


def songs_midi(songs: list[tuple[np.ndarray, float, int]], classes: list[int],
               programs: frozenset[int] | None = None, shifts: np.ndarray | None = None,
               style: PartStyle = PartStyle()) -> tuple[mido.MidiFile, float]:
    """One MIDI file playing every (song, class) stem in turn on channel 1, in slots a little longer than
    ``SONG_S + GAP_S``.

    ``songs`` holds (tokens, tempo in BPM, seed); ``programs``, where not None, the GM programs the synthesiser has
    (a class plays one of its programs among them); ``shifts`` (``timbre_shifts``), where not None, transposes each
    stem by its shift and plays it that much faster, for ``restore_pitch`` to bring back; ``style`` goes to
    ``stem_notes``. Returns the file and the slot length in seconds.
    """
    ticks_per_s = 960  # the file runs at 120 BPM with 480 ticks a beat
    shifts = np.zeros(len(songs) * len(classes), np.int64) if shifts is None else shifts
    slot_s = SONG_S / float(stretch_ratio(int(shifts.min(initial=0)))) + GAP_S
    events: list[tuple[int, int, mido.Message]] = []
    slot = 0
    for tokens, tempo_bpm, seed in songs:
        seconds_per_tick = 60.0 / tempo_bpm / TICKS_PER_BEAT
        for part in song_stem_parts(tokens, tempo_bpm, seed, classes, programs, style):
            start = round(slot * slot_s * ticks_per_s)
            shift, speed = int(shifts[slot]), float(stretch_ratio(int(shifts[slot])))
            events.append((start, 0, mido.Message("program_change", channel=0, program=part.program)))
            events.append((start, 0, mido.Message("control_change", channel=0, control=1, value=part.vibrato)))
            for note in part.notes:
                on_s, off_s = note.start_tick * seconds_per_tick, note.end_tick * seconds_per_tick
                if on_s >= SONG_S:
                    break
                pitch = int(np.clip(note.pitch + shift, 0, 127))
                events.append((start + round(on_s / speed * ticks_per_s), 2,
                               mido.Message("note_on", channel=0, note=pitch, velocity=note.velocity)))
                events.append((start + round(min(off_s, SONG_S) / speed * ticks_per_s), 1,
                               mido.Message("note_off", channel=0, note=pitch)))
            events.append((start + round(SONG_S / speed * ticks_per_s), 1,
                           mido.Message("control_change", channel=0, control=123, value=0)))
            slot += 1
    midi = mido.MidiFile(ticks_per_beat=480)
    track = append_events(mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000)]), events)
    track.append(mido.MetaMessage("end_of_track", time=round(slot_s * ticks_per_s)))
    midi.tracks.append(track)
    return midi, slot_s


def restore_pitch(audio: np.ndarray, shift: int, n: int) -> np.ndarray:
    """A stem rendered ``shift`` semitones up and that much faster, resampled to sound at its pitch and tempo:
    its ``n`` samples keep the notes and timing, while the sound's spectral envelope (body resonances, formants,
    attack length) moves ``shift`` semitones down, a timbre its soundfont does not have."""
    if shift == 0:
        return audio[:n]
    ratio = stretch_ratio(shift)
    stretched = resample_poly(audio[: int(np.ceil(n / ratio)) + 1], ratio.numerator, ratio.denominator)
    return np.pad(stretched, (0, max(0, n - len(stretched))))[:n]


def render_stems(songs: list[tuple[np.ndarray, float, int]], soundfont: Path, timbre_shift: int = 0,
                 style: PartStyle = PartStyle()) -> np.ndarray:
    """Stems of every song and pitched class, shape (songs, classes - 1, samples): one synthesiser run; with
    ``timbre_shift``, each stem's timbre moved by up to that many semitones (``restore_pitch``); the parts played
    in ``style`` (``stem_notes``)."""
    classes = [i for i, c in enumerate(INSTRUMENT_CLASSES) if c.role != "drums"]
    shifts = timbre_shifts(songs, classes, timbre_shift)
    midi, slot_s = songs_midi(songs, classes, bank_programs(soundfont), shifts, style)
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "stems.mid"
        midi.save(path)
        audio = render_midi(path, SAMPLE_RATE_HZ, soundfont, gain=0.5)
    slot, n = int(slot_s * SAMPLE_RATE_HZ), int(SONG_S * SAMPLE_RATE_HZ)
    audio = np.pad(audio, (0, max(0, slot * len(shifts) - len(audio))))
    return np.stack([restore_pitch(audio[i * slot:(i + 1) * slot], int(shift), n) for i, shift in enumerate(shifts)]).reshape(
        len(songs), len(classes), n).astype(np.float32)


def drum_stems(songs: list[tuple[np.ndarray, float, int]], kits, held_out: bool) -> np.ndarray:
    """A drum stem per song at its tempo, from the training kits (or the held-out kit), shape (songs, samples)."""
    pool = kits_for(kits, "held_out" if held_out else "training")
    stems = []
    for _, tempo_bpm, seed in songs:
        rng = np.random.default_rng(seed + 1)
        hits, _ = generate(seed, SONG_S, tempo_bpm=tempo_bpm, scattered_share=0.0)
        stems.append(render_drums(hits, pool[int(rng.integers(len(pool)))], rng, int(SONG_S * SAMPLE_RATE_HZ)))
    return np.stack(stems).astype(np.float32)


def split_soundfonts(split: str, csound_bank: bool = False, freepats: bool = False,
                     fluidr3_timidity: bool = False) -> list[Path]:
    """The soundfonts that render a split's pitched stems, those of them this machine has."""
    wanted = ((CSOUND_BANK, csound_bank), (FREEPATS, freepats), (FLUIDR3_TIMIDITY, fluidr3_timidity))
    extra = [] if split == "test" else [bank for bank, asked in wanted if asked]
    return [s for s in (*SOUNDFONTS[split], *extra) if s.exists()]


def modelled_stems(songs: list[tuple[np.ndarray, float, int]], share: float,
                   style: PartStyle = PartStyle()) -> dict[tuple[int, int], np.ndarray]:
    """For about ``share`` of ``songs``, the piano and acoustic guitar stems played by modelled strings
    (``export.data.modelled``) instead of a soundfont: {(song index, class index): stem}."""
    replaced = {}
    for i, (tokens, tempo_bpm, seed) in enumerate(songs):
        rng = np.random.default_rng([seed, 7])
        if rng.random() >= share:
            continue
        parts = band_parts(tokens, np.random.default_rng(seed))  # the parts songs_midi gives the soundfonts
        seconds_per_tick = 60.0 / tempo_bpm / TICKS_PER_BEAT
        for name in MODELS:
            klass = INSTRUMENT_NAMES.index(name)
            notes = stem_notes(INSTRUMENT_CLASSES[klass], tokens, parts, rng, seconds_per_tick, style, seed)
            replaced[i, klass] = render_part(name, notes, seconds_per_tick, int(SONG_S * SAMPLE_RATE_HZ), SAMPLE_RATE_HZ, rng)
    return replaced


def split_songs(split: str, count: int, seed: int, folk: Path) -> list[tuple[np.ndarray, float, int]]:
    """The ``count`` songs of a split's stems: (tokens, tempo in BPM, seed), tunes drawn from the folk ``split``."""
    rng = np.random.default_rng([seed, len(split)])
    tunes = load_splits(folk)[split]
    return [(tunes[int(rng.integers(len(tunes)))], float(rng.uniform(70, 170)), seed * 100_000 + i + 1000 * len(split))
            for i in range(count)]


def soundfont_groups(songs: list, soundfonts: int) -> list[list]:
    """``songs`` shared out among ``soundfonts`` in turn; the stems file holds the groups one after another."""
    return [songs[i::soundfonts] for i in range(soundfonts)]


def build_stems(out: Path, split: str, count: int, seed: int, kits, folk: Path, soundfonts: list[Path],
                modelled_share: float = 0.0, timbre_shift: int = 0, style: PartStyle = PartStyle()) -> Path:
    """Render (or reuse) ``stems_<split>.npz``: all classes for ``count`` songs of the folk ``split``, the songs
    shared out among ``soundfonts``, ``modelled_share`` of them with modelled pianos and guitars, and the pitched
    stems' timbres shifted by up to ``timbre_shift`` semitones, their parts played in ``style`` (``render_stems``).

    Raises
    ------
    ValueError
        ``stems_<split>.npz`` is there but was rendered with other settings (a variant built into the
        folder of another), which reusing it would silently ignore.
    """
    path = out / f"stems_{split}.npz"
    settings = json.dumps({"songs": count, "seed": seed, "soundfonts": [s.name for s in soundfonts],
                           "modelled_share": modelled_share, "timbre_shift": timbre_shift,
                           **style.settings()}, sort_keys=True)  # stems from before: reused
    if path.exists():
        with np.load(path) as cached:
            rendered = str(cached["settings"]) if "settings" in cached else None
        if rendered is not None and rendered != settings:
            raise ValueError(f"{path} was rendered with {rendered}, not {settings}: give the variant its own --out")
        return path
    groups = soundfont_groups(split_songs(split, count, seed, folk), len(soundfonts))
    pitched = [render_stems(group, soundfont, timbre_shift, style)
               for group, soundfont in zip(groups, tqdm(soundfonts, desc=f"stems ({split})"))]
    drums = [drum_stems(group, kits, split == "test") for group in groups]
    stems = np.concatenate([np.concatenate((d[:, None], p), axis=1) for d, p in zip(drums, pitched)])
    for (song, klass), stem in modelled_stems([s for group in groups for s in group], modelled_share, style).items():
        stems[song, klass] = stem
    np.savez(path, stems=stems.astype(np.float16), soundfonts=np.array([s.name for s in soundfonts]),
             settings=np.array(settings))
    return path


def frame_rms_db(audio: np.ndarray, seconds: int) -> np.ndarray:
    """RMS level in dBFS of each whole second."""
    n = SAMPLE_RATE_HZ
    blocks = audio[: seconds * n].reshape(seconds, n)
    return 10 * np.log10(np.mean(blocks.astype(np.float64) ** 2, axis=1) + 1e-12)


def active_seconds(stem: np.ndarray, seconds: int) -> np.ndarray:
    """Per whole second of ``stem``, whether it plays: within ``ACTIVE_WITHIN_DB`` of its loudest second and above
    ``ACTIVE_FLOOR_DBFS``, as multitrack data sets derive activations from their stems."""
    levels = frame_rms_db(stem, seconds)
    return levels > max(ACTIVE_FLOOR_DBFS, levels.max() - ACTIVE_WITHIN_DB)


def active_seconds_by_class(labels: np.ndarray) -> dict[str, int]:
    """How many seconds each class plays in a split's labels (mixes, seconds, classes), as ``instruments.json``
    counts them."""
    return dict(zip(INSTRUMENT_NAMES, labels.sum(axis=(0, 1)).astype(int).tolist()))


def mix(stems: np.ndarray, rng: np.random.Generator, seconds: int, dark_share: float = 0.0
        ) -> tuple[np.ndarray, np.ndarray]:
    """A mix of 1-6 stems of one song, ``seconds`` long: audio and labels (seconds, classes) of 0/1;
    ``dark_share`` of the stems ``darken``ed."""
    n = seconds * SAMPLE_RATE_HZ
    offset = int(rng.integers(0, stems.shape[1] - n + 1))
    audible = [c for c in range(stems.shape[0]) if np.abs(stems[c, offset:offset + n]).max() > 1e-3]
    chosen = rng.choice(audible, size=min(len(audible), int(rng.integers(1, 7))), replace=False) if audible else []
    out = np.zeros(n, np.float32)
    labels = np.zeros((seconds, len(INSTRUMENT_CLASSES)), np.float32)
    for c in chosen:
        stem = stems[c, offset:offset + n].astype(np.float32)
        stem = random_eq(stem, rng, SAMPLE_RATE_HZ) if rng.random() < 0.5 else stem
        if dark_share and rng.random() < dark_share:  # no draw without it: the default mixes stay as they were
            stem = darken(stem, rng, SAMPLE_RATE_HZ)
        if INSTRUMENT_NAMES[c] == "distorted_electric_guitar" or rng.random() < 0.05:
            stem = saturate(stem, rng, SAMPLE_RATE_HZ)  # amp-style distortion
        if rng.random() < 0.5:  # the instrument rests for a stretch, with 50 ms fades
            start, length, fade = int(rng.integers(0, n)), int(rng.integers(2, seconds) * SAMPLE_RATE_HZ), 1100
            corners = [0, start - fade, start, start + length, start + length + fade, n]
            stem = stem * np.interp(np.arange(n), corners, [1, 1, 0, 0, 1, 1]).astype(np.float32)
        stem = stem / (np.sqrt(np.mean(stem**2)) + 1e-9) * 10 ** (rng.uniform(-12, 0) / 20) * 0.1
        labels[:, c] = active_seconds(stem, seconds)
        out += stem
    return recording_chain(out, rng, SAMPLE_RATE_HZ), labels


def write_activity_csv(path: Path, labels: np.ndarray) -> None:
    """``time_s,<class>,...`` header, then one row per second: its start time and 0/1 per class."""
    rows = [",".join(["time_s", *INSTRUMENT_NAMES])]
    rows += [",".join([f"{t:.1f}", *(str(int(v)) for v in row)]) for t, row in enumerate(labels)]
    path.write_text("\n".join(rows) + "\n")


def read_activity_csv(path: Path) -> np.ndarray:
    """Labels (seconds, classes) in ``INSTRUMENT_NAMES`` order; classes missing from the file count as inactive."""
    lines = [line.split(",") for line in path.read_text().split("\n") if line.strip()]
    header = lines[0][1:]
    labels = np.zeros((len(lines) - 1, len(INSTRUMENT_NAMES)), np.float32)
    for column, name in enumerate(header):
        if name in INSTRUMENT_NAMES:
            labels[:, INSTRUMENT_NAMES.index(name)] = [float(row[column + 1]) for row in lines[1:]]
    return labels


_STEMS: dict[str, np.ndarray] = {}


def _mix_job(job: tuple[str, int, int, int, str | None, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """One seeded mix: its log-mel frames (none for the test split) and labels; the WAV and CSV too with ``out_dir``.
    A training mix gets dropouts with probability ``dropout_share``, and ``dark_share`` of its stems darkened."""
    split, index, seconds, seed, out_dir, dropout_share, dark_share = job
    rng = np.random.default_rng([seed, index, len(split)])
    stems = _STEMS[split]
    audio, labels = mix(stems[int(rng.integers(len(stems)))], rng, seconds, dark_share if split == "train" else 0.0)
    if split == "train" and rng.random() < dropout_share:  # validation and test mixes stay as recordings give them
        audio = dropouts(audio, rng, SAMPLE_RATE_HZ)
    if out_dir is not None:
        name = f"{split}_{index:04d}"
        wavfile.write(Path(out_dir) / f"{name}.wav", SAMPLE_RATE_HZ, np.round(np.clip(audio, -1, 1) * 32767).astype(np.int16))
        write_activity_csv(Path(out_dir) / f"{name}.csv", labels)
    if split == "test":  # evaluated from its WAV files
        return np.zeros((0, INSTRUMENT_FEATURES.n_mels), np.float16), labels
    return log_mel(audio, SAMPLE_RATE_HZ, INSTRUMENT_FEATURES)[: seconds * 50].astype(np.float16), labels


def mix_split(split: str, stems: np.ndarray, mixes: int, seconds: int, seed: int, directory: Path | None,
              dropout_share: float, workers: int, dark_share: float = 0.0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``mixes`` seeded mixes of a split from its ``stems`` (songs, classes, samples): each one's log-mel frames
    (none for the test split) and labels, and with ``directory`` its WAV and CSV there (``_mix_job``)."""
    _STEMS[split] = stems
    if directory is not None:
        directory.mkdir(exist_ok=True)
    with Pool(workers) as pool:
        jobs = [(split, i, seconds, seed, str(directory) if directory else None, dropout_share, dark_share)
                for i in range(mixes)]
        return list(tqdm(pool.imap(_mix_job, jobs, chunksize=8), total=mixes, desc=f"mixes ({split})"))


def split_plan(scale: float) -> dict[str, tuple[int, int, int]]:
    """Songs, mixes and seconds a mix of each split; above a scale of 1 the test set stays the same."""
    test_scale = min(scale, 1.0)
    return {"train": (max(2, int(48 * scale)), max(4, int(2400 * scale)), 10),
            "valid": (max(2, int(8 * scale)), max(4, int(240 * scale)), 10),
            "test": (max(2, int(12 * test_scale)), max(4, int(60 * test_scale)), 20)}


def build(out: Path, scale: float = 1.0, workers: int = 2, seed: int = 0, folk: Path = Path("cache/folk/folk.npz"),
          kits_dir: Path = Path("cache/drums/kits"), audio: bool = False, dropout_share: float = DROPOUT_SHARE,
          csound_bank: bool = False, freepats: bool = False, modelled_share: float = 0.0, timbre_shift: int = 0,
          style: PartStyle = PartStyle(idiomatic=True), dark_share: float = 0.0, fluidr3_timidity: bool = False) -> Path:
    """Render stems, mix and cache every split; returns the path of ``instruments.json``.

    ``scale`` multiplies the songs and mixes of training and validation (``split_plan``);
    above 1 the test set stays as it is, so that every variant is scored on the same mixes.
    The test mixes are written as WAV and CSV files; with ``audio``, the training
    and validation mixes too (the same mixes, for front ends that read audio).
    ``dropout_share`` of the training mixes get the dropouts of a live input; with
    ``csound_bank``, csound's GM bank, with ``freepats``, freepats through TiMidity++, and with
    ``fluidr3_timidity``, FluidR3 through TiMidity++, render their share of the training and validation songs;
    ``modelled_share`` of those songs have their piano and acoustic guitar played by modelled strings, and with
    ``timbre_shift`` their pitched stems' timbres are moved by up to that many semitones. Every split's parts are
    played in ``style``: with ``idiomatic``, the chord and bass instruments (the test set's too) play as their
    players would (``idioms``), without, the arrangement's plain parts; ``low_piano`` of the training and
    validation songs' pianos that do not play the melody play a bass line alone (``idioms.low_line``);
    ``articulation`` of every split's parts are played staccato and with rests (``idioms.articulate``).
    ``dark_share`` of the training mixes' stems are ``darken``ed, as soft playing or a dull microphone gives them.
    """
    out.mkdir(parents=True, exist_ok=True)
    kits = load_kits(kits_dir, SAMPLE_RATE_HZ)
    plan = split_plan(scale)
    banks = (csound_bank, freepats, fluidr3_timidity)
    summary: dict = {"seed": seed, "features": INSTRUMENT_FEATURES.as_dict(), "classes": list(INSTRUMENT_NAMES),
                     "soundfonts": {k: [s.name for s in split_soundfonts(k, *banks)] for k in SOUNDFONTS},
                     "active_within_db": ACTIVE_WITHIN_DB, "active_floor_dbfs": ACTIVE_FLOOR_DBFS,
                     "dropout_share": dropout_share, "modelled_share": modelled_share, "timbre_shift": timbre_shift,
                     **style._asdict(), **({"dark_share": dark_share} if dark_share else {}), "splits": {}}
    for split, (songs, mixes, seconds) in plan.items():
        held_out = split == "test"
        path = build_stems(out, split, songs, seed, kits, folk, split_soundfonts(split, *banks),
                           0.0 if held_out else modelled_share, 0 if held_out else timbre_shift, style.of_split(split))
        results = mix_split(split, np.load(path)["stems"], mixes, seconds, seed, out / split if held_out or audio else None,
                            dropout_share, workers, dark_share)
        labels = np.stack([r[1] for r in results])
        if split != "test":
            np.savez(out / f"{split}.npz", features=np.stack([r[0] for r in results]), labels=labels)
        summary["splits"][split] = {"songs": songs, "mixes": mixes, "seconds": seconds,
                                    "active_seconds": active_seconds_by_class(labels)}
    path = out / "instruments.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return path


TRIO_BASSES = ("electric_bass", "double_bass")  # the bass of a held-out trio: a band's, or a jazz piano trio's


def trio_mix(song_stems: np.ndarray, bass: str = "electric_bass", seconds: int = 12,
             stop_s: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Piano, ``bass`` and drums of one song's stems (classes, samples) at one level each, the drums stopping at
    ``stop_s``: audio peaking at 0.8 and per-second labels (seconds, classes), as ``mix`` labels them."""
    n = seconds * SAMPLE_RATE_HZ
    trio = {name: song_stems[INSTRUMENT_NAMES.index(name), :n].astype(np.float32) for name in ("piano", bass, "drums")}
    fade = np.clip((stop_s * SAMPLE_RATE_HZ + 1100 - np.arange(n)) / 1100, 0, 1).astype(np.float32)
    trio["drums"] = trio["drums"] * fade
    labels = np.zeros((seconds, len(INSTRUMENT_NAMES)), np.float32)
    audio = np.zeros(n, np.float32)
    for name, stem in trio.items():
        stem = stem / (np.sqrt(np.mean(stem[: stop_s * SAMPLE_RATE_HZ] ** 2)) + 1e-9) * 0.08
        labels[:, INSTRUMENT_NAMES.index(name)] = active_seconds(stem, seconds)
        audio += stem
    return audio * (0.8 / np.abs(audio).max()), labels


def bundle_trio(stems_path: Path, out: Path, song: int = 0) -> Path:
    """A held-out trio for the tests and the bench: piano, electric bass and drums of a test song (``trio_mix``).
    Writes ``out`` (22.05 kHz WAV) and its per-second activity CSV."""
    audio, labels = trio_mix(np.load(stems_path)["stems"][song])
    wavfile.write(out, SAMPLE_RATE_HZ, np.round(audio * 32767).astype(np.int16))
    write_activity_csv(out.with_suffix(".csv"), labels)
    return out
