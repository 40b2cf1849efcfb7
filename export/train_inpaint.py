"""Training of the inpainting models: ``python -m export train measure_vae|latent_rnn|arnn``.

Seeded and resumable: a checkpoint (weights, optimiser, step, random state)
is written every ``--save-every`` steps and at the end; a run started again
with the same output directory goes on from it. The best weights by
validation loss are kept beside it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from bridge.score import VOCAB_SIZE
from export.data.folk import load_splits
from export.models.attributes import bar_attributes
from export.models.inpainting import SIZES, AnticipationRNN, LatentRNN, MeasureVAE, VaeSize, parameter_count

CONTEXT_BARS = (2, 6)  # past and future context lengths drawn per batch
GAP_BARS = (1, 4)


@dataclass
class TrainConfig:
    data: Path
    out: Path
    steps: int = 4000
    batch: int = 64
    lr: float = 1e-3
    seed: int = 0
    save_every: int = 500
    valid_every: int = 250
    vae: Path | None = None  # latent_rnn: the trained MeasureVAE checkpoint
    beta: float = 1e-3  # MeasureVAE: KL weight (larger lets the posterior collapse)
    attribute_weight: float = 1.0  # MeasureVAE: latent regularisation weight
    latent_mix: float = 0.5  # MeasureVAE: share of bars decoded from a blended latent (see MeasureVAE.forward)
    input_dropout: float = 0.25  # MeasureVAE: share of fed tokens hidden from the decoder (see MeasureVAE)
    threads: int = 2
    size: str = "live"  # a key of export.models.inpainting.SIZES
    device: str = "auto"  # "auto": CUDA where available, else CPU


class Windows:
    """Random windows of whole bars from the tunes of one split.

    Every batch shares one (past, gap, future) length, so no padding is needed.
    """

    def __init__(self, tunes: list[np.ndarray], rng: np.random.Generator) -> None:
        self.tunes = [t for t in tunes if len(t) >= CONTEXT_BARS[0] * 2 + GAP_BARS[0]]
        self.bars = np.concatenate(tunes)
        self.rng = rng

    def random_bars(self, batch: int) -> torch.Tensor:
        return torch.from_numpy(self.bars[self.rng.integers(0, len(self.bars), batch)])

    def lengths(self) -> tuple[int, int, int]:
        return (int(self.rng.integers(CONTEXT_BARS[0], CONTEXT_BARS[1] + 1)),
                int(self.rng.integers(GAP_BARS[0], GAP_BARS[1] + 1)),
                int(self.rng.integers(CONTEXT_BARS[0], CONTEXT_BARS[1] + 1)))

    def sample(self, batch: int, past: int, gap: int, future: int) -> torch.Tensor:
        """``(batch, past + gap + future, 24)`` tokens."""
        span = past + gap + future
        candidates = [t for t in self.tunes if len(t) >= span]
        picks = self.rng.integers(0, len(candidates), batch)
        out = np.empty((batch, span, 24), dtype=np.int64)
        for row, index in enumerate(picks):
            tune = candidates[index]
            start = int(self.rng.integers(0, len(tune) - span + 1))
            out[row] = tune[start : start + span]
        return torch.from_numpy(out)


def attribute_loss(z: torch.Tensor, attributes: torch.Tensor, delta: float = 10.0) -> torch.Tensor:
    """AR-VAE regularisation: dimension ``i`` of ``z`` orders the batch like attribute ``i``."""
    loss = z.new_zeros(())
    for i in range(attributes.shape[1]):
        dz = z[:, i : i + 1] - z[:, i : i + 1].T
        da = attributes[:, i : i + 1] - attributes[:, i : i + 1].T
        loss = loss + nn.functional.l1_loss(torch.tanh(delta * dz), torch.sign(da))
    return loss


def vae_loss(model: MeasureVAE, bars: torch.Tensor, config: TrainConfig) -> tuple[torch.Tensor, dict]:
    logits, mean, log_var, z = model(bars, input_dropout=config.input_dropout, latent_mix=config.latent_mix)
    reconstruction = nn.functional.cross_entropy(logits.reshape(-1, VOCAB_SIZE), bars.reshape(-1))
    kl = -0.5 * torch.mean(torch.sum(1 + log_var - mean**2 - log_var.exp(), dim=-1))
    attributes = torch.from_numpy(bar_attributes(bars.cpu().numpy())).to(bars.device)
    regularisation = attribute_loss(z, attributes)
    total = reconstruction + config.beta * kl + config.attribute_weight * regularisation
    accuracy = (logits.argmax(-1) == bars).float().mean()
    return total, {"nll": reconstruction.item(), "kl": kl.item(), "attr": regularisation.item(), "acc": accuracy.item()}


def encode_bars(vae: MeasureVAE, windows: torch.Tensor) -> torch.Tensor:
    """Latent means of every bar: ``(B, L, 24)`` -> ``(B, L, Z)``."""
    batch, length, ticks = windows.shape
    mean, _ = vae.encode(windows.reshape(-1, ticks))
    return mean.reshape(batch, length, -1)


def latent_rnn_loss(model: LatentRNN, vae: MeasureVAE, windows: torch.Tensor, past: int, gap: int
                    ) -> tuple[torch.Tensor, dict]:
    """Cross-entropy of the gap's tokens, decoded by the frozen VAE from the predicted latents."""
    with torch.no_grad():
        latents = encode_bars(vae, windows)
    predicted = model(latents[:, :past], latents[:, past + gap :], gap)
    target = windows[:, past : past + gap].reshape(-1, 24)
    logits, _ = vae.decode(predicted.reshape(-1, predicted.shape[-1]), target=target)
    nll = nn.functional.cross_entropy(logits.reshape(-1, VOCAB_SIZE), target.reshape(-1))
    return nll, {"nll": nll.item(), "acc": (logits.argmax(-1) == target).float().mean().item()}


