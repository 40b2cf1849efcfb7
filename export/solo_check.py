"""``python -m export evaluate instrument-solos``: what the instrument graph hears in each class's stem alone.

On the test mixes played by recorded instruments (``data instruments-recorded-samples``) the graph loses most on
the winds. This check takes every test song's stem of each class on its own, from the stems of a ``data
instruments`` build (the soundfont's test mixes) and of a ``data instruments-recorded-samples`` build (the
recorded instruments'), and reports, over the seconds where the stem plays by the labels' rule
(``active_seconds``), the graph's mean activity of the stem's own class, the classes it hears most, and the share
of the stem's energy above 2 kHz: how bright the instrument sounds.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridge.features import INSTRUMENT_FEATURES, log_mel
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.data.multitrack import SAMPLE_RATE_HZ, active_seconds
from export.evaluate_instruments import Probabilities, second_windows, shipped_probabilities

STEM_SETS = (Path("cache/instruments/stems_test.npz"), Path("cache/instruments-recorded-samples/stems_test.npz"))
BRIGHT_HZ = 2000.0
SOLO_RMS = 0.05  # every stem is heard at one level, about -26 dBFS
TOP = 3


def playing_seconds(stem: np.ndarray) -> np.ndarray:
    """The whole seconds of ``stem`` where it plays (the labels' rule), as one array (seconds, samples a second)."""
    seconds = len(stem) // SAMPLE_RATE_HZ
    return stem[: seconds * SAMPLE_RATE_HZ].reshape(seconds, SAMPLE_RATE_HZ)[active_seconds(stem, seconds)]


def share_above(audio: np.ndarray, cutoff_hz: float = BRIGHT_HZ) -> float:
    """The share of the energy of ``audio`` above ``cutoff_hz``."""
    power = np.abs(np.fft.rfft(audio.astype(np.float64))) ** 2
    above = np.fft.rfftfreq(len(audio), 1 / SAMPLE_RATE_HZ) > cutoff_hz
    return float(power[above].sum() / max(power.sum(), 1e-20))


def class_solos(stems: np.ndarray, klass: int, probabilities: Probabilities) -> dict | None:
    """The graph's mean activity over the playing seconds of class ``klass`` in every song of ``stems`` (songs,
    classes, samples), each song's seconds heard alone at ``SOLO_RMS``; None where the class never plays."""
    heard, bright = [], []
    for song in stems:
        seconds = playing_seconds(song[klass].astype(np.float32))
        if not len(seconds):
            continue
        audio = seconds.reshape(-1) * (SOLO_RMS / (np.sqrt(np.mean(seconds.astype(np.float64) ** 2)) + 1e-12))
        heard.append(probabilities(second_windows(log_mel(audio.astype(np.float32), SAMPLE_RATE_HZ, INSTRUMENT_FEATURES),
                                                  len(seconds))))
        bright.append(share_above(audio))
    if not heard:
        return None
    mean = np.concatenate(heard).mean(axis=0)
    return {"seconds": int(sum(len(h) for h in heard)), "own": round(float(mean[klass]), 3),
            "top": [[INSTRUMENT_NAMES[i], round(float(mean[i]), 3)] for i in np.argsort(-mean)[:TOP]],
            "above_2khz": round(float(np.mean(bright)), 3)}


def evaluate(stem_sets: tuple[Path, ...] = STEM_SETS, probabilities: Probabilities | None = None) -> dict:
    """Per class, per set of stems (named by its build's folder), ``class_solos`` under the graph (default: the
    shipped one).

    Raises
    ------
    FileNotFoundError
        A set of stems is missing (build it with ``data instruments`` or ``data instruments-recorded-samples``).
    ValueError
        Two sets come from folders of one name, and one would hide the other in the report.
    """
    missing = [str(path) for path in stem_sets if not path.exists()]
    if missing:
        raise FileNotFoundError(f"no stems at {', '.join(missing)}: build them with `python -m export data instruments` "
                                "or `data instruments-recorded-samples`")
    names = [path.parent.name for path in stem_sets]
    if len(set(names)) < len(names):
        raise ValueError(f"the sets of stems are named by their folders, and {', '.join(map(str, stem_sets))} share "
                         "one: give each build a folder of its own")
    probabilities = probabilities or shipped_probabilities()
    report: dict = {"sets": {path.parent.name: str(path) for path in stem_sets}, "classes": {}}
    for path in stem_sets:
        stems = np.load(path)["stems"]
        for klass, name in enumerate(INSTRUMENT_NAMES):
            if (solos := class_solos(stems, klass, probabilities)) is not None:
                report["classes"].setdefault(name, {})[path.parent.name] = solos
    return report


def heard_most(solos: dict) -> str:
    """``name 0.64, name 0.10, ...``: the classes heard most in one set's solos."""
    return ", ".join(f"{name} {activity:.2f}" for name, activity in solos["top"])


def markdown_table(report: dict) -> str:
    """One row per class: for each set, its own class's activity, the classes heard most and the energy above 2 kHz."""
    sets = list(report["sets"])
    header = "| class | " + " | ".join(f"{name}: own | {name}: heard most | {name}: above 2 kHz" for name in sets) + " |"
    lines = [header, "|---|" + "---|---|---|" * len(sets)]
    for name, by_set in report["classes"].items():
        cells = [f"{by_set[s]['own']:.2f} | {heard_most(by_set[s])} | {by_set[s]['above_2khz']:.1%}" if s in by_set
                 else "- | - | -" for s in sets]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
