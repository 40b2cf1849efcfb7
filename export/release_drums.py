"""Ship the drum transcriber: ONNX graph with streaming states, parity, tuned threshold, manifest entry.

``drums.onnx`` takes ``features`` float32 ``(1, T, n_mels)`` and the convolution
states ``state_0..state_4`` and returns ``logits`` ``(1, T, classes)`` and the
new states ``next_state_0..``; T may be any number of new frames. Several trained
networks (seeds of one recipe) can ship fused into one graph that averages their logits. Parity is
checked by streaming held-out renders through ONNX Runtime in blocks of 1-7
frames against PyTorch over whole tracks.

The per-class thresholds and the timing offset are tuned on the validation renders with
the same streaming picker the daemon runs (``bridge.engines.drums``).
"""

from __future__ import annotations

from pathlib import Path

import mir_eval
import numpy as np
import onnxruntime as ort
import torch

from bridge.drum_vocabulary import DRUM_CLASSES, DRUM_NAMES, MAIN_CLASSES
from bridge.engines.drums import SILENCE_FRAMES, OnsetPicker, stroke_time_s
from bridge.features import DRUM_FEATURES, FeatureSpec
from export.data.drums import load_features, require_feature_spec
from export.models.drums import CausalDrumCNN, CausalDrumCRNN, DrumEnsemble, parameter_count
from export.onnx_inpaint import OPSET, update_manifest
from export.provenance import git_commit
from export.train_drums import load_model, teachers_of

THRESHOLDS = np.round(np.arange(0.2, 0.91, 0.05), 2)


class _Streaming(torch.nn.Module):
    def __init__(self, model: CausalDrumCNN) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.model(features, *states)


def export_onnx(model: CausalDrumCNN, path: Path) -> Path:
    """Write the streaming graph (opset 17, dynamic frame count)."""
    states = model.initial_states(1)
    n = len(states)
    features = torch.zeros(1, 4, model.input_norm.num_features)
    torch.onnx.export(_Streaming(model).eval(), (features, *states), str(path),
                      input_names=["features", *[f"state_{i}" for i in range(n)]],
                      output_names=["logits", *[f"next_state_{i}" for i in range(n)]],
                      dynamic_axes={"features": {1: "frames"}, "logits": {1: "frames"}},
                      opset_version=OPSET, dynamo=False)
    return path


