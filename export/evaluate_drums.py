"""``python -m export evaluate drums``: onset F-measure on annotated WAV files.

Data format: a folder of ``NAME.wav`` files, each with ``NAME.txt`` beside it
holding one onset per line, ``time<TAB>label`` (time in seconds; labels KD,
SD, HH, TT, CY, RD or the aliases of ``bridge.drum_vocabulary``, e.g. BD, CHH,
OHH; unknown labels are counted and ignored). This is the format of public
drum sets such as IDMT-SMT-Drums and ENST once converted.

A folder may also hold ``kits.json``, the kit each track was played on (``{"NAME": "kit", ...}``, as
``python -m export data drums`` writes it); the report then scores each kit's tracks apart as well.

Scoring as in the literature: mir_eval's onset F-measure with a 50 ms window
per class and track; per class the mean over the tracks where the class
occurs; "main" is the mean over kick, snare and hi-hat.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Callable

import librosa
import mir_eval
import numpy as np
from tqdm import tqdm

from bridge.drum_vocabulary import DRUM_CLASSES, MAIN_CLASSES, read_annotations

WINDOW_S = 0.05
KITS_FILE = "kits.json"  # beside the tracks: the kit of each (track name to kit name)
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
        kits = Path(folder) / KITS_FILE
        if kits.exists():
            report[Path(folder).name]["by_kit"] = by_kit(json.loads(kits.read_text()), tracks, scores)
    return report


def by_kit(kit_of: dict[str, str], tracks: list[tuple[Path, Path]], scores: dict[str, list]) -> dict:
    """Per kit of ``kit_of`` (track name to kit), every method's ``summarise`` of that kit's tracks alone."""
    kits = [kit_of.get(wav.stem, "unknown") for wav, _ in tracks]
    return {kit: {name: summarise([s for s, k in zip(rows, kits) if k == kit]) for name, rows in scores.items()}
            for kit in sorted(set(kits))}


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


def markdown_kit_table(report: dict, max_kits: int = 4) -> str:
    """One row per kit of each set of ``report`` with at most ``max_kits`` kits (the held-out ones; a set of
    the training kits has dozens): its tracks and every method's mean F of kick, snare and hi-hat."""
    sets = {name: entry["by_kit"] for name, entry in report.items() if 0 < len(entry.get("by_kit", {})) <= max_kits}
    if not sets:
        return ""
    methods = list(next(iter(report.values()))["methods"])
    lines = ["| set | kit | tracks | " + " | ".join(methods) + " |", "|---|---|---|" + "---|" * len(methods)]
    for name, kits in sets.items():
        for kit, summaries in kits.items():
            cells = [f"{summaries[m]['f_main']:.3f}" if summaries[m]["f_main"] is not None else "-" for m in methods]
            lines.append(f"| {name} | {kit} | {summaries[methods[0]]['tracks']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
