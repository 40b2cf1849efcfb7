"""Training of the causal drum CNN: ``python -m export train drums`` (and ``drums_student``).

Targets are onset frames from the exact MIDI labels: the frame in which an
onset first sounds and the one after it (the network itself sees no future
frame, so it may fire in either; ``target_frames`` 1 keeps the first alone).
With a look-ahead of L frames the targets move
to the first frame that ends more than L hops after the onset: the model hears
the first moments of a stroke (between L and L + 1 hops of it) before it must
name it, and every onset arrives that much later. L may be fractional: 1.25 hears
12.5-22.5 ms of a stroke at a 10-ms hop, where whole frames hear 10-20 or 20-30. A class may have a
look-ahead of its own (``class_look_ahead``): the snare heard longer than the kick, say. The student variant also
learns from unlabeled mixes, with PFNMF's normalised activations as soft
targets (Wu & Lerch 2018).
Seeded and resumable from ``OUT/<model>.pt``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from bridge.drum_vocabulary import DRUM_CLASSES, DRUM_NAMES
from bridge.features import DRUM_FEATURES, FeatureSpec
from export.data.drums import feature_spec, load_features
from export.feature_augment import augment_log_mel
from export.models.drums import CausalDrumCNN, drum_model, parameter_count

CHUNK_FRAMES = 192
WARM_UP_FRAMES = 33  # the receptive field: loss only where the chunk gives the model its full context
POSITIVE_WEIGHT = 4.0


@dataclass
class DrumTrainConfig:
    data: Path
    out: Path
    steps: int = 3000
    batch: int = 24
    lr: float = 2e-3
    seed: int = 0
    threads: int = 2
    student: bool = False  # also learn from unlabeled mixes with PFNMF soft targets
    templates: Path | None = None  # pfnmf.npz of `python -m export train pfnmf` (student only)
    width: int = 16  # channels of the first conv blocks (see CausalDrumCNN)
    hidden: int = 128
    recurrent: int = 0  # GRU units after the convolutions (CausalDrumCRNN); 0 = the CNN alone
    save_every: int = 500
    augment: bool = False  # recolour every training chunk (augment_log_mel)
    augment_shift_bands: float = 1.5  # the largest shift of the mel axis when augmenting
    look_ahead: float = 0.0  # hops the model hears of an onset before it must fire (onset_targets)
    target_frames: int = 2  # frames each onset's target spans: its first and the next, either may fire
    class_look_ahead: dict[str, float] = field(default_factory=dict)  # class name to its own look-ahead in hops
    teachers: tuple[Path, ...] = ()  # run folders of trained networks: distil their average (ensemble_targets)
    teach_off_onsets: bool = False  # the teachers' half only where the label is 0 (distilled_targets)


def class_look_aheads(look_ahead: float, class_look_ahead: Mapping[str, float] | None = None) -> np.ndarray:
    """The look-ahead in hops of every drum class: ``look_ahead``, or the class's own in ``class_look_ahead``.

    Raises
    ------
    ValueError
        ``class_look_ahead`` names no drum class, or gives a negative look-ahead.
    """
    values = np.full(len(DRUM_NAMES), float(look_ahead))
    for name, hops in (class_look_ahead or {}).items():
        if name not in DRUM_NAMES:
            raise ValueError(f"no drum class {name!r} to give a look-ahead; the classes: {', '.join(DRUM_NAMES)}")
        values[DRUM_NAMES.index(name)] = hops
    if (values < 0).any():
        raise ValueError(f"a look-ahead is at least 0 hops, got {values.min():g}")
    return values


def onset_targets(onsets: list[np.ndarray], n_frames: int, hop_s: float = DRUM_FEATURES.hop_s,
                  look_ahead: float | np.ndarray = 0.0, frames_each: int = 2) -> np.ndarray:
    """Frame targets (frames, classes): 1 in the first frame that ends more than ``look_ahead`` hops after
    each onset and in the ``frames_each - 1`` after it (with no look-ahead, the frame where the onset begins to
    sound). ``look_ahead``: one for every class, or one per class."""
    targets = np.zeros((n_frames, len(onsets)), np.float32)
    look_aheads = np.broadcast_to(np.asarray(look_ahead, np.float64), (len(onsets),))
    for c, times in enumerate(onsets):
        frames = np.floor(np.asarray(times) / hop_s + look_aheads[c]).astype(int)
        for shift in range(frames_each):
            valid = frames + shift
            targets[valid[(valid >= 0) & (valid < n_frames)], c] = 1.0
    return targets


def delayed(targets: np.ndarray, frames: int) -> np.ndarray:
    """Frame targets ``frames`` later: the model fires after hearing that many frames of each stroke."""
    if frames == 0:
        return targets
    return np.concatenate((np.zeros((frames, targets.shape[1]), targets.dtype), targets[:-frames]))


class ChunkSampler:
    """Random chunks of ``CHUNK_FRAMES`` frames with their targets, each passed through ``augment`` (chunk, rng)
    when one is given."""

    def __init__(self, tracks: list[np.ndarray], targets: list[np.ndarray], rng: np.random.Generator,
                 augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None) -> None:
        keep = [i for i, t in enumerate(tracks) if len(t) > CHUNK_FRAMES]
        self.tracks = [tracks[i] for i in keep]
        self.targets = [targets[i] for i in keep]
        self.rng = rng
        self.augment = augment

    def batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = [], []
        for i in self.rng.integers(0, len(self.tracks), size):
            start = int(self.rng.integers(0, len(self.tracks[i]) - CHUNK_FRAMES + 1))
            chunk = self.tracks[i][start:start + CHUNK_FRAMES]
            xs.append(self.augment(chunk, self.rng) if self.augment else chunk)
            ys.append(self.targets[i][start:start + CHUNK_FRAMES])
        return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def teacher_targets(tracks: list[np.ndarray], pfnmf_path: Path) -> list[np.ndarray]:
    """PFNMF's normalised activation novelty per frame and class: the student's soft targets."""
    from export.pfnmf import load

    teacher = load(pfnmf_path)
    return [teacher.activations(track) for track in tqdm(tracks, desc="teacher (PFNMF)")]


def ensemble_targets(tracks: list[np.ndarray], checkpoints: list[Path], look_ahead: np.ndarray) -> list[np.ndarray]:
    """The probabilities per frame and class of the networks of ``checkpoints`` averaged in one graph (the mean of
    their logits, as ``export drums --ensemble`` fuses them): soft targets that distil the ensemble into one network.

    Raises
    ------
    ValueError
        The networks name strokes after other look-aheads than ``look_ahead`` (hops per class): their frames
        would not line up.
    """
    from export.release_drums import load_members

    model, teacher_look_ahead, _ = load_members(checkpoints)
    if not np.array_equal(teacher_look_ahead, look_ahead):
        raise ValueError(f"the teachers have look-aheads of {teacher_look_ahead.tolist()} hops, the model "
                         f"{look_ahead.tolist()}")
    with torch.no_grad():
        return [torch.sigmoid(model(torch.from_numpy(track[None]))[0][0]).numpy()
                for track in tqdm(tracks, desc="teacher (ensemble)")]


def distilled_targets(labels: np.ndarray, teacher: np.ndarray, off_onsets: bool = False) -> np.ndarray:
    """Half the label, half the teachers' probability (BCE is linear in its target). ``off_onsets``: the onset
    frames keep their label of 1, so the student fires where the labels say even where the teachers, some of
    which never heard the kit, put their mass a frame later; elsewhere the teachers' half stays."""
    mixed = (labels + teacher) / 2
    return np.where(labels == 1.0, labels, mixed) if off_onsets else mixed


