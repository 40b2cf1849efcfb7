"""``python -m export data instruments-lmms-samples``: training mixes with a third recording of some classes.

The Debian soundfonts hold about two recordings a class (``evaluate soundfont-samples``: the test soundfont
replays FluidR3's, csound's bank TimGM6mb's), so a network learns a trumpet from two trumpets. LMMS's sample
folder (Debian package lmms-common) holds one-note recordings that no training or test soundfont plays (checked
by ``evaluate soundfont-samples``' audio comparison) of six classes: ``LMMS_SAMPLES``. This makes the training
mixes of a build of ``data instruments`` again with a third of its training songs (``SHARE``, drawn from the
build's seed) playing those classes' parts on LMMS's recordings through the sampler that plays the recorded test
instruments (``export.data.sampler``): one or a few recordings a class, each note the nearest one resampled. A
class's parts span up to three octaves where it has one recording, and a recording moved that far is a
caricature of its instrument, so each note sounds in the octave of its pitch class nearest a recording, at most
6 semitones from it (the labels, activity per second, do not change; the build's ``instruments.json`` says how
far notes moved). The validation and test mixes stay the build's, so a model trained on these mixes is scored on
the same sets as one trained on the build.

Layout of ``OUT`` (default ``cache/instruments-lmms-samples``)::

    train.npz        the training mixes' log-mel frames and labels
    valid.npz        the build's, copied
    stems_train.npz  the training stems, with LMMS's recordings where they play
    instruments.json the build's summary, the songs and classes replaced and how far notes moved from their samples
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.data.multitrack import SAMPLE_RATE_HZ, active_seconds_by_class, mix_split
from export.data.recorded_stems import recorded_stems
from export.data.sampler import Sampler

LMMS = Path("/usr/share/lmms/samples/instruments")  # Debian package lmms-common
# By class, LMMS's recordings and the pitch each sounds (pyin's median f0 over its first 3 s, the nearest MIDI
# note: all within 17 cents of it; tests/test_lmms_training.py measures them again). Left out: the electric
# piano samples (named as chords, "accord"), the steel guitars (their lowest C, far below every guitar part) and
# the harpsichord (an unreadable file).
LMMS_SAMPLES: dict[str, dict[str, int]] = {
    "electric_bass": {"bassslap02.ogg": 36, "bassslap01.ogg": 38},
    "piano": {"piano02.ogg": 48, "piano01.ogg": 60},
    "organ": {"church_organ04.ogg": 45, "church_organ02.ogg": 57, "church_organ01.ogg": 69},
    "strings": {"cello01.ogg": 38, "violin_fingered01.ogg": 67},
    "trumpet": {"trumpet01.ogg": 69},
    "flute": {"flute01.ogg": 81},
}
SHARE = 1 / 3  # of the training songs: a third recording beside the two soundfonts


def lmms_recordings(folder: Path = LMMS) -> dict[str, dict[Path, int]]:
    """``LMMS_SAMPLES`` as files in ``folder`` with their pitches, by class name.

    Raises
    ------
    FileNotFoundError
        A recording is not in ``folder`` (lmms-common is not installed).
    """
    missing = [name for files in LMMS_SAMPLES.values() for name in files if not (folder / name).exists()]
    if missing:
        raise FileNotFoundError(f"{', '.join(missing)} not in {folder}: install the Debian package lmms-common")
    return {name: {folder / f: pitch for f, pitch in files.items()} for name, files in LMMS_SAMPLES.items()}


def lmms_samplers(folder: Path = LMMS) -> dict[int, list[Sampler]]:
    """A sampler of ``lmms_recordings`` for each of their classes, by class index, each note folded to the octave
    nearest a recording.

    Raises
    ------
    FileNotFoundError
        A recording is not in ``folder`` (lmms-common is not installed).
    """
    return {INSTRUMENT_NAMES.index(name): [Sampler(files, SAMPLE_RATE_HZ, fold_octaves=True)]
            for name, files in lmms_recordings(folder).items()}


def replaced_songs(songs: int, seed: int, share: float = SHARE) -> list[int]:
    """The ``share`` of a build's ``songs`` training songs (indices) that LMMS's recordings play, drawn from its
    ``seed``."""
    return sorted(np.random.default_rng([seed, 11]).choice(songs, round(share * songs), replace=False).tolist())


def build(data: Path = Path("cache/instruments"), out: Path = Path("cache/instruments-lmms-samples"),
          folk: Path = Path("cache/folk/folk.npz"), workers: int = 2, folder: Path = LMMS) -> Path:
    """Write the training mixes of the build in ``data`` again into ``out``, ``SHARE`` of its songs with LMMS's
    recordings, and copy its validation mixes; returns the path of ``out/instruments.json``.

    Raises
    ------
    FileNotFoundError
        ``data`` holds no build of ``data instruments``, or lmms-common is not installed.
    ValueError
        The build rendered its training songs with other soundfonts than this machine would.
    """
    if not all((data / name).exists() for name in ("instruments.json", "stems_train.npz", "valid.npz")):
        raise FileNotFoundError(f"no build of `data instruments` in {data}")
    summary = json.loads((data / "instruments.json").read_text())
    plan = summary["splits"]["train"]
    songs = replaced_songs(plan["songs"], summary["seed"])
    with np.load(data / "stems_train.npz") as cached:
        stems, moved = recorded_stems(summary, cached["stems"], lmms_samplers(folder), folk, "train", set(songs))
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "stems_train.npz", stems=stems.astype(np.float16))
    results = mix_split("train", stems, plan["mixes"], plan["seconds"], summary["seed"], None,
                        summary["dropout_share"], workers, summary.get("dark_share", 0.0))
    labels = np.stack([r[1] for r in results])
    np.savez(out / "train.npz", features=np.stack([r[0] for r in results]), labels=labels)
    shutil.copyfile(data / "valid.npz", out / "valid.npz")
    summary["lmms_samples"] = {"from": str(data), "songs": songs, "recordings": LMMS_SAMPLES,
                               "moved_from_samples": moved}
    summary["splits"]["train"]["active_seconds"] = active_seconds_by_class(labels)
    path = out / "instruments.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return path
