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
occurs; "main" is the mean over kick, snare and hi-hat. The onsets that match
no stroke of their class are counted by the classes of the annotated strokes
within the window of each: ``false_alarms`` in the classes a track has, and
``unscored_onsets`` in those it never has, which the F-measure does not see.

A streaming transcriber (the ONNX models, as live) also tells when it heard each onset: the end of the frame
that revealed it. For the kicks, snares and hi-hats it found, the time from the stroke to then is its own
latency, before any computing or transport; the report gives its percentiles per set (``heard_after_ms``), and
per class (``heard_after_ms_by_class``).

Where the annotation lines have a third column, the stroke's MIDI velocity (``time<TAB>label<TAB>velocity``, as
``python -m export data drums`` writes them), the report also tells how well a streaming transcriber's
velocities follow the played ones (``velocities``): per class, the Spearman correlation of the two over the
strokes it found in a track, the mean over the tracks with at least ``MIN_VELOCITY_STROKES`` of them; the same
for its activations, the velocities the daemon sent before they came from the strokes' levels; and how far its
live velocities of a class's first ``OPENING_STROKES`` onsets in a track lie from those against the track's
loudest strokes (``opening_gap``, the mean absolute difference): live, those come before the loudest is known.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Callable, NamedTuple

import librosa
import mir_eval
import numpy as np
from scipy.stats import spearmanr
from tqdm import tqdm

from bridge.drum_vocabulary import DRUM_CLASSES, MAIN_CLASSES, read_strokes

WINDOW_S = 0.05
KITS_FILE = "kits.json"  # beside the tracks: the kit of each (track name to kit name)
MIN_VELOCITY_STROKES = 4  # found strokes of a class a track needs for its velocity correlation
OPENING_STROKES = 8  # a class's first onsets in a track, whose live velocities ``opening_gap`` compares


class Estimate(NamedTuple):
    """What a transcriber found in a track: the onset times per class and, from a streaming transcriber, per
    class the time each of them was heard (``bridge.engines.drums.DrumOnset.heard_s``), its velocity as live, its
    activation and its velocity against the loudest stroke of its class in the track
    (``bridge.engines.drums.against_loudest_in_file``, as ``bridge transcribe-drums`` gives it), in the order of
    ``times``; else None."""

    times: list[np.ndarray]
    heard: list[np.ndarray] | None = None
    velocities: list[np.ndarray] | None = None
    activations: list[np.ndarray] | None = None
    file_velocities: list[np.ndarray] | None = None


Transcriber = Callable[[np.ndarray, int], list[np.ndarray] | Estimate]  # (audio, rate) -> onset times per class


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


def strokes_near(reference: list[np.ndarray], time_s: float) -> str:
    """The classes of the annotated strokes within the window of ``time_s``, joined by "+" (e.g. "kick+ride"),
    or "none": what an onset at that time was taken for."""
    return "+".join(drum.name for c, drum in enumerate(DRUM_CLASSES)
                    if len(reference[c]) and np.min(np.abs(reference[c] - time_s)) <= WINDOW_S) or "none"


def unscored_onsets(reference: list[np.ndarray], estimate: list[np.ndarray]) -> Counter:
    """Onsets that ``estimate`` puts in classes the track's annotation never has (false alarms that the F-measure,
    leaving such classes out, does not see), counted by their class and ``strokes_near`` them."""
    return Counter((drum.name, strokes_near(reference, time_s)) for c, drum in enumerate(DRUM_CLASSES)
                   if not len(reference[c]) for time_s in estimate[c])


def false_alarms(reference: list[np.ndarray], estimate: list[np.ndarray]) -> Counter:
    """The false alarms the F-measure counts: onsets of a class the track has that match none of its strokes
    (mir_eval's matching within the window), counted by their class and ``strokes_near`` them."""
    counts: Counter = Counter()
    for c, drum in enumerate(DRUM_CLASSES):
        if len(reference[c]):
            times = np.sort(estimate[c])
            matched = {j for _, j in mir_eval.util.match_events(reference[c], times, WINDOW_S)}
            counts.update((drum.name, strokes_near(reference, t)) for j, t in enumerate(times) if j not in matched)
    return counts


