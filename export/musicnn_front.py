"""musicnn on this project's side: its embeddings as a front end, its MTT tags as a peer, its ONNX port's latency.

``export/musicnn_peer.py`` (in its own TensorFlow environment) writes one
``NAME.npz`` per WAV file under ``<data>/musicnn/<folder>/``: per second, the
753-d max-pooled mid-end embedding and the 50 MagnaTagATune tag probabilities.
The activity and attention heads of the musicnn front end train on those
embeddings; the tags are scored against this project's classes where the two
vocabularies share an instrument.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.data.multitrack import read_activity_csv
from export.musicnn_peer import N_MELS, PATCH_FRAMES

MUSICNN_EMBEDDING = 753
MUSICNN_INPUT = (PATCH_FRAMES, N_MELS)  # one second of musicnn's log-mel frames

# Instruments both vocabularies name: (this project's classes, MTT tags); a merged class takes the max of its members.
SHARED_CLASSES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "drums": (("drums",), ("drums",)),
    "piano": (("piano",), ("piano",)),
    "guitar": (("acoustic_guitar", "clean_electric_guitar", "distorted_electric_guitar"), ("guitar",)),
    "strings": (("strings",), ("strings", "violin", "cello")),
    "flute": (("flute",), ("flute",)),
    "synth": (("synth_lead", "synth_pad"), ("synth",)),
    "voice": (("voice",), ("choir", "choral", "voice", "vocal", "vocals", "singing")),
}


def musicnn_file(wav: Path) -> Path:
    """Where the peer script put the musicnn outputs of ``wav``: ``<data>/musicnn/<folder>/NAME.npz``."""
    return wav.parent.parent / "musicnn" / wav.parent.name / f"{wav.stem}.npz"


def load_embedding_split(data: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings (mixes, seconds, 753) and labels (mixes, seconds, classes) of the ``split`` mixes."""
    features, labels = [], []
    for csv in sorted((data / split).glob("*.csv")):
        truth = read_activity_csv(csv)
        embedding = np.load(musicnn_file(csv.with_suffix(".wav")))["embedding"]
        seconds = min(len(truth), len(embedding))
        features.append(embedding[:seconds])
        labels.append(truth[:seconds])
    if not features:
        raise FileNotFoundError(f"no musicnn embeddings for {data / split}: run export/musicnn_peer.py (see its docstring)")
    seconds = min(len(f) for f in features)
    return np.stack([f[:seconds] for f in features]), np.stack([y[:seconds] for y in labels]).astype(np.float32)


def merge_classes(values: np.ndarray) -> np.ndarray:
    """This project's per-class values (n, classes) merged to the shared classes (n, shared)."""
    return np.stack([values[:, [INSTRUMENT_NAMES.index(c) for c in ours]].max(axis=1)
                     for ours, _ in SHARED_CLASSES.values()], axis=1)


def tag_scores(tags: np.ndarray, tag_names: list[str]) -> np.ndarray:
    """musicnn's tag probabilities (n, 50) merged to the shared classes (n, shared)."""
    return np.stack([tags[:, [tag_names.index(t) for t in theirs]].max(axis=1)
                     for _, theirs in SHARED_CLASSES.values()], axis=1)


def onnx_latency_ms(path: Path, inputs: np.ndarray, repeats: int = 200) -> dict[str, float]:
    """p50 and p99 of one onnxruntime call on ``inputs``, one thread."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: inputs}
    session.run(None, feed)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        session.run(None, feed)
        times.append(1000 * (time.perf_counter() - started))
    return {"p50_ms": round(float(np.percentile(times, 50)), 3), "p99_ms": round(float(np.percentile(times, 99)), 3)}
