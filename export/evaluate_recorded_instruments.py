"""``python -m export evaluate recorded-instruments``: the instrument models on real recordings.

Debian's sonic-pi-samples holds a few real recordings of instruments this vocabulary has, each a CC0 upload
to freesound: the Amen break (drums), four guitar parts, a piano and a choir (voice). Each is scored alone,
and the break under each guitar part with the piano, each part at the break's level (the mixes of
``data recorded-drums``). A second is labelled active for a recording where its level is within 30 dB of its
loudest second and above -60 dBFS, the rule of the rendered mixes. The guitar parts do not say whether the
guitar is electric, so the instruments are scored as musicnn's tags are compared (``SHARED_CLASSES``: guitar is
any of the three guitar classes): ROC AUC per instrument per second and per track, for the shipped graph, the
FC, CNN and CRNN of the run folder and, where ``export/musicnn_peer.py`` has run on the folders (``--out
DIR/musicnn``), for musicnn's own tags and the musicnn head of the run folder. The tracks are made again from
the package for each evaluation (the same every time); ``python -m export data recorded-instruments`` writes
them for the peer first:

    DIR/solo/NAME.wav     each recording alone (22.05 kHz; DIR by default cache/instruments-recorded)
    DIR/mix/NAME.wav      the break under a guitar part and the piano
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import librosa
import numpy as np
from scipy.io import wavfile

from bridge.features import INSTRUMENT_FEATURES, log_mel
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from bridge.offline import read_audio
from export.data.multitrack import SAMPLE_RATE_HZ, active_seconds
from export.data.drum_kits import SONIC_PI_SAMPLES
from export.data.recorded_drums import BREAK_FILE, GUITARS, PIANO, band_parts
from export.evaluate_instruments import (checkpoint_probabilities, second_windows, shared_class_report,
                                         shipped_probabilities)
from export.musicnn_front import SHARED_CLASSES, merge_classes, musicnn_file, tag_scores
from export.train_instruments import load_activity

SHARED_NAMES = tuple(SHARED_CLASSES)
# Each recording and the shared instrument it is (``SHARED_CLASSES``).
RECORDINGS: dict[str, str] = {BREAK_FILE.removesuffix(".flac"): "drums", **{g: "guitar" for g in GUITARS},
                              PIANO: "piano", "ambi_choir": "voice"}


class RecordedTrack(NamedTuple):
    """One scored track: its audio at the instrument models' rate and the per-second truth (seconds, shared)."""

    folder: str
    name: str
    audio: np.ndarray
    truth: np.ndarray


def load_recording(name: str, samples: Path) -> np.ndarray:
    """A recording of ``samples`` as mono float32 at the instrument models' rate."""
    audio, rate_hz = read_audio(samples / f"{name}.flac")
    return librosa.resample(audio, orig_sr=rate_hz, target_sr=SAMPLE_RATE_HZ)


def shared_truth(parts: dict[str, np.ndarray]) -> np.ndarray:
    """Per whole second of the first part, which of the shared instruments ``parts`` (instrument -> its audio, all
    as long) play, by ``multitrack.active_seconds``: shape (seconds, shared instruments)."""
    seconds = len(next(iter(parts.values()))) // SAMPLE_RATE_HZ
    truth = np.zeros((seconds, len(SHARED_NAMES)), np.float32)
    for instrument, part in parts.items():
        truth[:, SHARED_NAMES.index(instrument)] = active_seconds(part, seconds)
    return truth


def recorded_tracks(samples: Path = SONIC_PI_SAMPLES) -> list[RecordedTrack]:
    """Every recording alone, then the break under each guitar part with the piano."""
    if not (samples / BREAK_FILE).exists():
        raise FileNotFoundError(f"{samples / BREAK_FILE} not found: install the Debian package sonic-pi-samples")
    parts = {name: load_recording(name, samples) for name in RECORDINGS}
    tracks = []
    for name, part in parts.items():
        tracks.append(RecordedTrack("solo", name, part, shared_truth({RECORDINGS[name]: part})))
    drums = parts[BREAK_FILE.removesuffix(".flac")]
    for guitar in GUITARS:
        band = band_parts(drums, parts[guitar], parts[PIANO])
        mix = sum(band.values())
        tracks.append(RecordedTrack("mix", f"amen_break_under_{guitar}", mix / max(1.0, np.abs(mix).max()),
                                    shared_truth(band)))
    return tracks


