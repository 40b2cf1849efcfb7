"""Run musicnn (Pons & Serra; PyPI ``musicnn`` 0.1.0, model ``MTT_musicnn``) on WAV folders: a peer and a front end.

musicnn is TensorFlow 1 code with weights trained on MagnaTagATune. This
script, meant for a separate virtual environment (the ADTLib peer's, plus
musicnn and librosa), builds musicnn's own graph for 1-s inputs, restores the
packaged weights and checks that every variable really holds them (musicnn's
extractor carries on silently with random weights when the restore fails).
For each ``NAME.wav`` it writes ``OUT/<folder>/NAME.npz`` with one row per
second: ``tags`` (the 50 MTT tag probabilities, names in ``tag_names``) and
``embedding`` (the 753-d max-pooled mid-end features that feed musicnn's own
dense layers). With ``--onnx`` it writes the same network (mel patch in;
embedding and tags out) as an ONNX model, for the latency comparison. It
imports nothing from this project.

    .venv-tf/bin/pip install --no-deps musicnn==0.1.0
    .venv-tf/bin/pip install librosa tf2onnx==1.17.0 onnx==1.16.2 onnxruntime "protobuf>=4.25.1,<5" "ml-dtypes~=0.3.1" numpy==1.26.4
    .venv-tf/bin/python export/musicnn_peer.py --out cache/instruments/musicnn cache/instruments/{train,valid,test}
    .venv-tf/bin/python export/musicnn_peer.py --onnx runs/instruments/musicnn.onnx
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import librosa
import numpy as np

SAMPLE_RATE_HZ, FFT_SIZE, HOP, N_MELS = 16000, 512, 256, 96  # musicnn.configuration
FRAMES_PER_S = SAMPLE_RATE_HZ / HOP
PATCH_FRAMES = 62  # what musicnn's extractor takes for input_length=1: librosa.time_to_frames(1, ...) + 1
MODEL = "MTT_musicnn"
BATCH = 256


def mel_patches(path: Path) -> np.ndarray:
    """musicnn's log-mel input (``extractor.batch_data``), cut into one 62-frame patch per second."""
    audio, _ = librosa.load(path, sr=SAMPLE_RATE_HZ)
    mel = librosa.feature.melspectrogram(y=audio, sr=SAMPLE_RATE_HZ, hop_length=HOP, n_fft=FFT_SIZE, n_mels=N_MELS).T
    mel = np.log10(10000 * mel.astype(np.float16) + 1)
    seconds = int((len(mel) - PATCH_FRAMES) // FRAMES_PER_S) + 1
    return np.stack([mel[round(i * FRAMES_PER_S):round(i * FRAMES_PER_S) + PATCH_FRAMES] for i in range(seconds)]).astype(np.float32)


def build(tf):
    """musicnn's graph in inference mode with its weights restored and checked: (session, input, embedding, tags, labels)."""
    from musicnn import configuration, models

    weights = os.path.join(os.path.dirname(models.__file__), MODEL) + "/"
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, PATCH_FRAMES, N_MELS], name="mel")
        with tf.name_scope("model"):  # the scope the checkpoint's names carry
            outputs = models.define_model(x, tf.constant(False), MODEL, len(configuration.MTT_LABELS))
        logits, max_pool = outputs[0], outputs[7]
        embedding = tf.identity(max_pool, name="embedding")
        tags = tf.identity(tf.nn.sigmoid(logits), name="tags")
        session = tf.compat.v1.Session(graph=graph, config=tf.compat.v1.ConfigProto(
            intra_op_parallelism_threads=2, inter_op_parallelism_threads=1))
        tf.compat.v1.train.Saver().restore(session, weights)
        stored = tf.compat.v1.train.NewCheckpointReader(weights)
        variables = tf.compat.v1.global_variables()
        for variable in variables:
            name = variable.name.removesuffix(":0")
            if not np.array_equal(session.run(variable), stored.get_tensor(name)):
                raise RuntimeError(f"musicnn variable {name} does not hold the packaged weights")
    print(f"musicnn {MODEL}: {len(variables)} variables restored and checked "
          f"({sum(int(np.prod(v.shape)) for v in variables):,} values)")
    return session, x, embedding, tags, list(configuration.MTT_LABELS)


def run_folders(folders: list[Path], out: Path) -> None:
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    session, x, embedding, tags, labels = build(tf)
    for folder in folders:
        (out / folder.name).mkdir(parents=True, exist_ok=True)
        wavs = sorted(folder.glob("*.wav"))
        for number, wav in enumerate(wavs, 1):
            patches = mel_patches(wav)
            results = [session.run([embedding, tags], {x: patches[i:i + BATCH]}) for i in range(0, len(patches), BATCH)]
            np.savez(out / folder.name / f"{wav.stem}.npz", embedding=np.concatenate([r[0] for r in results]).astype(np.float16),
                     tags=np.concatenate([r[1] for r in results]).astype(np.float32), tag_names=np.array(labels))
            if number % 100 == 0 or number == len(wavs):
                print(f"{folder.name}: {number}/{len(wavs)}", flush=True)


def export_onnx(path: Path) -> None:
    import tensorflow as tf
    import tf2onnx

    tf.compat.v1.disable_eager_execution()
    session, _, _, _, _ = build(tf)
    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(session, session.graph_def, ["embedding", "tags"])
    model, _ = tf2onnx.convert.from_graph_def(frozen, input_names=["mel:0"], output_names=["embedding:0", "tags:0"],
                                              opset=17)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    print(f"wrote {path}: max difference from TensorFlow {onnx_parity(path, session):.2e}")


def onnx_parity(path: Path, session) -> float:
    """Largest difference between the ONNX model and TensorFlow on random mel patches."""
    import onnxruntime

    patches = np.random.default_rng(0).uniform(0, 3, (4, PATCH_FRAMES, N_MELS)).astype(np.float32)
    onnx_out = onnxruntime.InferenceSession(str(path)).run(None, {"mel:0": patches})
    tf_out = session.run(["embedding:0", "tags:0"], {"mel:0": patches})
    return float(max(np.abs(a - b).max() for a, b in zip(onnx_out, tf_out)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, help="folders of WAV files")
    parser.add_argument("--out", type=Path, default=Path("cache/instruments/musicnn"), help="where the NAME.npz files go")
    parser.add_argument("--onnx", type=Path, help="write the network as ONNX here instead")
    args = parser.parse_args()
    if args.onnx:
        export_onnx(args.onnx)
    else:
        run_folders(args.folders, args.out)


if __name__ == "__main__":
    main()
