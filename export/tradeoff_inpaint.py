"""Model size against latency and accuracy: ``python -m export tradeoff inpaint``.

Each size of ``SIZES`` is exported to ONNX and timed on the daemon's own code
path (``bridge.engines.inpaint.InpaintModel``, one thread, 4 bars from 6 + 6
bars of context), with the timing loop of ``bridge bench``. Latency does not depend on the weights, so untrained models
are timed; accuracy is read from the evaluation of each size that was trained
(``runs/inpaint-<size>/evaluation.json``, or ``runs/inpaint`` for "live").
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from bridge.bench import inpaint_latency_ms
from bridge.engines.inpaint import InpaintModel
from export.models.attributes import ATTRIBUTES
from export.models.inpainting import MAX_GAP_BARS, SIZES, LatentRNN, MeasureVAE, parameter_count
from export.onnx_inpaint import export_graphs, update_manifest


def time_inpainting(vae: MeasureVAE, latent_rnn: LatentRNN, runs: int = 200) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as workdir:
        directory = Path(workdir)
        paths = export_graphs(vae, latent_rnn, directory)
        update_manifest(directory / "manifest.json", {
            "name": "inpaint", "files": {k: p.name for k, p in paths.items()}, "max_gap_bars": MAX_GAP_BARS,
            "attribute_dimensions": {n: i for i, n in enumerate(ATTRIBUTES)},
            "attribute_ranges": {n: [-1.0, 1.0] for n in ATTRIBUTES}})
        times = inpaint_latency_ms(InpaintModel(directory, "cpu"), runs, MAX_GAP_BARS)
        sizes_mb = sum(p.stat().st_size for p in paths.values()) / 1e6
    return {"p50_ms": round(float(np.percentile(times, 50)), 3), "p99_ms": round(float(np.percentile(times, 99)), 3),
            "onnx_mb": round(sizes_mb, 2)}


def tradeoff(runs_root: Path = Path("runs")) -> dict:
    torch.manual_seed(0)
    table = {}
    for name, (vae_size, rnn_size) in SIZES.items():
        vae, latent_rnn = MeasureVAE(vae_size).eval(), LatentRNN(vae_size.latent, rnn_size).eval()
        row = {"vae": vae_size.__dict__, "latent_rnn": rnn_size.__dict__,
               "parameters": parameter_count(vae) + parameter_count(latent_rnn), **time_inpainting(vae, latent_rnn)}
        evaluation = runs_root / ("inpaint" if name == "live" else f"inpaint-{name}") / "evaluation.json"
        if evaluation.exists():
            methods = json.loads(evaluation.read_text())["methods"]["latent_rnn"]
            row.update({"accuracy": methods["accuracy"], "generated_accuracy": methods["generated_accuracy"],
                        "nll": methods["nll"]})
        table[name] = row
    return table
