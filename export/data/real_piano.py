"""``python -m export data instruments-real-piano``: the held-out test mixes again, with a recorded piano.

Every test mix of ``data instruments`` is made again from the same seeds: the same songs, stems, levels,
rests and recording chain, but the piano stem is the piano part of its song played by the Salamander Grand
Piano (``sampled_piano``) in place of the test soundfont's piano. The piano's scores on the two sets then
differ only by the sound of the piano: a soundfont's, or a real one's. The mixes' other labels are the
shipped test set's; the piano's are derived from its new stem by the same rule.

Layout of ``OUT`` (by default ``cache/instruments-real-piano``)::

    test/            NAME.wav with NAME.csv beside it, as the test set of ``data instruments``
    stems_test.npz   the test stems with the recorded piano
    instruments.json the build's settings and counts
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bridge.instrument_vocabulary import INSTRUMENT_CLASSES, INSTRUMENT_NAMES
from bridge.score import TICKS_PER_BEAT
from export.data.multitrack import (SAMPLE_RATE_HZ, SONG_S, mix_split, song_stem_parts, soundfont_groups,
                                    split_soundfonts, split_songs)
from export.data.render import bank_programs
from export.data.sampled_piano import SALAMANDER, SALAMANDER_PACKAGE, SampledPiano

PIANO = INSTRUMENT_NAMES.index("piano")


def recorded_piano_stems(summary: dict, stems: np.ndarray, piano: SampledPiano, folk: Path) -> np.ndarray:
    """The test ``stems`` of the build ``summary`` describes, each song's piano stem played by ``piano``: the notes
    the soundfont played, drawn again from the song's seed (``song_stem_parts``)."""
    plan = summary["splits"]["test"]
    soundfonts = split_soundfonts("test")
    if [s.name for s in soundfonts] != summary["soundfonts"]["test"]:
        raise ValueError(f"the test mixes were rendered with {summary['soundfonts']['test']}, this machine has "
                         f"{[s.name for s in soundfonts]}: the parts cannot be drawn again")
    pitched = [i for i, c in enumerate(INSTRUMENT_CLASSES) if c.role != "drums"]
    groups = soundfont_groups(split_songs("test", plan["songs"], summary["seed"], folk), len(soundfonts))
    replaced = stems.copy()
    song = 0
    for group, soundfont in zip(groups, soundfonts):
        programs = bank_programs(soundfont)
        for tokens, tempo_bpm, seed in tqdm(group, desc="recorded piano"):
            parts = song_stem_parts(tokens, tempo_bpm, seed, pitched, programs, summary["idiomatic"])
            notes = next(part.notes for part in parts if part.klass == PIANO)
            seconds_per_tick = 60.0 / tempo_bpm / TICKS_PER_BEAT
            replaced[song, PIANO] = piano.render(notes, seconds_per_tick, int(SONG_S * SAMPLE_RATE_HZ))
            song += 1
    return replaced


def build(data: Path = Path("cache/instruments"), out: Path = Path("cache/instruments-real-piano"),
          samples: Path = SALAMANDER, folk: Path = Path("cache/folk/folk.npz"), workers: int = 2) -> Path:
    """Write the test mixes of the build in ``data`` again into ``out``, with the recorded piano; returns the path of
    ``out/instruments.json``.

    Raises
    ------
    FileNotFoundError
        ``data`` holds no build of ``data instruments``, or ``samples`` no piano samples.
    ValueError
        The build's test soundfont is not this machine's.
    """
    if not (data / "instruments.json").exists() or not (data / "stems_test.npz").exists():
        raise FileNotFoundError(f"no build of `data instruments` in {data}")
    summary = json.loads((data / "instruments.json").read_text())
    with np.load(data / "stems_test.npz") as cached:
        stems = recorded_piano_stems(summary, cached["stems"], SampledPiano(samples, SAMPLE_RATE_HZ), folk)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "stems_test.npz", stems=stems.astype(np.float16))
    plan = summary["splits"]["test"]
    results = mix_split("test", stems, plan["mixes"], plan["seconds"], summary["seed"], out / "test",
                        summary["dropout_share"], workers)
    labels = np.stack([r[1] for r in results])
    record = {"from": str(data), "seed": summary["seed"], "piano": f"Salamander Grand Piano ({SALAMANDER_PACKAGE})",
              "soundfonts": summary["soundfonts"]["test"], "idiomatic": summary["idiomatic"],
              "test": {**plan, "active_seconds": dict(zip(INSTRUMENT_NAMES, labels.sum(axis=(0, 1)).astype(int).tolist()))}}
    path = out / "instruments.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path
