"""``python -m export data instruments-real-piano`` and ``data instruments-recorded-samples``: the held-out test
mixes again, with recorded instruments in place of the test soundfont's.

Every test mix of ``data instruments`` is made again from the same seeds: the same songs, parts, levels, rests
and recording chain, but the stems of some classes are their songs' parts played by samplers of real
instruments recorded note by note (``export.data.sampler``). ``instruments-real-piano`` replaces the piano
alone (the Salamander Grand Piano); ``instruments-recorded-samples`` replaces every class that a recorded
instrument on npm can play (``RECORDED_SAMPLES``: 12 of the 17; the drum stems already play the held-out
sampled kit, and the electric piano, the synthesisers and the choir keep the soundfont). A class's scores on
a set and on the soundfont's test set then differ only by the sound of its instrument. The labels of the
replaced classes are derived from their new stems by the same rule as every label; the other classes' are the
shipped test set's.

The validation mixes can be made again the same way (``--only valid``), to choose models by how they hear
recorded instruments; they share the instruments with the test set, not the songs.

Layout of ``OUT`` (by default ``cache/instruments-real-piano`` or ``cache/instruments-recorded-samples``)::

    test/            NAME.wav with NAME.csv beside it, as the test set of ``data instruments``
    stems_test.npz   the test stems with the recorded instruments
    valid/, stems_valid.npz   the same for the validation mixes, where built
    instruments.json the build's settings and instruments; by split, its counts and how far notes were moved
                     from their samples
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Collection, Sequence

import numpy as np
from tqdm import tqdm

from bridge.instrument_vocabulary import INSTRUMENT_CLASSES, INSTRUMENT_NAMES
from bridge.score import TICKS_PER_BEAT
from export.data.audio_effects import guitar_amp
from export.data.multitrack import (SAMPLE_RATE_HZ, SONG_S, PartStyle, active_seconds_by_class, mix_split,
                                    song_stem_parts, soundfont_groups, split_soundfonts, split_songs)
from export.data.render import bank_programs
from export.data.sampler import SALAMANDER, Sampler, tonejs_samples

# By class, the instruments that may play it, one per song in turn; an instrument is one or more sample folders.
Instruments = dict[str, tuple[tuple[Path, ...], ...]]
RECORDED_PIANO: Instruments = {"piano": ((SALAMANDER,),)}
RECORDED_SAMPLES: Instruments = {
    "electric_bass": ((tonejs_samples("bass-electric"),),),
    "double_bass": ((tonejs_samples("contrabass"),),),
    "piano": ((SALAMANDER,),),
    "organ": ((tonejs_samples("organ"),),),
    "acoustic_guitar": ((tonejs_samples("guitar-acoustic"),), (tonejs_samples("guitar-nylon"),)),
    "clean_electric_guitar": ((tonejs_samples("guitar-electric"),),),
    "distorted_electric_guitar": ((tonejs_samples("guitar-electric"),),),  # then through an amp (AMPLIFIED)
    "strings": ((tonejs_samples("cello"), tonejs_samples("violin")),),  # a section: cellos under violins
    "trumpet": ((tonejs_samples("trumpet"),),),
    "saxophone": ((tonejs_samples("saxophone"),),),
    "flute": ((tonejs_samples("flute"),),),
    "clarinet": ((tonejs_samples("clarinet"),),),
}
# Classes whose recorded instrument is a clean one played through ``guitar_amp``, as a guitarist's rig makes it
# (the soundfont's distorted guitars are recorded through one; the mixes' own mild ``saturate`` comes on top).
AMPLIFIED = ("distorted_electric_guitar",)
FAR_SHIFT = 3  # semitones from its sample beyond which a note's timbre is counted as moved far


def recorded_stems(summary: dict, stems: np.ndarray, samplers: dict[int, list[Sampler]], folk: Path,
                   split: str = "test", songs: Collection[int] | None = None
                   ) -> tuple[np.ndarray, dict[str, dict[str, float]]]:
    """The ``split`` ``stems`` of the build ``summary`` describes, the stem of each class in ``samplers`` played by
    its samplers, one per song in turn, from the notes the soundfont played (drawn again from the song's seed,
    ``song_stem_parts``), in every song or in those of ``songs`` (indices into ``stems``). Also, by class: the
    notes played, the largest move from a sample in semitones, and the share of notes moved more than
    ``FAR_SHIFT``."""
    plan = summary["splits"][split]
    soundfonts = split_soundfonts(split)
    if [s.name for s in soundfonts] != summary["soundfonts"][split]:
        raise ValueError(f"the {split} mixes were rendered with {summary['soundfonts'][split]}, this machine "
                         f"renders them with {[s.name for s in soundfonts]}: the parts cannot be drawn again")
    pitched = [i for i, c in enumerate(INSTRUMENT_CLASSES) if c.role != "drums"]
    groups = soundfont_groups(split_songs(split, plan["songs"], summary["seed"], folk), len(soundfonts))
    replaced = stems.copy()
    shifts: dict[int, list[int]] = {c: [] for c in samplers}
    programs = {soundfont: bank_programs(soundfont) for soundfont in soundfonts}
    in_order = [(song, soundfont) for group, soundfont in zip(groups, soundfonts) for song in group]  # as stems holds them
    style = PartStyle.of_build(summary, split)
    for index, ((tokens, tempo_bpm, seed), soundfont) in enumerate(tqdm(in_order, desc="recorded instruments")):
        if songs is not None and index not in songs:
            continue
        seconds_per_tick = 60.0 / tempo_bpm / TICKS_PER_BEAT
        for part in song_stem_parts(tokens, tempo_bpm, seed, pitched, programs[soundfont], style):
            if part.klass in samplers:
                sampler = samplers[part.klass][index % len(samplers[part.klass])]
                stem = sampler.render(part.notes, seconds_per_tick, int(SONG_S * SAMPLE_RATE_HZ))
                amplified = INSTRUMENT_NAMES[part.klass] in AMPLIFIED and np.abs(stem).max() > 0
                replaced[index, part.klass] = guitar_amp(stem, SAMPLE_RATE_HZ) if amplified else stem
                shifts[part.klass] += [abs(sampler.shift(int(note.pitch))) for note in part.notes]
    moved = {INSTRUMENT_NAMES[c]: {"notes": len(s), "largest_shift": max(s, default=0),
                                   "share_beyond_far_shift": round(float(np.mean(np.asarray(s) > FAR_SHIFT)), 3) if s else 0.0}
             for c, s in shifts.items()}
    return replaced, moved


def build(data: Path = Path("cache/instruments"), out: Path = Path("cache/instruments-real-piano"),
          instruments: Instruments = RECORDED_PIANO, folk: Path = Path("cache/folk/folk.npz"), workers: int = 2,
          splits: Sequence[str] = ("test",)) -> Path:
    """Write the mixes of ``splits`` (``test``, and ``valid`` to choose models by) of the build in ``data`` again
    into ``out``, with the recorded ``instruments`` (``RECORDED_PIANO`` or ``RECORDED_SAMPLES``); returns the path
    of ``out/instruments.json``, which keeps what earlier builds of other splits into ``out`` wrote there.

    Raises
    ------
    FileNotFoundError
        ``data`` holds no build of ``data instruments``, or a sample folder no samples.
    ValueError
        The build rendered a split with other soundfonts than this machine would.
    """
    if not (data / "instruments.json").exists() or not all((data / f"stems_{split}.npz").exists() for split in splits):
        raise FileNotFoundError(f"no build of `data instruments` in {data}")
    summary = json.loads((data / "instruments.json").read_text())
    samplers = {INSTRUMENT_NAMES.index(name): [Sampler(list(folders), SAMPLE_RATE_HZ) for folders in choices]
                for name, choices in instruments.items()}
    path = out / "instruments.json"
    record = json.loads(path.read_text()) if path.exists() else {}
    record |= {"from": str(data), "seed": summary["seed"],
               "recorded": {name: [[folder.name if folder != SALAMANDER else "Salamander Grand Piano" for folder in folders]
                                   for folders in choices] for name, choices in instruments.items()},
               "idiomatic": summary["idiomatic"]}
    out.mkdir(parents=True, exist_ok=True)
    for split in splits:
        with np.load(data / f"stems_{split}.npz") as cached:
            stems, moved = recorded_stems(summary, cached["stems"], samplers, folk, split)
        np.savez(out / f"stems_{split}.npz", stems=stems.astype(np.float16))
        plan = summary["splits"][split]
        results = mix_split(split, stems, plan["mixes"], plan["seconds"], summary["seed"], out / split,
                            summary["dropout_share"], workers)
        labels = np.stack([r[1] for r in results])
        record[split] = {**plan, "soundfonts": summary["soundfonts"][split], "moved_from_samples": moved,
                         "active_seconds": active_seconds_by_class(labels)}
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
