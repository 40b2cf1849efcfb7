"""ONNX export of the inpainting models, with a parity check against PyTorch on real bars.

Three graphs, opset 17:

- ``inpaint_encoder.onnx``: ``tokens`` int64 ``(B, 24)`` -> ``mean`` ``(B, Z)``;
- ``inpaint_decoder.onnx``: ``z`` ``(B, Z)``, ``noise`` ``(B, 24, V)`` -> ``tokens`` int64 ``(B, 24)``,
  ``logits`` ``(B, 24, V)``; tokens are ``argmax(logits + noise)``, so Gumbel noise samples,
  zeros decode greedily, and a seed reproduces a run;
- ``inpaint_latent_rnn.onnx``: ``past`` ``(B, P, Z)``, ``future`` ``(B, F, Z)`` -> ``gap`` ``(B, 4, Z)``;
  gaps of 1-4 bars take the first bars of it (the generator is autoregressive).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

from bridge.score import VOCAB_SIZE
from export.models.inpainting import BAR_TICKS, MAX_GAP_BARS, LatentRNN, MeasureVAE

OPSET = 17


class _Encoder(nn.Module):
    def __init__(self, vae: MeasureVAE) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.vae.encode(tokens)[0]


class _Decoder(nn.Module):
    def __init__(self, vae: MeasureVAE) -> None:
        super().__init__()
        self.vae = vae

    def forward(self, z: torch.Tensor, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logits, tokens = self.vae.decode(z, noise=noise)
        return tokens, logits


class _LatentRnn(nn.Module):
    def __init__(self, model: LatentRNN) -> None:
        super().__init__()
        self.model = model

    def forward(self, past: torch.Tensor, future: torch.Tensor, gap_bars: torch.Tensor) -> torch.Tensor:
        return self.model(past, future, gap_bars, steps=MAX_GAP_BARS)


def export_graphs(vae: MeasureVAE, latent_rnn: LatentRNN, directory: Path) -> dict[str, Path]:
    """Write the three graphs; return their paths by name."""
    directory.mkdir(parents=True, exist_ok=True)
    vae.eval()
    latent_rnn.eval()
    z_size = vae.size.latent
    paths = {name: directory / f"inpaint_{name}.onnx" for name in ("encoder", "decoder", "latent_rnn")}
    batch = {0: "batch"}
    torch.onnx.export(_Encoder(vae), (torch.zeros(2, BAR_TICKS, dtype=torch.long),), paths["encoder"],
                      opset_version=OPSET, dynamo=False, input_names=["tokens"], output_names=["mean"],
                      dynamic_axes={"tokens": batch, "mean": batch})
    torch.onnx.export(_Decoder(vae), (torch.zeros(2, z_size), torch.zeros(2, BAR_TICKS, VOCAB_SIZE)),
                      paths["decoder"], opset_version=OPSET, dynamo=False, input_names=["z", "noise"],
                      output_names=["tokens", "logits"],
                      dynamic_axes={"z": batch, "noise": batch, "tokens": batch, "logits": batch})
    torch.onnx.export(_LatentRnn(latent_rnn), (torch.zeros(2, 3, z_size), torch.zeros(2, 2, z_size),
                                                torch.tensor([2])),
                      paths["latent_rnn"], opset_version=OPSET, dynamo=False, input_names=["past", "future", "gap_bars"],
                      output_names=["gap"], dynamic_axes={"past": {0: "batch", 1: "past_bars"},
                                                          "future": {0: "batch", 1: "future_bars"}, "gap": batch})
    return paths


def parity(vae: MeasureVAE, latent_rnn: LatentRNN, paths: dict[str, Path], bars: np.ndarray,
           seed: int = 0) -> dict[str, float]:
    """Largest absolute differences between ONNX Runtime and PyTorch on ``bars`` ``(N, 24)`` (N >= 8).

    Also the share of decoded tokens that agree, with the same Gumbel noise.
    """
    sessions = {name: ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]) for name, path in paths.items()}
    tokens = torch.from_numpy(bars.astype(np.int64))
    rng = np.random.default_rng(seed)
    noise = rng.gumbel(size=(len(bars), BAR_TICKS, VOCAB_SIZE)).astype(np.float32)
    with torch.no_grad():
        mean = vae.encode(tokens)[0]
        logits, decoded = vae.decode(mean, noise=torch.from_numpy(noise))
        latents = mean.reshape(1, len(bars), -1)
        gap = latent_rnn(latents[:, :4], latents[:, 4:8], torch.tensor([3]), steps=MAX_GAP_BARS)
    onnx_mean = sessions["encoder"].run(None, {"tokens": bars.astype(np.int64)})[0]
    onnx_tokens, onnx_logits = sessions["decoder"].run(None, {"z": mean.numpy(), "noise": noise})
    onnx_gap = sessions["latent_rnn"].run(None, {"past": latents[:, :4].numpy(), "future": latents[:, 4:8].numpy(),
                                                 "gap_bars": np.array([3], np.int64)})[0]
    return {
        "encoder_max_abs_diff": float(np.abs(onnx_mean - mean.numpy()).max()),
        "decoder_logits_max_abs_diff": float(np.abs(onnx_logits - logits.numpy()).max()),
        "decoder_token_agreement": float((onnx_tokens == decoded.numpy()).mean()),
        "latent_rnn_max_abs_diff": float(np.abs(onnx_gap - gap.numpy()).max()),
    }


def update_manifest(manifest_path: Path, entry: dict) -> None:
    """Insert or replace ``entry`` (keyed by its ``name``) in ``models_onnx/manifest.json``."""
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"models": []}
    manifest["models"] = [m for m in manifest["models"] if m["name"] != entry["name"]] + [entry]
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