def write_tracks(out: Path, samples: Path = SONIC_PI_SAMPLES) -> list[Path]:
    """Each of ``recorded_tracks`` as ``out/<folder>/<name>.wav`` (16-bit), for the musicnn peer; returns the
    folders."""
    tracks = recorded_tracks(samples)
    for track in tracks:
        (out / track.folder).mkdir(parents=True, exist_ok=True)
        wavfile.write(out / track.folder / f"{track.name}.wav", SAMPLE_RATE_HZ,
                      np.round(track.audio * 32767).astype(np.int16))
    return sorted({out / track.folder for track in tracks})


def heard_in_solos(tracks: list[RecordedTrack], probabilities: list[np.ndarray], top: int = 3) -> dict[str, list]:
    """Per recording alone, its ``top`` classes by the shipped graph's mean activity, as (class, activity)."""
    heard = {}
    for track, p in zip(tracks, probabilities):
        if track.folder == "solo":
            mean = p.mean(axis=0)
            heard[track.name] = [(INSTRUMENT_NAMES[c], round(float(mean[c]), 3)) for c in np.argsort(-mean)[:top]]
    return heard


def evaluate(out: Path, runs: Path, samples: Path = SONIC_PI_SAMPLES) -> dict:
    """Score the tracks (``out``: where ``write_tracks`` put them, and the musicnn peer its outputs): per-instrument
    ROC AUC of every method that can run, the seconds per instrument, and what the shipped graph hears in each
    recording alone."""
    tracks = recorded_tracks(samples)
    windows = [second_windows(log_mel(t.audio, SAMPLE_RATE_HZ, INSTRUMENT_FEATURES)) for t in tracks]
    shipped = shipped_probabilities()
    probabilities = [shipped(w) for w in windows]
    scores = {"shipped": [merge_classes(p) for p in probabilities]}
    for kind in ("fc", "cnn", "crnn"):
        if (runs / f"activity_{kind}.pt").exists():
            heard = checkpoint_probabilities(load_activity(runs / f"activity_{kind}.pt"))
            scores[kind] = [merge_classes(heard(w)) for w in windows]
    truths = [t.truth[:len(p)] for t, p in zip(tracks, probabilities)]
    saved = [musicnn_file(out / t.folder / f"{t.name}.wav") for t in tracks]
    if all(path.exists() for path in saved):
        outputs = [np.load(path) for path in saved]
        seconds = [min(len(truth), len(o["tags"])) for truth, o in zip(truths, outputs)]
        truths = [truth[:n] for truth, n in zip(truths, seconds)]
        scores = {name: [s[:n] for s, n in zip(per_track, seconds)] for name, per_track in scores.items()}
        names = [str(t) for t in outputs[0]["tag_names"]]
        scores["musicnn MTT tags"] = [tag_scores(o["tags"][:n], names) for o, n in zip(outputs, seconds)]
        if (runs / "activity_musicnn.pt").exists():
            head = checkpoint_probabilities(load_activity(runs / "activity_musicnn.pt"))
            scores["musicnn head"] = [merge_classes(head(o["embedding"][:n, None].astype(np.float32)))
                                      for o, n in zip(outputs, seconds)]
    truth = np.concatenate(truths)
    return {"tracks": {folder: sum(t.folder == folder for t in tracks) for folder in ("solo", "mix")},
            "active_seconds": {name: int(truth[:, k].sum()) for k, name in enumerate(SHARED_NAMES) if truth[:, k].any()},
            "seconds": int(len(truth)), "auc": shared_class_report(truths, scores),
            "heard_alone": heard_in_solos(tracks, probabilities)}


def markdown_table(report: dict) -> str:
    """ROC AUC per instrument and method at 1 s and per track, and their mean."""
    instruments = list(report["active_seconds"])
    lines = ["| ROC AUC | level | " + " | ".join(instruments) + " | mean |", "|---|---|" + "---|" * (len(instruments) + 1)]
    for method, levels in report["auc"].items():
        for level, aucs in levels.items():
            cells = [f"{aucs[i]:.3f}" if i in aucs else "-" for i in instruments]
            lines.append(f"| {method} | {level} | " + " | ".join(cells) + f" | {np.mean(list(aucs.values())):.3f} |")
    return "\n".join(lines) + "\n"
