"""Training of the instrument models: ``python -m export train instruments_fc|instruments_cnn|instruments_crnn``
and ``instruments_mil`` (every pooling head on the CNN's frozen embeddings); for the musicnn front end,
``instruments_musicnn`` (a head on musicnn's embeddings) and ``instruments_mil_musicnn``.

Activity models learn from 1-s instances of the training mixes; the pooling
heads learn clip labels (any second active) of 10-s mixes from the ten instance
embeddings of a trained activity model. Seeded; the best weights by validation loss are kept.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from bridge.features import INSTRUMENT_FEATURES
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.feature_augment import augment_log_mel
from export.models.instruments import ACTIVITY_MODELS, CNN_WIDTH, pooling_model
from export.musicnn_front import MUSICNN_EMBEDDING, load_embedding_split

FRAMES_PER_S = 50
POOLING_MODELS = ("attention", "mean", "max", "rnn")


@dataclass
class InstrumentTrainConfig:
    data: Path
    out: Path
    steps: int = 3000
    batch: int = 64
    lr: float = 1e-3
    seed: int = 0
    threads: int = 2
    valid_every: int = 250
    init: Path | None = None  # an activity checkpoint of the same kind to start from (fine-tuning)
    width: int = CNN_WIDTH  # channels of the CNN's first conv block (ActivityCNN)
    augment: bool = False  # recolour every training instance of the log-mel models (augment_log_mel)
    augment_shift_bands: float = 1.5  # the largest shift of the mel axis


def instances(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-s windows and their labels: (mixes * seconds, rows a second, dim) and (mixes * seconds, classes).

    Rows a second: 50 log-mel frames, or one musicnn embedding.
    """
    mixes, seconds = labels.shape[:2]
    per_s = features.shape[1] // seconds
    windows = features[:, : seconds * per_s].reshape(mixes * seconds, per_s, -1)
    return windows, labels.reshape(mixes * seconds, -1)


def load_split(data: Path, split: str, kind: str = "cnn") -> tuple[np.ndarray, np.ndarray]:
    """Features and labels of a split: log-mel frames from ``<split>.npz``, or musicnn embeddings for ``kind`` musicnn."""
    if kind == "musicnn":
        return load_embedding_split(data, split)
    saved = np.load(data / f"{split}.npz")
    return saved["features"], saved["labels"]


def new_activity_model(kind: str, width: int = CNN_WIDTH) -> torch.nn.Module:
    """An untrained activity model of ``kind`` (a key of ``ACTIVITY_MODELS``), sized for its input; ``width``: the
    CNN's first channels."""
    inputs = MUSICNN_EMBEDDING if kind == "musicnn" else INSTRUMENT_FEATURES.n_mels
    sizes = {"width": width} if kind == "cnn" else {}
    return ACTIVITY_MODELS[kind](inputs, len(INSTRUMENT_NAMES), **sizes)