def parity(model: CausalDrumCNN, path: Path, tracks: list[np.ndarray], seed: int = 0) -> dict[str, float]:
    """Largest |ONNX - PyTorch| logit difference, streaming ONNX in random blocks of 1-7 frames."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()[1:]]
    rng = np.random.default_rng(seed)
    worst, frames = 0.0, 0
    for track in tracks:
        with torch.no_grad():
            reference = model(torch.from_numpy(track[None]))[0][0].numpy()
        states = [s.numpy() for s in model.initial_states(1)]
        outputs, start = [], 0
        while start < len(track):
            size = int(rng.integers(1, 8))
            logits, *states = session.run(None, {"features": track[None, start:start + size], **dict(zip(names, states))})
            outputs.append(logits[0])
            start += size
        worst = max(worst, float(np.max(np.abs(np.concatenate(outputs) - reference))))
        frames += len(track)
    return {"max_abs_logit_diff": worst, "frames": frames, "tracks": len(tracks)}


def one_or_each(values: np.ndarray, digits: int = 4) -> float | list[float]:
    """Per-class figures for a manifest: one number where every class has the same, else one per class."""
    rounded = [round(float(v), digits) for v in values]
    return rounded[0] if len(set(rounded)) == 1 else rounded


def activations_at_phases(model: CausalDrumCNN, track: np.ndarray, phases: int = 1) -> np.ndarray:
    """Activations (frames, classes) of a track's frames, streamed as ``bridge.engines.drums.DrumModel`` runs
    the network at ``phases`` phases: every ``phases``-th frame from the first, the second, ... each from silence."""
    silence = np.zeros((SILENCE_FRAMES, track.shape[1]), np.float32)  # as a live stream starts
    activations = np.zeros((len(track), len(DRUM_CLASSES)), np.float32)
    with torch.no_grad():
        for phase in range(phases):
            frames = torch.from_numpy(np.concatenate((silence, track[phase::phases]))[None])
            activations[phase::phases] = torch.sigmoid(model(frames)[0][0]).numpy()[SILENCE_FRAMES:]
    return activations


def tune(model: CausalDrumCNN, tracks: list[np.ndarray], onsets: list[list[np.ndarray]],
         look_ahead: float | np.ndarray = 0.0, spec: FeatureSpec = DRUM_FEATURES, phases: int = 1) -> dict:
    """Per class, the threshold with the best mean F on validation; and the timing offset (the class's look-ahead
    plus the median offset of the onsets found), one for every class where their look-aheads agree.

    ``spec`` is the network's; with ``phases`` above 1, ``tracks`` hold frames ``phases`` times as dense (a
    build of ``data drums --hop``), which the network hears at as many phases, as the daemon runs it."""
    hop_s, stream_hop_s = spec.hop_s, spec.hop_s / phases
    look_aheads = np.broadcast_to(np.asarray(look_ahead, np.float64), (len(DRUM_CLASSES),))
    activations = [activations_at_phases(model, t, phases) for t in tracks]
    scores = np.zeros((len(THRESHOLDS), len(DRUM_CLASSES)))
    offsets: list[float] = []
    for row, threshold in enumerate(THRESHOLDS):
        per_class: list[list[float]] = [[] for _ in DRUM_CLASSES]
        for activation, reference in zip(activations, onsets):
            estimate: list[list[float]] = [[] for _ in DRUM_CLASSES]
            picker = OnsetPicker(len(DRUM_CLASSES), float(threshold), stream_hop_s, phases=phases)
            for frame, c, _ in picker(activation):
                estimate[c].append(stroke_time_s(frame, stream_hop_s, hop_s) - look_aheads[c] * hop_s)
            for c in range(len(DRUM_CLASSES)):
                if len(reference[c]):
                    per_class[c].append(mir_eval.onset.f_measure(reference[c], np.array(estimate[c]), window=0.05)[0])
                    if threshold == 0.5 and len(estimate[c]):
                        matched = mir_eval.util.match_events(reference[c], np.array(estimate[c]), 0.05)
                        offsets += [estimate[c][j] - reference[c][i] for i, j in matched]
        scores[row] = [np.mean(f) if f else 0.0 for f in per_class]
    best = scores.argmax(axis=0)
    main = [DRUM_NAMES.index(n) for n in MAIN_CLASSES]
    return {"thresholds": [float(THRESHOLDS[i]) for i in best],
            "valid_f": {name: round(float(scores[best[c], c]), 4) for c, name in enumerate(DRUM_NAMES)},
            "valid_f_main": round(float(np.mean([scores[best[c], c] for c in main])), 4),
            "time_offset_s": one_or_each(look_aheads * hop_s + (float(np.median(offsets)) if offsets else 0.0)),
            "valid_f_by_threshold": {str(t): [round(float(v), 4) for v in scores[i]] for i, t in enumerate(THRESHOLDS)}}


def load_members(checkpoints: list[Path]) -> tuple[CausalDrumCNN, np.ndarray, FeatureSpec]:
    """The model of one checkpoint, or of several their fused ``DrumEnsemble``, with the look-ahead (hops per
    class) and features they share.

    Raises
    ------
    ValueError
        The checkpoints differ in look-ahead or features: their logits would mean different things.
    """
    loaded = [load_model(path) for path in checkpoints]
    model, look_ahead, spec = loaded[0]
    for path, (_, other_look_ahead, other_spec) in zip(checkpoints[1:], loaded[1:]):
        if not np.array_equal(other_look_ahead, look_ahead) or other_spec != spec:
            raise ValueError(f"{path} has look-ahead {one_or_each(other_look_ahead)} and features "
                             f"{other_spec.as_dict()}, {checkpoints[0]} {one_or_each(look_ahead)} and "
                             f"{spec.as_dict()}: they cannot be averaged")
    if len(loaded) > 1:
        model = DrumEnsemble([m for m, _, _ in loaded]).eval()
    return model, look_ahead, spec


def release(runs: Path, data: Path, out: Path, checkpoint: str = "drums_best.pt",
            name: str = "drums", ensemble: tuple[Path, ...] = (), phases: int = 1) -> tuple[list[Path], dict]:
    """Export to ``out/<name>.onnx``, check parity, tune on valid, write the manifest entry ``name``; returns the
    paths and the tuning. ``ensemble``: more run folders whose ``checkpoint`` joins ``runs``' in one graph that
    averages their logits. ``phases``: the daemon runs the network at this many phases a hop (``DrumModel``),
    tuned so on the validation renders of ``data``, a build whose hop is the network's divided by ``phases``."""
    checkpoints = [runs / checkpoint, *(folder / checkpoint for folder in ensemble)]
    model, look_ahead, spec = load_members(checkpoints)
    require_feature_spec(data, spec.at_phases(phases), f"{runs / checkpoint} was trained on" if phases == 1
                         else f"{runs / checkpoint} at {phases} phases streams")
    path = export_onnx(model, out / f"{name}.onnx")
    tracks, onsets = load_features(data / "valid.npz")
    figures = parity(model, path, tracks[:8])
    if figures["max_abs_logit_diff"] > 1e-3:
        raise RuntimeError(f"ONNX does not match PyTorch: {figures}")
    tuning = tune(model, tracks, onsets, look_ahead, spec, phases) | {"data": str(data)}
    entry = {
        "name": name, "version": 1, "task": "causal drum transcription (onsets per class)",
        "files": {"model": path.name}, "opset": OPSET,
        "inputs": {"features": "float32 (1, T, n_mels) log-mel frames of bridge.features",
                   "state_i": "float32 convolution states; a stream starts from those of silent frames"},
        "outputs": {"logits": "float32 (1, T, classes)", "next_state_i": "the states after the last frame"},
        "features": spec.as_dict(), "classes": list(DRUM_NAMES),
        "gm_notes": {c.name: c.midi_note for c in DRUM_CLASSES},
        "thresholds": tuning["thresholds"], "time_offset_s": tuning["time_offset_s"],
        "look_ahead_frames": one_or_each(look_ahead), "phases": phases,
        "receptive_field_frames": None if isinstance(model, CausalDrumCRNN) else 33,
        "networks": [str(path) for path in checkpoints], "parameters": parameter_count(model), "parity": figures,
        "training_commit": git_commit(),
    }
    teachers = list(dict.fromkeys(str(folder) for path in checkpoints for folder in teachers_of(path.parent)))
    if teachers:
        entry["teachers"] = teachers  # the run folders the networks were distilled from (train drums --teachers)
    update_manifest(out / "manifest.json", entry)
    return [path, out / "manifest.json"], tuning