def by_class(counts: Counter) -> dict[str, dict[str, int]]:
    """``unscored_onsets`` or ``false_alarms`` counts as {class: {the strokes they fall on: onsets}}."""
    nested: dict[str, dict[str, int]] = {}
    for (name, near), count in sorted(counts.items()):
        nested.setdefault(name, {})[near] = count
    return nested


def matched_onsets(reference: np.ndarray, times: np.ndarray) -> list[tuple[int, int]]:
    """(index in ``reference``, index in ``times``) of each stroke of one class matched to an onset (mir_eval's
    matching within 50 ms); ``times`` in any order, as a transcriber gave them."""
    order = np.argsort(times, kind="stable")
    return [(i, int(order[j])) for i, j in mir_eval.util.match_events(reference, np.asarray(times)[order], WINDOW_S)]


def heard_after_ms(reference: list[np.ndarray], estimate: Estimate, classes: tuple[str, ...] = MAIN_CLASSES
                   ) -> list[float] | None:
    """For each stroke of ``classes`` (default kick, snare and hi-hat) in ``reference`` that ``estimate`` found
    (mir_eval's matching within 50 ms), the ms from the stroke to the time its onset was heard; None where the
    estimate does not tell."""
    if estimate.heard is None:
        return None
    delays = []
    for c, drum in enumerate(DRUM_CLASSES):
        if drum.name in classes and len(reference[c]) and len(estimate.times[c]):
            delays += [1000.0 * (estimate.heard[c][j] - reference[c][i])
                       for i, j in matched_onsets(reference[c], estimate.times[c])]
    return delays


def velocity_measures(reference: list[np.ndarray], played: list[np.ndarray], estimate: Estimate
                      ) -> dict[str, dict[str, float]]:
    """Per main class, the Spearman correlation of the ``played`` velocities (``read_strokes``) of the strokes
    ``estimate`` found with its velocities (``velocity``), with its activations (``activation``) and, where it has
    them, with its velocities against the track's loudest strokes (``file_velocity``; then also the
    ``opening_gap`` of its first onsets), where it found ``MIN_VELOCITY_STROKES`` or more with played velocities
    and those are not all the same."""
    correlations: dict[str, dict[str, float]] = {}
    if estimate.velocities is None or estimate.activations is None:
        return correlations
    measures = (("velocity", estimate.velocities), ("activation", estimate.activations)) + (
        (("file_velocity", estimate.file_velocities),) if estimate.file_velocities is not None else ())
    for c, drum in enumerate(DRUM_CLASSES):
        if drum.name not in MAIN_CLASSES or not len(reference[c]) or not len(estimate.times[c]):
            continue
        pairs = [(played[c][i], j) for i, j in matched_onsets(reference[c], estimate.times[c])
                 if np.isfinite(played[c][i])]
        if len(pairs) < MIN_VELOCITY_STROKES or len({v for v, _ in pairs}) < 2:
            continue
        truth, found = np.array([v for v, _ in pairs]), [j for _, j in pairs]
        correlations[drum.name] = {name: rank_correlation(truth, np.asarray(values[c], float)[found])
                                   for name, values in measures}
        if estimate.file_velocities is not None:
            correlations[drum.name]["opening_gap"] = opening_gap(estimate, c)
    return correlations


def opening_gap(estimate: Estimate, class_index: int) -> float:
    """The mean absolute difference of the live velocities of the class's first ``OPENING_STROKES`` onsets in the
    track (by time) from their velocities against the track's loudest strokes."""
    first = np.argsort(estimate.times[class_index], kind="stable")[:OPENING_STROKES]
    live = np.asarray(estimate.velocities[class_index], float)[first]
    return float(np.mean(np.abs(live - np.asarray(estimate.file_velocities[class_index], float)[first])))


