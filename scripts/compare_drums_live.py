"""The drum models side by side over JACK: the bench's drum measurement, run several times per model, taking turns.

Each run is ``bridge bench``'s ``drums_onset_to_midi``: the bundled held-out clip played into a daemon over a
private JACK dummy server (48 kHz, periods of 128 frames or ``--period``), each kick, snare and hi-hat timed to
its drum note on MIDI out. One run of one model moves by several points with where the strokes fall within the
analysis hop and with the machine's load, so models are compared over several runs, taken in turns. Each MODEL is
``DIR:NAME``, a models folder and a drum model of its manifest; the figures per run are printed and written as
JSON.

    .venv/bin/python scripts/compare_drums_live.py models_onnx:drums models_onnx:drums_lookahead --runs 4
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bridge.bench import (BENCH_PERIOD_FRAMES, BENCH_SAMPLE_RATE_HZ, cpu_times, drums_onset_to_midi, models_section,
                          steal_share)
from bridge.io.jack_server import DummyJackServer

FIGURES = ("within_50ms", "p50", "p99", "max", "drums_engine_core_share")


def compare(models: list[tuple[Path, str]], runs: int, period_frames: int = BENCH_PERIOD_FRAMES) -> dict[str, list[dict]]:
    """Per model (``DIR:NAME``), the figures of each of ``runs`` runs over JACK periods of ``period_frames``, with the
    host's share of the CPU."""
    results: dict[str, list[dict]] = {f"{d}:{name}": [] for d, name in models}
    with DummyJackServer(BENCH_SAMPLE_RATE_HZ, period_frames):
        for run in range(runs):
            for directory, name in models:
                with tempfile.TemporaryDirectory() as workdir:
                    before = cpu_times()
                    figures = drums_onset_to_midi(Path(workdir), models_section(directory.resolve(), name))
                    row = {k: figures.get(k) for k in FIGURES} | {"cpu_steal_share": steal_share(before, cpu_times())}
                results[f"{directory}:{name}"].append(row)
                print(f"{directory}:{name} run {run + 1}: {row}", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", metavar="DIR:NAME", help="a models folder and a drum model in it")
    parser.add_argument("--runs", type=int, default=4, help="runs per model (default 4)")
    parser.add_argument("--period", type=int, default=BENCH_PERIOD_FRAMES, metavar="FRAMES",
                        help=f"JACK period at 48 kHz (default {BENCH_PERIOD_FRAMES})")
    parser.add_argument("-o", "--output", default="runs/compare_drums_live.json", help="the JSON written")
    args = parser.parse_args()
    models = [(Path(spec.rsplit(":", 1)[0]), spec.rsplit(":", 1)[1]) for spec in args.models]
    results = compare(models, args.runs, args.period)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=1) + "\n")
    for model, rows in results.items():
        spans = {k: (min(r[k] for r in rows), max(r[k] for r in rows)) for k in FIGURES}
        print(model, " ".join(f"{k} {low}-{high}" for k, (low, high) in spans.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
