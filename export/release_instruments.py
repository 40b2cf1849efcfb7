"""Ship the instrument models: the activity CNN and the attention pooling head, ONNX with parity, manifest entry.

- ``instruments_activity.onnx``: ``windows`` float32 ``(B, 50, n_mels)`` (one second of log-mel frames of
  ``bridge.features.INSTRUMENT_FEATURES``) -> ``logits`` ``(B, classes)``, ``embedding`` ``(B, 128)``; one CNN,
  or several activity networks averaged (``--ensemble``: other seeds of the CNN, the CRNN);
- ``instruments_attention.onnx``: ``embeddings`` ``(B, N, 128)`` (the last N <= 10 seconds) ->
  ``logits`` ``(B, classes)``, ``attention`` ``(B, classes, N)``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from bridge.features import INSTRUMENT_FEATURES
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.models.instruments import ActivityCNN, ActivityEnsemble, pooling_model
from export.onnx_inpaint import OPSET, update_manifest
from export.provenance import git_commit
from export.train_instruments import FRAMES_PER_S, clip_embeddings, instances, load_activity, load_split


def _export(module: torch.nn.Module, example: torch.Tensor, path: Path, names: tuple[str, list[str]], dynamic: dict) -> Path:
    torch.onnx.export(module.eval(), (example,), str(path), input_names=[names[0]], output_names=names[1],
                      dynamic_axes=dynamic, opset_version=OPSET, dynamo=False)
    return path


def _max_difference(module: torch.nn.Module, path: Path, inputs: np.ndarray) -> float:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        reference = module(torch.from_numpy(inputs))
    outputs = session.run(None, {session.get_inputs()[0].name: inputs})
    return max(float(np.max(np.abs(o - r.numpy()))) for o, r in zip(outputs, reference))


def release(runs: Path, data: Path, out: Path, ensemble: tuple[Path, ...] = ()) -> list[Path]:
    """Export both graphs, check parity on validation mixes, write the manifest entry. ``ensemble``: more activity
    networks that join ``runs``' CNN in one graph that averages their logits, each a run folder (its activity CNN,
    another seed) or an activity checkpoint (e.g. ``runs/instruments/activity_crnn.pt``); the embedding stays that
    of ``runs``' CNN, on which the pooling heads were trained."""
    members = [load_activity(runs / "activity_cnn.pt"),
               *(load_activity(path / "activity_cnn.pt" if path.is_dir() else path) for path in ensemble)]
    cnn = ActivityEnsemble(members) if ensemble else members[0]
    attention = pooling_model("attention", len(INSTRUMENT_NAMES))
    attention.load_state_dict(torch.load(runs / "pooling.pt", weights_only=False)["heads"]["attention"]["model"])
    attention.eval()
    features, labels = load_split(data, "valid")
    windows = instances(features[:16], labels[:16])[0].astype(np.float32)
    embeddings = clip_embeddings(cnn, features[:16], labels[:16])[0]
    activity_path = _export(cnn, torch.from_numpy(windows[:2]), out / "instruments_activity.onnx",
                            ("windows", ["logits", "embedding"]), {"windows": {0: "batch"}, "logits": {0: "batch"},
                                                                   "embedding": {0: "batch"}})
    attention_path = _export(attention, torch.from_numpy(embeddings[:2]), out / "instruments_attention.onnx",
                             ("embeddings", ["logits", "attention"]),
                             {"embeddings": {0: "batch", 1: "instances"}, "logits": {0: "batch"},
                              "attention": {0: "batch", 2: "instances"}})
    parity = {"activity_max_abs_diff": _max_difference(cnn, activity_path, windows),
              "attention_max_abs_diff": _max_difference(attention, attention_path, embeddings),
              "attention_max_abs_diff_4_instances": _max_difference(attention, attention_path, embeddings[:, :4].copy()),
              "windows": int(len(windows)), "clips": int(len(embeddings))}
    if max(v for k, v in parity.items() if "diff" in k) > 1e-3:
        raise RuntimeError(f"ONNX does not match PyTorch: {parity}")
    entry = {"name": "instruments", "version": 1, "task": "instrument activity (1-s windows) and 10-s clip tagging",
             "files": {"activity": activity_path.name, "attention": attention_path.name}, "opset": OPSET,
             "inputs": {"activity": {"windows": f"float32 (B, {FRAMES_PER_S}, n_mels)"},
                        "attention": {"embeddings": "float32 (B, N <= 10, 128)"}},
             "outputs": {"activity": {"logits": "(B, classes)", "embedding": "(B, 128)"},
                         "attention": {"logits": "(B, classes)", "attention": "(B, classes, N)"}},
             "features": INSTRUMENT_FEATURES.as_dict(), "frames_per_window": FRAMES_PER_S,
             "classes": list(INSTRUMENT_NAMES), "parity": parity, "networks": [str(runs), *map(str, ensemble)],
             "cnn_widths": {str(path): member.width for path, member in zip((runs, *ensemble), members)
                            if isinstance(member, ActivityCNN)},
             "parameters": {"activity": sum(p.numel() for p in cnn.parameters()),
                            "attention": sum(p.numel() for p in attention.parameters())},
             "training_commit": git_commit()}
    update_manifest(out / "manifest.json", entry)
    return [activity_path, attention_path, out / "manifest.json"]
