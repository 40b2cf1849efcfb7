"""The drum transcribers the evaluation compares, each as ``(audio, sample_rate_hz) -> onset times per class``
(the streaming ones as an ``Estimate`` that tells when each onset was heard too).

- ``model``: the shipped ONNX model, streamed through ``bridge.engines.drums`` exactly as live;
- ``lookahead``: the shipped model with 20 ms of look-ahead (``drums_lookahead``), streamed the same way;
- ``student``: the student-teacher variant, exported to ``RUNS/student/`` and streamed the same way;
- ``pfnmf``: the offline PFNMF baseline (``python -m export train pfnmf``);
- ``adtlib``: ADTLib's estimates, written beforehand by ``export/adtlib_peer.py`` (it needs TensorFlow 1
  code, run in a virtual environment of its own) to ``RUNS/adtlib/<folder>/NAME.txt``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridge.config import VelocitySettings
from bridge.drum_vocabulary import DRUM_CLASSES, read_annotations
from bridge.engines.class_thresholds import set_class_threshold
from bridge.engines.drums import DEFAULT_DRUM_MODEL, DrumModel, DrumOnset, against_loudest_in_file, transcribe
from bridge.features import DRUM_FEATURES, log_mel
from bridge.models import MODELS_DIR
from export.evaluate_drums import Estimate, Transcriber


def onnx_transcriber(directory: Path, name: str = DEFAULT_DRUM_MODEL, threshold: float | None = None,
                     class_thresholds: dict[str, float] | None = None) -> Transcriber:
    """The drum model ``name`` of ``directory``. ``threshold`` replaces the tuned thresholds of every class, then
    ``class_thresholds`` (class name to threshold) those of single classes, as ``transcribe`` takes them, but
    checked here: ValueError for a bad value or name before any track."""
    model = DrumModel(directory, "cpu", name)
    if threshold is not None:
        set_class_threshold(model.thresholds, model.classes, threshold, None, "drum")
    for drum, value in (class_thresholds or {}).items():
        set_class_threshold(model.thresholds, model.classes, value, drum, "drum")

    def run(audio: np.ndarray, sample_rate_hz: int) -> Estimate:
        onsets = transcribe(audio, sample_rate_hz, model)
        against_file = against_loudest_in_file(onsets, VelocitySettings().curve_db)
        return Estimate(*(per_class(onsets, field) for field in ("time_s", "heard_s", "velocity", "activation")),
                        per_class(against_file, "velocity"))

    return run


def per_class(onsets: list[DrumOnset], field: str) -> list[np.ndarray]:
    """The ``field`` of the onsets of each class, in their order."""
    values: list[list[float]] = [[] for _ in DRUM_CLASSES]
    for onset in onsets:
        values[onset.class_index].append(getattr(onset, field))
    return [np.array(column) for column in values]


def pfnmf_transcriber(path: Path) -> Transcriber:
    from export.pfnmf import load

    pfnmf = load(path)
    return lambda audio, sample_rate_hz: pfnmf.transcribe(log_mel(audio, sample_rate_hz, DRUM_FEATURES))


def precomputed_transcriber(directory: Path) -> Transcriber:
    """Estimates read from ``directory/<folder>/NAME.txt``; the track is named by the evaluation."""
    def run(audio: np.ndarray, sample_rate_hz: int, track: Path) -> list[np.ndarray]:
        estimate = directory / track.parent.name / f"{track.stem}.txt"
        if not estimate.exists():
            raise SystemExit(f"no estimate {estimate}: run export/adtlib_peer.py on {track.parent} first")
        return read_annotations(estimate)

    run.needs_track = True
    return run


def transcribers(runs: Path, methods: list[str], threshold: float | None = None,
                 class_thresholds: dict[str, float] | None = None) -> dict[str, Transcriber]:
    """The named transcribers; ``runs`` holds ``pfnmf.npz``, ``student/`` and ``adtlib/``; ``threshold`` and
    ``class_thresholds`` (as ``onnx_transcriber`` takes them) replace the tuned ones of the ONNX models."""
    settings = {"threshold": threshold, "class_thresholds": class_thresholds}
    makers = {"model": lambda: onnx_transcriber(MODELS_DIR, **settings),
              "lookahead": lambda: onnx_transcriber(MODELS_DIR, "drums_lookahead", **settings),
              "student": lambda: onnx_transcriber(runs / "student", **settings),
              "pfnmf": lambda: pfnmf_transcriber(runs / "pfnmf.npz"),
              "adtlib": lambda: precomputed_transcriber(runs / "adtlib")}
    unknown = [m for m in methods if m not in makers]
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}; choose from {sorted(makers)}")
    return {name: makers[name]() for name in methods}