def _fit(model: torch.nn.Module, batches, valid: tuple[torch.Tensor, torch.Tensor], config: InstrumentTrainConfig,
         name: str) -> tuple[dict, list[dict]]:
    """Adam with a cosine schedule; returns the best state by validation loss and the history."""
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, config.steps)
    loss_of = torch.nn.BCEWithLogitsLoss()
    best, best_state, history, started = np.inf, None, [], time.time()
    for step in tqdm(range(1, config.steps + 1), desc=f"train {name}"):
        model.train()
        x, y = batches()
        loss = loss_of(model(x)[0], y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % config.valid_every == 0 or step == config.steps:
            model.eval()
            with torch.no_grad():
                valid_loss = float(np.mean([loss_of(model(vx)[0], vy).item()
                                            for vx, vy in zip(valid[0].split(256), valid[1].split(256))]))
            history.append({"step": step, "train_loss": loss.item(), "valid_loss": valid_loss,
                            "elapsed_s": round(time.time() - started, 1)})
            if valid_loss < best:
                best, best_state = valid_loss, {k: v.clone() for k, v in model.state_dict().items()}
    return best_state, history


def train_activity(kind: str, config: InstrumentTrainConfig) -> Path:
    """Train the FC, CNN or CRNN activity model, or the musicnn head, on 1-s instances; from the weights of
    ``config.init`` where it is set.

    With ``config.augment``, every instance of every batch is recoloured by ``augment_log_mel``.

    Raises
    ------
    ValueError
        ``config.init`` holds another kind of activity model, or ``config.augment`` is asked of the musicnn head.
    """
    if config.augment and kind == "musicnn":
        raise ValueError("--augment recolours log-mel frames; the musicnn head learns from embeddings")
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    x, y = instances(*load_split(config.data, "train", kind))
    vx, vy = instances(*load_split(config.data, "valid", kind))
    model = new_activity_model(kind, config.width)
    if kind == "musicnn":
        model.set_input_statistics(torch.from_numpy(x.reshape(len(x), -1).astype(np.float32)))
    if config.init is not None:
        start = torch.load(config.init, weights_only=False)
        if start["kind"] != kind:
            raise ValueError(f"{config.init} holds a {start['kind']} activity model, not a {kind}")
        model.load_state_dict(start["model"])

    recolour = partial(augment_log_mel, max_shift_bands=config.augment_shift_bands,
                       spec=INSTRUMENT_FEATURES)

    def batches() -> tuple[torch.Tensor, torch.Tensor]:
        index = rng.integers(0, len(x), config.batch)
        batch = np.stack([recolour(w, rng) for w in x[index]]) if config.augment else x[index].astype(np.float32)
        return torch.from_numpy(batch), torch.from_numpy(y[index])

    state, history = _fit(model, batches, (torch.from_numpy(vx.astype(np.float32)), torch.from_numpy(vy)), config, kind)
    config.out.mkdir(parents=True, exist_ok=True)
    path = config.out / f"activity_{kind}.pt"
    torch.save({"kind": kind, "model": state, "history": history,
                "config": {k: str(v) for k, v in vars(config).items()}}, path)  # the card reads the command from it
    (config.out / f"activity_{kind}_history.json").write_text(json.dumps(history, indent=2) + "\n")
    return path


def load_activity(path: Path) -> torch.nn.Module:
    saved = torch.load(path, weights_only=False)
    width = int(saved.get("config", {}).get("width", CNN_WIDTH))  # checkpoints from before --width have none
    model = new_activity_model(saved["kind"], width)
    model.load_state_dict(saved["model"])
    return model.eval()


def clip_embeddings(model: torch.nn.Module, features: np.ndarray, labels: np.ndarray, clip_s: int = 10
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Embeddings of each mix's 1-s instances in non-overlapping 10-s clips, shape (clips, 10, 128), and clip labels."""
    windows, _ = instances(features, labels)
    with torch.no_grad():
        embeddings = torch.cat([model(torch.from_numpy(w.astype(np.float32)))[1]
                                for w in np.array_split(windows, max(1, len(windows) // 512))]).numpy()
    seconds = labels.shape[1]
    per_mix = embeddings.reshape(len(labels), seconds, -1)
    clips = [(per_mix[m, s:s + clip_s], labels[m, s:s + clip_s].max(axis=0))
             for m in range(len(labels)) for s in range(0, seconds - clip_s + 1, clip_s)]
    return np.stack([c[0] for c in clips]), np.stack([c[1] for c in clips])


def pooling_path(runs: Path, front_end: str) -> Path:
    """The pooling heads on the CNN's embeddings, or on the musicnn head's."""
    return runs / ("pooling.pt" if front_end == "cnn" else f"pooling_{front_end}.pt")


def train_pooling(config: InstrumentTrainConfig, front_end: str = "cnn") -> Path:
    """Every pooling head of ``POOLING_MODELS`` on the embeddings of ``front_end`` (its activity model), and a random
    forest on their mean."""
    from sklearn.ensemble import RandomForestClassifier

    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    embedder = load_activity(config.out / f"activity_{front_end}.pt")
    x, y = clip_embeddings(embedder, *load_split(config.data, "train", front_end))
    vx, vy = clip_embeddings(embedder, *load_split(config.data, "valid", front_end))
    saved = {}
    for name in POOLING_MODELS:
        model = pooling_model(name, len(INSTRUMENT_NAMES))

        def batches() -> tuple[torch.Tensor, torch.Tensor]:
            index = rng.integers(0, len(x), config.batch)
            return torch.from_numpy(x[index]), torch.from_numpy(y[index])

        state, history = _fit(model, batches, (torch.from_numpy(vx), torch.from_numpy(vy)), config, f"mil {name}")
        saved[name] = {"model": state, "history": history}
    forest = RandomForestClassifier(n_estimators=200, min_samples_leaf=2, n_jobs=config.threads,
                                    random_state=config.seed).fit(x.mean(axis=1), y)
    path = pooling_path(config.out, front_end)
    torch.save({"heads": saved, "forest": forest}, path)
    return path
