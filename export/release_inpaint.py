"""Ship the inpainting models: ONNX graphs, parity, manifest entry and model card.

Every figure in the card is read from a file a command wrote: the data counts
(``python -m export data folk``), the training histories (``train``), the
evaluation (``evaluate inpaint -o runs/inpaint/evaluation.json``), the parity
check (here) and the latency (``bridge bench -o bench/results.json``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from bridge.score import N_PITCHES, PITCH_HIGH, PITCH_LOW, VOCAB_SIZE
from export.data.folk import load_splits
from export.evaluate_inpaint import markdown_table
from export.models.attributes import ATTRIBUTES
from export.models.inpainting import MAX_GAP_BARS, LatentRNN, LatentRnnSize, parameter_count
from export.onnx_inpaint import OPSET, export_graphs, parity, update_manifest
from export.provenance import BENCH_RESULTS, git_commit, read_json
from export.train_inpaint import load_vae


def attribute_ranges(vae, bars: np.ndarray) -> dict[str, list[float]]:
    """5th and 95th percentile of each regularised dimension on held-out bars: the span of /inpaint/attribute 0-1."""
    with torch.no_grad():
        mean, _ = vae.encode(torch.from_numpy(bars.astype(np.int64)))
    return {name: [round(float(np.percentile(mean[:, i], 5)), 4), round(float(np.percentile(mean[:, i], 95)), 4)]
            for i, name in enumerate(ATTRIBUTES)}


def release(runs: Path, data: Path, out: Path) -> list[Path]:
    """Export, check parity, write the manifest entry and the card; return the written paths."""
    vae = load_vae(runs / "measure_vae.pt")
    checkpoint = torch.load(runs / "latent_rnn.pt", map_location="cpu", weights_only=False)
    latent_rnn = LatentRNN(vae.size.latent, LatentRnnSize(**checkpoint["size"]))
    latent_rnn.load_state_dict(checkpoint["best_weights"])
    test_bars = np.concatenate(load_splits(data)["test"])
    voiced = test_bars[(test_bars < N_PITCHES).any(axis=1)]
    paths = export_graphs(vae, latent_rnn, out)
    figures = parity(vae, latent_rnn, paths, voiced[:64])
    if max(v for k, v in figures.items() if "diff" in k) > 1e-3 or figures["decoder_token_agreement"] < 0.999:
        raise RuntimeError(f"ONNX does not match PyTorch: {figures}")
    entry = {
        "name": "inpaint", "version": 1, "task": "bar-by-bar melody inpainting",
        "files": {name: path.name for name, path in paths.items()}, "opset": OPSET,
        "inputs": {"encoder": {"tokens": "int64 (B, 24)"}, "decoder": {"z": "float32 (B, Z)", "noise": "float32 (B, 24, V)"},
                   "latent_rnn": {"past": "float32 (B, P, Z)", "future": "float32 (B, F, Z)",
                                  "gap_bars": "int64 (1,): bars between past and future"}},
        "outputs": {"encoder": {"mean": "(B, Z)"}, "decoder": {"tokens": "int64 (B, 24)", "logits": "(B, 24, V)"},
                    "latent_rnn": {"gap": f"(B, {MAX_GAP_BARS}, Z)"}},
        "latent_size": vae.size.latent, "vocabulary_size": VOCAB_SIZE, "ticks_per_bar": 24,
        "pitch_range": [PITCH_LOW, PITCH_HIGH], "max_gap_bars": MAX_GAP_BARS,
        "attribute_dimensions": {name: i for i, name in enumerate(ATTRIBUTES)},
        "attribute_ranges": attribute_ranges(vae, voiced),
        "parameters": {"measure_vae": parameter_count(vae), "latent_rnn": parameter_count(latent_rnn)},
        "parity": figures, "training_commit": git_commit(),
    }
    manifest = out / "manifest.json"
    update_manifest(manifest, entry)
    card = out / "inpaint_card.md"
    card.write_text(model_card(entry, runs, data, paths))
    return [*paths.values(), manifest, card]


def _copy_lines(copies: dict[str, dict]) -> list[str]:
    """What copying one context bar scores, by distance: why the models can gain from looking four bars away."""
    if not copies:
        return []
    common = {d: c for d, c in copies.items() if c["bars"] >= 100}
    best = max(common, key=lambda d: common[d]["accuracy"])
    return ["How well one context bar, copied, predicts a gap bar of these windows, by distance in bars (negative:",
            "before it; only distances with at least 100 gap bars):", "",
            "| distance | " + " | ".join(common) + " |", "|---|" + "---|" * len(common),
            "| token accuracy | " + " | ".join(f"{c['accuracy']:.3f}" for c in common.values()) + " |", "",
            f"The tunes repeat bars four and eight bars apart: the best single copy is at {best} bars "
            f"({common[best]['accuracy']:.3f}), against {copies['-1']['accuracy']:.3f} at -1 bar. "
            "This is why LatentRNN attends to the context bars by distance and content and copies under a learnt gate.", ""]


def _finding(methods: dict) -> str:
    """One sentence: does LatentRNN beat every baseline on token accuracy?"""
    ours = methods["latent_rnn"]["accuracy"]
    others = {k: v["accuracy"] for k, v in methods.items() if k != "latent_rnn"}
    best_name, best = max(others.items(), key=lambda kv: kv[1])
    if ours > best:
        return f"LatentRNN has the best token accuracy ({ours:.3f}; next: {best_name}, {best:.3f})."
    beaten = [k for k, v in others.items() if v < ours]
    behind = [k for k, v in others.items() if v >= ours]
    return (f"**LatentRNN does not beat every baseline on token accuracy** ({ours:.3f}): it beats "
            f"{', '.join(beaten) or 'none of them'}, but not {', '.join(behind)} ({best:.3f} at best). "
            "The goal of beating them all is not met yet.")


def latency_section(bench: dict) -> list[str]:
    """The card's Latency section (heading included) from a ``bridge bench --json`` report."""
    lines = ["## Latency", ""]
    inpaint_bench = {k: v for k, v in bench.items() if k.startswith("inpaint_")}
    if inpaint_bench:
        lines += ["`bridge bench`, one core (`bench/results.json`):", "", "| path | p50 ms | p99 ms |", "|---|---|---|"]
        lines += [f"| {k} | {v['p50']:.2f} | {v['p99']:.2f} |" for k, v in inpaint_bench.items()]
    else:
        lines.append("Not measured yet.")
    return lines