def learning_rate_factor(step: int, total_steps: int, warm_up: float = 0.1) -> float:
    """Linear warm-up over the first 10% of the steps, then a cosine down to 5% of the peak."""
    warm_steps = max(1, int(warm_up * total_steps))
    if step < warm_steps:
        return (step + 1) / warm_steps
    progress = min(1.0, (step - warm_steps) / max(1, total_steps - warm_steps))
    return 0.05 + 0.95 * 0.5 * (1.0 + np.cos(np.pi * progress))


def chunk_loss(model: CausalDrumCNN, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    logits = model(x)[0][:, WARM_UP_FRAMES:]
    target = y[:, WARM_UP_FRAMES:]
    weight = 1.0 + (POSITIVE_WEIGHT - 1.0) * target
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, target, weight=weight)


def train(config: DrumTrainConfig) -> Path:
    """Train (or resume) and return the path of the best checkpoint."""
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    name = "drums_student" if config.student else "drums"
    look_ahead = class_look_aheads(config.look_ahead, config.class_look_ahead)
    config.out.mkdir(parents=True, exist_ok=True)
    spec = feature_spec(config.data)
    tracks, onsets = load_features(config.data / "train.npz")
    augment = partial(augment_log_mel, max_shift_bands=config.augment_shift_bands, spec=spec) if config.augment else None

    def targets(track_onsets: list[np.ndarray], n_frames: int) -> np.ndarray:
        return onset_targets(track_onsets, n_frames, spec.hop_s, look_ahead, config.target_frames)

    labels = [targets(o, len(t)) for t, o in zip(tracks, onsets)]
    if config.teachers:
        soft = ensemble_targets(tracks, [folder / "drums_best.pt" for folder in config.teachers], look_ahead)
        labels = [distilled_targets(hard, teacher, config.teach_off_onsets) for hard, teacher in zip(labels, soft)]
    labelled = ChunkSampler(tracks, labels, rng, augment)
    valid_tracks, valid_onsets = load_features(config.data / "valid.npz")
    valid = ChunkSampler(valid_tracks, [targets(o, len(t)) for t, o in zip(valid_tracks, valid_onsets)],
                         np.random.default_rng(config.seed + 1))
    valid_batches = [valid.batch(32) for _ in range(8)]
    unlabeled = None
    if config.student:
        if config.class_look_ahead or config.look_ahead != int(config.look_ahead):
            raise ValueError("the student's soft targets are whole frames, delayed alike for every class: a "
                             f"look-ahead of {config.look_ahead} frames, or one per class, cannot delay them")
        free_tracks, _ = load_features(config.data / "unlabeled.npz")
        soft = [delayed(t, int(config.look_ahead)) for t in teacher_targets(free_tracks, config.templates)]
        unlabeled = ChunkSampler(free_tracks, soft, rng)

    model = drum_model(spec.n_mels, len(DRUM_CLASSES), config.width, config.hidden, config.recurrent)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda step: learning_rate_factor(step, config.steps))
    checkpoint = config.out / f"{name}.pt"
    history: list[dict] = []
    step, best = 0, np.inf
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        step, best, history = state["step"], state["best"], state["history"]
        rng.bit_generator.state = state["rng"]

    def save() -> None:
        torch.save({"model": model.state_dict(), "optimiser": optimiser.state_dict(), "schedule": schedule.state_dict(),
                    "step": step, "best": best, "history": history, "rng": rng.bit_generator.state,
                    "config": {k: str(v) for k, v in vars(config).items()}}, checkpoint)

    started = time.time()
    progress = tqdm(total=config.steps, initial=step, desc=f"train {name}")
    while step < config.steps:
        model.train()
        x, y = labelled.batch(config.batch)
        loss = chunk_loss(model, x, y)
        if unlabeled is not None:
            ux, uy = unlabeled.batch(config.batch // 2)
            loss = loss + 0.5 * chunk_loss(model, ux, uy)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        step += 1
        progress.update(1)
        if step % config.save_every == 0 or step == config.steps:
            model.eval()
            with torch.no_grad():
                valid_loss = float(np.mean([chunk_loss(model, vx, vy).item() for vx, vy in valid_batches]))
            history.append({"step": step, "train_loss": loss.item(), "valid_loss": valid_loss,
                            "elapsed_s": round(time.time() - started, 1)})
            progress.set_postfix(valid=f"{valid_loss:.4f}")
            if valid_loss < best:
                best = valid_loss
                torch.save({"model": model.state_dict(), "step": step, "valid_loss": valid_loss,
                            "parameters": parameter_count(model), "width": config.width, "hidden": config.hidden,
                            "recurrent": config.recurrent, "look_ahead": config.look_ahead,
                            "class_look_ahead": dict(config.class_look_ahead),
                            "features": spec.as_dict()},
                           config.out / f"{name}_best.pt")
            save()
    progress.close()
    (config.out / f"{name}_history.json").write_text(json.dumps(history, indent=2) + "\n")
    return config.out / f"{name}_best.pt"


def saved_teachers(config: dict) -> list[Path]:
    """The ``teachers`` of a checkpoint's saved ``config`` (strings: the tuple's repr); [] for none."""
    return [Path(folder) for folder in re.findall(r"Path\('([^']*)'\)", config.get("teachers", ""))]


def teachers_of(run: Path) -> list[Path]:
    """The run folders whose averaged networks taught the network trained in ``run`` (``--teachers``), read from
    the config its last checkpoint ``drums.pt`` saved; [] for a network trained on the labels alone (or whose last
    checkpoint is not here)."""
    if not (run / "drums.pt").exists():
        return []
    return saved_teachers(torch.load(run / "drums.pt", weights_only=False)["config"])


def load_model(path: Path) -> tuple[CausalDrumCNN, np.ndarray, FeatureSpec]:
    """A trained model in eval mode, its look-ahead in hops per class and the log-mel settings it was trained on."""
    saved = torch.load(path, weights_only=False)
    spec = FeatureSpec(**saved["features"]) if "features" in saved else DRUM_FEATURES
    model = drum_model(spec.n_mels, len(DRUM_CLASSES), saved.get("width", 16), saved.get("hidden", 128),
                       saved.get("recurrent", 0))
    model.load_state_dict(saved["model"])
    return model.eval(), class_look_aheads(saved.get("look_ahead", 0), saved.get("class_look_ahead")), spec
