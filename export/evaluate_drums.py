"""``python -m export evaluate drums``: onset F-measure on annotated WAV files.

Data format: a folder of ``NAME.wav`` files, each with ``NAME.txt`` beside it
holding one onset per line, ``time<TAB>label`` (time in seconds; labels KD,
SD, HH, TT, CY, RD or the aliases of ``bridge.drum_vocabulary``, e.g. BD, CHH,
OHH; unknown labels are counted and ignored). This is the format of public
drum sets such as IDMT-SMT-Drums and ENST once converted.

Scoring as in the literature: mir_eval's onset F-measure with a 50 ms window
per class and track; per class the mean over the tracks where the class
occurs; "main" is the mean over kick, snare and hi-hat.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Callable

import librosa
import mir_eval
import numpy as np
from tqdm import tqdm

from bridge.drum_vocabulary import DRUM_CLASSES, MAIN_CLASSES, read_annotations

WINDOW_S = 0.05
Transcriber = Callable[[np.ndarray, int], list[np.ndarray]]  # (audio, rate) -> onset times per class


def annotated_tracks(folders: list[Path]) -> list[tuple[Path, Path]]:
    """(wav, annotation) pairs of every folder, sorted."""
    pairs = []
    for folder in folders:
        for wav in sorted(Path(folder).glob("*.wav")):
            if wav.with_suffix(".txt").exists():
                pairs.append((wav, wav.with_suffix(".txt")))
    return pairs


def score_track(reference: list[np.ndarray], estimate: list[np.ndarray]) -> dict[str, tuple[float, float, float]]:
    """(F, precision, recall) per class present in the reference."""
    scores = {}
    for c, drum in enumerate(DRUM_CLASSES):
        if len(reference[c]):
            scores[drum.name] = mir_eval.onset.f_measure(reference[c], np.sort(estimate[c]), window=WINDOW_S)
    return scores


def summarise(track_scores: list[dict[str, tuple[float, float, float]]]) -> dict:
    """Per class mean F, P, R over tracks where it occurs; ``main`` and ``all`` means of F."""
    summary: dict = {"tracks": len(track_scores), "classes": {}}
    for drum in DRUM_CLASSES:
        rows = [s[drum.name] for s in track_scores if drum.name in s]
        if rows:
            f, p, r = np.mean(rows, axis=0)
            summary["classes"][drum.name] = {"f": round(float(f), 4), "p": round(float(p), 4),
                                             "r": round(float(r), 4), "tracks": len(rows)}
    main = [summary["classes"][n]["f"] for n in MAIN_CLASSES if n in summary["classes"]]
    summary["f_main"] = round(float(np.mean(main)), 4) if main else None
    summary["f_all"] = round(float(np.mean([v["f"] for v in summary["classes"].values()])), 4) if summary["classes"] else None
    return summary


def evaluate(folders: list[Path], transcribers: dict[str, Transcriber]) -> dict:
    """Score every transcriber on every annotated track of ``folders`` (one report per folder)."""
    report: dict = {}
    for folder in folders:
        unknown: Counter = Counter()
        tracks = annotated_tracks([folder])
        scores: dict[str, list] = {name: [] for name in transcribers}
        for wav, annotation in tqdm(tracks, desc=f"evaluate {Path(folder).name}"):
            reference = read_annotations(annotation, unknown)
            audio, rate = librosa.load(wav, sr=None, mono=True)
            for name, transcribe in transcribers.items():
                extra = (wav,) if getattr(transcribe, "needs_track", False) else ()
                scores[name].append(score_track(reference, transcribe(audio, rate, *extra)))
        report[Path(folder).name] = {"methods": {name: summarise(s) for name, s in scores.items()},
                                     "unknown_labels": dict(unknown)}
    return report


def markdown_table(report: dict) -> str:
    """One row per (set, method): F per main class, their mean, and the mean over all classes present."""
    lines = ["| set | method | kick | snare | hi-hat | mean (K, S, H) | mean (all classes) |", "|---|---|---|---|---|---|---|"]
    for folder, entry in report.items():
        for method, summary in entry["methods"].items():
            cells = [f"{summary['classes'][n]['f']:.3f}" if n in summary["classes"] else "-" for n in MAIN_CLASSES]
            main = f"{summary['f_main']:.3f}" if summary["f_main"] is not None else "-"
            every = f"{summary['f_all']:.3f}" if summary["f_all"] is not None else "-"
            lines.append(f"| {folder} | {method} | " + " | ".join(cells) + f" | **{main}** | {every} |")
    return "\n".join(lines) + "\n"
