"""The instrument model card, written from the files the commands wrote.

Sources: ``cache/instruments/instruments.json`` (data), ``runs/instruments/*_history.json``
(training), ``runs/instruments/evaluation.json`` (``python -m export evaluate instruments -o ...
--figures models_onnx``), ``bench/results.json`` (``bridge bench -o ...``) and the manifest entry.
"""

from __future__ import annotations

from pathlib import Path

from export.evaluate_instruments import markdown_tables
from export.provenance import parity_and_commit, read_json

BENCH_RESULTS = Path(__file__).parents[1] / "bench" / "results.json"


def model_card(entry: dict, runs: Path, data: Path) -> str:
    counts = read_json(data / "instruments.json")
    evaluation = read_json(runs / "evaluation.json")
    bench = read_json(BENCH_RESULTS)
    f = entry["features"]
    lines = [
        "# Model card: instrument activity and clip tagging", "",
        "Which instruments play in the incoming audio, second by second (after Gururani, Summers & Lerch, \"Instrument",
        "Activity Detection in Polyphonic Music using Deep Neural Networks\", ISMIR 2018), and which play in the last ten",
        "seconds, by attention-weighted multiple-instance pooling over ten 1-s instances (after Gururani, Sharma & Lerch,",
        "\"An Attention Mechanism for Musical Instrument Recognition\", ISMIR 2019). The 2019 paper pooled VGGish",
        "embeddings; here the activity CNN's own 128-d embedding stands in.", "",
        "## Files and contract", "",
        f"`{entry['files']['activity']}` ({entry['parameters']['activity']:,} parameters): one second of log-mel frames "
        f"({f['sample_rate_hz']} Hz, FFT {f['n_fft']}, hop {f['hop']} = {1000 * f['hop'] / f['sample_rate_hz']:.0f} ms, "
        f"{f['n_mels']} mels; shape (B, {entry['frames_per_window']}, {f['n_mels']})) to per-class logits and a 128-d embedding.",
        f"`{entry['files']['attention']}` ({entry['parameters']['attention']:,} parameters): N <= 10 embeddings to clip logits "
        "and attention weights per class. Classes, in the order of `/instrument/activity`:", "",
        ", ".join(f"`{c}`" for c in entry["classes"]) + ".", "",
        "## Data", "",
        "`python -m export data instruments`: songs from the folk tunes (melody, bass line and chords guessed from the",
        "melody) at random tempi; every class renders its part as a stem of its own with a random GM program of the class",
        "(vibrato for bowed, blown and sung classes), the drum set from the sampled kits of the drum data. A mix takes 1-6",
        "stems of one song at random levels, lets some rest for a stretch, adds amp-style distortion to distorted",
        "guitars, random EQ and the recording chain (mic bleed, compression, saturation, reverb, level changes, noise).",
        "A class is active in a second when its stem is within 30 dB of its loudest second and above -60 dBFS.",
        "Split by tune (the folk split) and by soundfont: training and validation stems come from FluidR3 GM and",
        "TimGM6mb, the test stems from MuseScore General and the held-out drum kit.", "",
    ]
    if counts:
        lines += ["| split | songs | mixes | seconds each |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['songs']} | {v['mixes']} | {v['seconds']} |" for k, v in counts["splits"].items()]
        lines += ["", "Active seconds per class (train): " + ", ".join(
            f"{k} {v}" for k, v in counts["splits"]["train"]["active_seconds"].items()) + ".", ""]
    lines += ["## Training", ""]
    for kind in ("fc", "cnn", "crnn"):
        history = read_json(runs / f"activity_{kind}_history.json")
        if history:
            best = min(history, key=lambda h: h["valid_loss"])
            lines.append(f"- `python -m export train instruments_{kind}`: {history[-1]['step']} steps, "
                         f"{history[-1]['elapsed_s'] / 60:.1f} minutes on 2 CPU cores, best validation loss {best['valid_loss']:.4f}.")
    lines += ["- `python -m export train instruments_mil`: attention, mean, max and GRU pooling heads and a random forest",
              "  (on the mean embedding) on 10-s training clips, the CNN frozen.", "", "## Evaluation", ""]
    if evaluation:
        lines += [f"`python -m export evaluate instruments -o runs/instruments/evaluation.json --figures models_onnx`:",
                  f"{evaluation['tracks']} held-out test mixes ({evaluation['seconds']} seconds; unseen tunes, soundfont and",
                  "drum kit). Activity: LRAP and macro ROC AUC per 1-s instance and after max pooling over 5 s, 10 s and the",
                  "whole track. Tagging: 10-s clips, threshold 0.5.", "", markdown_tables(evaluation), "",
                  "![confusion](instruments_confusion.png)", "",
                  "Given a false positive of a class (row), how often each class (column) was missed in the same second.", "",
                  "![attention](instruments_attention.png)", "",
                  "Attention weights of the shipped head over the ten seconds of a few test clips, per class present.", ""]
    else:
        lines += ["Not evaluated yet.", ""]
    lines += ["**Limits.** Every figure is on rendered audio; no annotated real multitrack recordings are available to",
              "this project, so the goal of a mean AUC of 0.90 on real recordings is not measured. The musicnn peer was",
              "not run.", "", "## Latency", ""]
    if "instruments_updates_per_s" in bench:
        lines += [f"`bridge bench`: {bench['instruments_updates_per_s']} updates a second, "
                  f"{100 * bench['instruments_core_share']:.1f}% of one core (budget 5%).", ""]
    else:
        lines += ["Not measured yet.", ""]
    return "\n".join(lines + parity_and_commit(entry))
