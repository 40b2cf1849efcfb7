"""Run ADTLib (Southall et al.; PyPI ``adtlib`` 2.1.2) on annotated WAV folders, as an offline peer.

ADTLib is TensorFlow 1 code (``tf.contrib``) and reads its spectrogram with
madmom; neither installs with today's Python. So this script, meant for a
separate virtual environment with ``tensorflow-cpu==2.15.1`` and ``numpy<2``,
loads ADTLib's three shipped networks from their own meta graphs
(``tf.compat.v1``), computes the spectrogram madmom would (44.1 kHz, 2048-sample
Hann frames centred every 512 samples, magnitude of the first 1024 bins) and
applies ADTLib's peak picking with its shipped parameters, unchanged. It writes
``NAME.txt`` estimates (``time<TAB>label``) that ``python -m export evaluate
drums --methods adtlib`` scores. It imports nothing from this project.

    python -m venv .venv-tf && .venv-tf/bin/pip install tensorflow-cpu==2.15.1 "numpy<2" scipy soundfile
    .venv-tf/bin/pip download --no-deps adtlib==2.1.2 -d runs/adtlib && tar xzf runs/adtlib/ADTLib-2.1.2.tar.gz -C runs/adtlib
    .venv-tf/bin/python export/adtlib_peer.py --files runs/adtlib/ADTLib-2.1.2/ADTLib/files --out runs/drums/adtlib cache/drums/test_*
"""

from __future__ import annotations

import argparse
from math import gcd
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import resample_poly

RATE_HZ, FRAME, HOP = 44100, 2048, 512
NETWORKS = (("Kick", "KD"), ("Snare", "SD"), ("Hihat", "HH"))
BATCH = 1000  # ADTLib runs its networks on 1000-frame chunks


def spectrogram(path: Path) -> np.ndarray:
    """madmom's ``Spectrogram(file, frame_size=2048, hop_size=512, fft_size=2048, num_channels=1)``."""
    audio, rate = soundfile.read(path, dtype="float32", always_2d=True)
    audio = audio.mean(axis=1)
    if rate != RATE_HZ:
        g = gcd(rate, RATE_HZ)
        audio = resample_poly(audio, RATE_HZ // g, rate // g).astype(np.float32)
    n_frames = int(np.ceil(len(audio) / HOP))
    padded = np.concatenate((np.zeros(FRAME // 2, np.float32), audio, np.zeros(FRAME, np.float32)))
    frames = np.stack([padded[i * HOP:i * HOP + FRAME] for i in range(n_frames)])
    return np.abs(np.fft.rfft(frames * np.hanning(FRAME).astype(np.float32), axis=1))[:, : FRAME // 2]


def activations(tf, files: Path, name: str, spec: np.ndarray) -> np.ndarray:
    """Column 0 of the network's softmax, frame by frame, as ``ADTLib.utils.SA.implement`` computes it."""
    graph = tf.Graph()
    one_thread = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    with graph.as_default(), tf.compat.v1.Session(graph=graph, config=one_thread) as session:
        saver = tf.compat.v1.train.import_meta_graph(str(files / f"{name}ADTLibAll.meta"))
        saver.restore(session, str(files / f"{name}ADTLibAll"))
        x, dropout = graph.get_tensor_by_name("Placeholder:0"), graph.get_tensor_by_name("Placeholder_2:0")
        prediction = graph.get_tensor_by_name("Softmax_1:0")  # "Softmax" is the attention
        out = []
        for start in range(0, len(spec), BATCH):
            chunk = spec[start:start + BATCH]
            batch = np.zeros((BATCH, spec.shape[1]), np.float32)
            batch[: len(chunk)] = chunk
            out.append(session.run(prediction, {x: batch[None], dropout: 1.0})[: len(chunk), 0])
    return np.concatenate(out)


def mean_peak_picking(track: np.ndarray, factor: float, low: float, high: float) -> np.ndarray:
    """``ADTLib.utils.meanPPmm``: local maxima above factor x mean, clamped to [low, high] where those are set."""
    threshold = np.mean(track) * factor
    if high != 0 and threshold > high:
        threshold = high
    if low != 0 and threshold < low:
        threshold = low
    padded = np.concatenate(([0.0], track, [0.0]))
    peaks = [i + 1 for i in range(len(padded) - 2)
             if padded[i + 1] > padded[i] and padded[i + 1] >= padded[i + 2] and padded[i + 1] > threshold]
    return np.array(peaks, dtype=float) * HOP / RATE_HZ


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="folders of WAV files")
    parser.add_argument("--files", type=Path, required=True, help="ADTLib's files/ folder (networks and PPParams.npy)")
    parser.add_argument("--out", type=Path, required=True, help="estimates go to OUT/<folder name>/NAME.txt")
    args = parser.parse_args()
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    parameters = np.load(args.files / "PPParams.npy")
    for folder in args.folders:
        target = args.out / folder.name
        target.mkdir(parents=True, exist_ok=True)
        for wav in sorted(folder.glob("*.wav")):
            spec = spectrogram(wav)
            lines = []
            for (name, label), (factor, low, high) in zip(NETWORKS, parameters):
                for time_s in mean_peak_picking(activations(tf, args.files, name, spec), factor, low, high):
                    lines.append((time_s, label))
            (target / f"{wav.stem}.txt").write_text("".join(f"{t:.4f}\t{label}\n" for t, label in sorted(lines)))
            print(target / f"{wav.stem}.txt", len(lines), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