def arnn_inputs(windows: torch.Tensor, past: int, gap: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flattened tokens, their right-shifted copy, the constraints and the gap mask."""
    tokens = windows.reshape(windows.shape[0], -1)
    previous = torch.cat([torch.full_like(tokens[:, :1], VOCAB_SIZE), tokens[:, :-1]], dim=1)
    in_gap = torch.zeros_like(tokens, dtype=torch.bool)
    in_gap[:, past * 24 : (past + gap) * 24] = True
    constraints = torch.where(in_gap, torch.full_like(tokens, AnticipationRNN.FREE), tokens)
    return tokens, previous, constraints, in_gap


def arnn_loss(model: AnticipationRNN, windows: torch.Tensor, past: int, gap: int) -> tuple[torch.Tensor, dict]:
    tokens, previous, constraints, in_gap = arnn_inputs(windows, past, gap)
    logits = model(previous, constraints)
    nll = nn.functional.cross_entropy(logits[in_gap], tokens[in_gap])
    return nll, {"nll": nll.item(), "acc": (logits[in_gap].argmax(-1) == tokens[in_gap]).float().mean().item()}


def load_vae(path: Path) -> MeasureVAE:
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    vae = MeasureVAE(VaeSize(**checkpoint["size"]))
    vae.load_state_dict(checkpoint["best_weights"])
    vae.eval()
    for parameter in vae.parameters():
        parameter.requires_grad_(False)
    return vae


def train(kind: str, config: TrainConfig) -> Path:
    """Train ``kind`` and return the checkpoint path."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    splits = load_splits(config.data)
    train_windows, valid_windows = Windows(splits["train"], rng), Windows(splits["valid"], np.random.default_rng(1))
    vae = load_vae(config.vae) if kind == "latent_rnn" else None
    vae_size, rnn_size = SIZES[config.size]
    model = {"measure_vae": lambda: MeasureVAE(vae_size), "latent_rnn": lambda: LatentRNN(vae.size.latent, rnn_size),
             "arnn": lambda: AnticipationRNN()}[kind]()
    device = torch.device("cuda" if config.device == "auto" and torch.cuda.is_available() else
                          "cpu" if config.device == "auto" else config.device)
    model.to(device)
    if vae is not None:
        vae.to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
    config.out.mkdir(parents=True, exist_ok=True)
    checkpoint_path = config.out / f"{kind}.pt"
    state = {"step": 0, "best_valid": float("inf"), "best_weights": None, "history": []}
    if checkpoint_path.exists():
        saved = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
        model.load_state_dict(saved["weights"])
        optimiser.load_state_dict(saved["optimiser"])
        rng.bit_generator.state = saved["rng"]
        torch.set_rng_state(saved["torch_rng"])
        state = {k: saved[k] for k in state}
    valid_batches = _valid_batches(kind, valid_windows, config.batch)

    def loss_of(batch) -> tuple[torch.Tensor, dict]:
        if kind == "measure_vae":
            return vae_loss(model, batch.to(device), config)
        windows, past, gap = batch
        if kind == "latent_rnn":
            return latent_rnn_loss(model, vae, windows.to(device), past, gap)
        return arnn_loss(model, windows.to(device), past, gap)

    def save() -> None:
        torch.save({"kind": kind, "size": model.size.__dict__,
                    "weights": {k: v.cpu() for k, v in model.state_dict().items()},
                    "optimiser": optimiser.state_dict(), "rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(), "config": {k: str(v) for k, v in config.__dict__.items()},
                    "parameters": parameter_count(model), **state}, checkpoint_path)

    progress = tqdm(range(state["step"], config.steps), initial=state["step"], total=config.steps, desc=kind, disable=None)
    started = time.monotonic()
    for step in progress:
        model.train()
        if kind == "measure_vae":
            batch = train_windows.random_bars(config.batch)
        else:
            past, gap, future = train_windows.lengths()
            batch = (train_windows.sample(config.batch, past, gap, future), past, gap)
        loss, figures = loss_of(batch)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        state["step"] = step + 1
        progress.set_postfix({k: f"{v:.3f}" for k, v in figures.items()})
        if state["step"] % config.valid_every == 0 or state["step"] == config.steps:
            model.eval()
            with torch.no_grad():
                valid = [loss_of(b)[1] for b in valid_batches]
            summary = {k: float(np.mean([v[k] for v in valid])) for k in valid[0]}
            summary["step"] = state["step"]
            state["history"].append(summary)
            if summary["nll"] < state["best_valid"]:
                state["best_valid"] = summary["nll"]
                state["best_weights"] = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        if state["step"] % config.save_every == 0 or state["step"] == config.steps:
            save()
    (config.out / f"{kind}_history.json").write_text(json.dumps(
        {"history": state["history"], "seconds": time.monotonic() - started}, indent=1) + "\n")
    return checkpoint_path


def _valid_batches(kind: str, windows: Windows, batch: int, count: int = 8) -> list:
    """A fixed validation set, the same for every run with the same data."""
    if kind == "measure_vae":
        return [windows.random_bars(batch) for _ in range(count)]
    batches = []
    for _ in range(count):
        past, gap, future = windows.lengths()
        batches.append((windows.sample(batch, past, gap, future), past, gap))
    return batches