def model_card(entry: dict, runs: Path, data: Path, paths: dict[str, Path]) -> str:
    counts = read_json(data.with_suffix(".json"))
    evaluation = read_json(runs / "evaluation.json")
    histories = {k: read_json(runs / f"{k}_history.json") for k in ("measure_vae", "latent_rnn", "arnn")}
    bench = read_json(BENCH_RESULTS)
    sizes = ", ".join(f"`{p.name}` {p.stat().st_size / 1e6:.2f} MB" for p in paths.values())
    lines = [
        "# Model card: bar-by-bar inpainting (MeasureVAE + LatentRNN)", "",
        "After Pati, Lerch & Hadjeres, \"Learning to Traverse Latent Spaces for Musical Score Inpainting\" (ISMIR 2019),",
        "with latent attribute regularisation after Pati & Lerch (ML4MD 2019). Given the bars before and after a gap,",
        "it fills the gap, one bar of 24 ticks (6 a beat) per latent vector.", "",
        "The MeasureVAE decoder departs from the paper's in two ways, both for inpainting. Each beat starts the tick GRU",
        "from the beat state merged with where the previous beat left it (the paper restarted every beat from the beat",
        "state, so the tokens fed in one beat never reached the next). And the VAE learns to decode half of its training",
        "bars from their latent blended with another bar's (weight up to 0.75), with a quarter of the fed tokens hidden",
        "(the paper hid half): a latent that LatentRNN predicts from context is such a blend, and the decoder learns to",
        "correct it from the tokens already played in the bar. With the paper's decoder, the previous release reached",
        "a token accuracy of 0.757 on the evaluation below, against the ARNN's 0.810 (training commit `4a5c73f`).", "",
        "## Files", "", f"{sizes}; ONNX opset {entry['opset']}; listed in `manifest.json` as `inpaint`.",
        f"Parameters: MeasureVAE {entry['parameters']['measure_vae']:,}, LatentRNN {entry['parameters']['latent_rnn']:,}"
        f" (latent size {entry['latent_size']}; the paper used 512-unit GRUs and a 256-d latent).", "",
        "## Data", "",
        "Melodies in 4/4 and 2/2 from music21's corpus (O'Neill's 1850, Ryan's Mammoth, Aird's Airs) and the Nottingham",
        f"database, MIDI {PITCH_LOW}-{PITCH_HIGH}, on the 24-tick grid; split by tune title into train/valid/test before",
        "transposition (every shift in -6..+5 semitones that stays in range, training split only).", "",
        "```json", json.dumps({k: counts.get(k) for k in ("tunes_kept", "tunes_dropped", "tunes_by_source", "tunes", "bars",
                                                         "train_tunes_after_transposition")}, indent=1), "```", "",
        "Reproduce: `python -m export data folk`.", "",
        "## Training", "",
        "`python -m export train measure_vae --threads 1` and `arnn --threads 1` side by side on a 2-core CPU, then",
        "`latent_rnn --threads 1` (seed 0; one thread each; the seconds below are each run's own, and a resumed run counts only",
        "the seconds since it resumed). For this release a third training run shared the two cores with the first two, so",
        "their seconds are longer than they would be alone, and measure_vae ran 6000 steps, then was resumed to 9000:", "",
        "| model | steps | seconds | best validation NLL | validation accuracy |", "|---|---|---|---|---|",
    ]
    for name, history in histories.items():
        if history.get("history"):
            best = min(history["history"], key=lambda h: h["nll"])
            lines.append(f"| {name} | {history['history'][-1]['step']} | {history['seconds']:.0f} | {best['nll']:.3f} | {best['acc']:.3f} |")
    lines += ["", "## Evaluation", ""]
    if evaluation:
        lines += [f"`python -m export evaluate inpaint -o runs/inpaint/evaluation.json`: {evaluation['windows']} gaps of 2-4 bars",
                  f"with 2-6 bars of context each side ({evaluation['tokens']} tokens), held-out tunes, seed {evaluation['seed']}.", "",
                  markdown_table(evaluation), "",
                  "Token NLL and accuracy are teacher-forced over the gap; generated accuracy compares the greedy inpainting",
                  "with the truth token by token; the overlaps compare pitch-class and onset-position histograms.", "",
                  _finding(evaluation["methods"]), "", *_copy_lines(evaluation.get("copy_by_distance", {})),
                  "Attribute regularisation, Pearson correlation between the regularised dimension and its attribute on",
                  f"{evaluation['attribute_correlation']['bars']} held-out bars (and the best other dimension's |r|):", ""]
        for name in ATTRIBUTES:
            a = evaluation["attribute_correlation"][name]
            lines.append(f"- {name}: dimension {a['dimension']}, r = {a['pearson']:.3f} (best other {a['best_other_dimension_abs']:.3f})")
    else:
        lines.append("Not evaluated yet.")
    lines += ["", "## Parity (ONNX Runtime against PyTorch, 64 held-out bars)", "", "```json",
              json.dumps(entry["parity"], indent=1), "```", "", *latency_section(bench)]
    tradeoff = read_json(runs / "tradeoff.json")
    if tradeoff:
        lines += ["", "## Size trade-off", "",
                  "`python -m export tradeoff inpaint`: 4 bars from 6 + 6 bars of context on one thread through ONNX Runtime,",
                  "and the LatentRNN's scores (same evaluation as above) for the sizes that were trained. `live` ships.", "",
                  "| size | GRU units (VAE / LatentRNN) | latent | parameters | ONNX MB | p50 ms | p99 ms | token accuracy | generated accuracy |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for name, row in tradeoff.items():
            accuracy = f"{row['accuracy']:.3f}" if "accuracy" in row else "not trained"
            generated = f"{row['generated_accuracy']:.3f}" if "generated_accuracy" in row else "-"
            lines.append(f"| {name} | {row['vae']['hidden']} / {row['latent_rnn']['hidden']} | {row['vae']['latent']} | "
                         f"{row['parameters']:,} | {row['onnx_mb']:.1f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
                         f"{accuracy} | {generated} |")
    lines += ["", f"Training commit: `{entry['training_commit']}`.", ""]
    return "\n".join(lines)