def rank_correlation(truth: np.ndarray, found: np.ndarray) -> float:
    """Spearman's correlation of ``truth`` (not constant) and ``found``; 0 where ``found`` is constant (it tells
    nothing of the played velocities)."""
    return float(spearmanr(truth, found).statistic) if np.ptp(found) > 0 else 0.0


def mean_velocity_measures(per_track: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Per class, the mean of every track's ``velocity_measures`` and the number of tracks."""
    means: dict[str, dict[str, float]] = {}
    for name in MAIN_CLASSES:
        rows = [track[name] for track in per_track if name in track]
        if rows:
            means[name] = {key: round(float(np.mean([row[key] for row in rows])), 3) for key in rows[0]} | {
                "tracks": len(rows)}
    return means


def delay_percentiles(per_track: list[list[float] | None]) -> dict[str, float] | None:
    """p50, p90, p99 and max of every track's ``heard_after_ms`` together, and their number; None where a track
    has none to tell."""
    if not per_track or any(delays is None for delays in per_track):
        return None
    values = np.concatenate([np.asarray(delays, float) for delays in per_track])
    if not len(values):
        return None
    p50, p90, p99 = np.percentile(values, [50, 90, 99])
    return {"p50": round(float(p50), 1), "p90": round(float(p90), 1), "p99": round(float(p99), 1),
            "max": round(float(values.max()), 1), "n": int(len(values))}


def summarise(track_scores: list[dict[str, tuple[float, float, float]]],
              heard: list[list[float] | None] | None = None,
              heard_by_class: dict[str, list[list[float] | None]] | None = None) -> dict:
    """Per class mean F, P, R over tracks where it occurs; ``main`` and ``all`` means of F; with ``heard`` (each
    track's ``heard_after_ms``) their ``delay_percentiles``, with ``heard_by_class`` (the same of one class at a
    time) those of each class."""
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
    delays = delay_percentiles(heard or [])
    if delays is not None:
        summary["heard_after_ms"] = delays
    by_class_delays = {name: delay_percentiles(rows) for name, rows in (heard_by_class or {}).items()}
    if any(by_class_delays.values()):
        summary["heard_after_ms_by_class"] = {name: d for name, d in by_class_delays.items() if d is not None}
    return summary


def evaluate(folders: list[Path], transcribers: dict[str, Transcriber]) -> dict:
    """Score every transcriber on every annotated track of ``folders`` (one report per folder)."""
    report: dict = {}
    for folder in folders:
        unknown: Counter = Counter()
        tracks = annotated_tracks([folder])
        scores: dict[str, list] = {name: [] for name in transcribers}
        heard: dict[str, list] = {name: [] for name in transcribers}
        heard_by_class: dict[str, dict[str, list]] = {name: {c: [] for c in MAIN_CLASSES} for name in transcribers}
        velocities: dict[str, list] = {name: [] for name in transcribers}
        unscored: dict[str, Counter] = {name: Counter() for name in transcribers}
        false: dict[str, Counter] = {name: Counter() for name in transcribers}
        strokes: Counter = Counter()
        for wav, annotation in tqdm(tracks, desc=f"evaluate {Path(folder).name}"):
            strokes_read = read_strokes(annotation, unknown)
            reference, played = [rows[:, 0] for rows in strokes_read], [rows[:, 1] for rows in strokes_read]
            strokes.update({drum.name: len(reference[c]) for c, drum in enumerate(DRUM_CLASSES) if len(reference[c])})
            audio, rate = librosa.load(wav, sr=None, mono=True)
            for name, transcribe in transcribers.items():
                extra = (wav,) if getattr(transcribe, "needs_track", False) else ()
                found = transcribe(audio, rate, *extra)
                estimate = found if isinstance(found, Estimate) else Estimate(found)
                scores[name].append(score_track(reference, estimate.times))
                delays = {drum: heard_after_ms(reference, estimate, (drum,)) for drum in MAIN_CLASSES}
                for drum, class_delays in delays.items():
                    heard_by_class[name][drum].append(class_delays)
                heard[name].append(None if estimate.heard is None
                                   else [d for class_delays in delays.values() for d in class_delays])
                velocities[name].append(velocity_measures(reference, played, estimate))
                unscored[name].update(unscored_onsets(reference, estimate.times))
                false[name].update(false_alarms(reference, estimate.times))
        methods = {name: summarise(s, heard[name], heard_by_class[name])
                   | {"unscored_onsets": by_class(unscored[name]), "false_alarms": by_class(false[name])}
                   | ({"velocities": following} if (following := mean_velocity_measures(velocities[name])) else {})
                   for name, s in scores.items()}
        report[Path(folder).name] = {"methods": methods, "strokes": dict(strokes), "unknown_labels": dict(unknown)}
        kits = Path(folder) / KITS_FILE
        if kits.exists():
            report[Path(folder).name]["by_kit"] = by_kit(json.loads(kits.read_text()), tracks, scores, heard)
    return report


def by_kit(kit_of: dict[str, str], tracks: list[tuple[Path, Path]], scores: dict[str, list],
           heard: dict[str, list]) -> dict:
    """Per kit of ``kit_of`` (track name to kit), every method's ``summarise`` of that kit's tracks alone
    (``heard``: per method, each track's ``heard_after_ms``)."""
    kits = [kit_of.get(wav.stem, "unknown") for wav, _ in tracks]

    def of_kit(rows: list, kit: str) -> list:
        return [row for row, k in zip(rows, kits) if k == kit]

    return {kit: {name: summarise(of_kit(rows, kit), of_kit(heard[name], kit)) for name, rows in scores.items()}
            for kit in sorted(set(kits))}


def markdown_table(report: dict) -> str:
    """One row per (set, method): F per main class, their mean, the mean over all classes present, and for a
    streaming method the p50 and p99 of ``heard_after_ms``."""
    lines = ["| set | method | kick | snare | hi-hat | mean (K, S, H) | mean (all classes) | heard after (ms), p50 / p99 |",
             "|---|---|---|---|---|---|---|---|"]
    for folder, entry in report.items():
        for method, summary in entry["methods"].items():
            cells = [f"{summary['classes'][n]['f']:.3f}" if n in summary["classes"] else "-" for n in MAIN_CLASSES]
            main = f"{summary['f_main']:.3f}" if summary["f_main"] is not None else "-"
            every = f"{summary['f_all']:.3f}" if summary["f_all"] is not None else "-"
            delays = summary.get("heard_after_ms")
            heard = f"{delays['p50']:.1f} / {delays['p99']:.1f}" if delays else "-"
            lines.append(f"| {folder} | {method} | " + " | ".join(cells) + f" | **{main}** | {every} | {heard} |")
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


def markdown_velocity_table(report: dict) -> str:
    """One row per (set, streaming method) with ``velocities``: for kick, snare and hi-hat, the mean Spearman
    correlation with the played velocities of its velocities as live, of those against the track's loudest strokes
    and of its activations, and the ``opening_gap`` of each; empty where none has them."""
    lines = ["| set | method | kick: live / file / activation | snare: live / file / activation | "
             f"hi-hat: live / file / activation | first {OPENING_STROKES}, live from file (K, S, H) | "
             "tracks (K, S, H) |", "|---|---|---|---|---|---|---|"]
    for folder, entry in report.items():
        for method, summary in entry["methods"].items():
            following = summary.get("velocities")
            if not following:
                continue
            cells = [" / ".join(f"{following[n][key]:.2f}" if key in following[n] else "-"
                                for key in ("velocity", "file_velocity", "activation")) if n in following else "-"
                     for n in MAIN_CLASSES]
            gaps = ", ".join(f"{following[n]['opening_gap']:.1f}" if "opening_gap" in following.get(n, {}) else "-"
                             for n in MAIN_CLASSES)
            tracks = ", ".join(str(following[n]["tracks"]) if n in following else "0" for n in MAIN_CLASSES)
            lines.append(f"| {folder} | {method} | " + " | ".join(cells) + f" | {gaps} | {tracks} |")
    return "\n".join(lines) + "\n" if len(lines) > 2 else ""
