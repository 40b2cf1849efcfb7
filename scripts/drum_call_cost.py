"""What one live drum frame costs the network: onnxruntime calls of one log-mel frame each, as the analysis
thread makes them live, on one thread, for each drum model given (``DIR:NAME``, a models folder and a drum model
of its manifest). Median and least of several passes, in ms a call; the models take turns.

    .venv/bin/python scripts/drum_call_cost.py models_onnx:drums models_onnx:drums_lookahead
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bridge.engines.drums import DrumModel


def call_cost_ms(models: dict[str, DrumModel], calls: int, passes: int) -> dict[str, dict[str, float]]:
    """Per model, the median and least thread CPU time of one call over ``passes`` passes of ``calls`` calls."""
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(passes):
        for name, model in models.items():
            frame = np.random.default_rng(0).random((1, model.spec.n_mels), np.float32)
            started = time.thread_time()
            for _ in range(calls):
                model(frame)
            times[name].append(1000 * (time.thread_time() - started) / calls)
    return {name: {"median_ms": round(float(np.median(t)), 3), "min_ms": round(min(t), 3)} for name, t in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", metavar="DIR:NAME", help="a models folder and a drum model in it")
    parser.add_argument("--calls", type=int, default=1000, help="calls a pass (default 1000)")
    parser.add_argument("--passes", type=int, default=5, help="passes per model (default 5)")
    args = parser.parse_args()
    models = {spec: DrumModel(Path(spec.rsplit(":", 1)[0]), "cpu", spec.rsplit(":", 1)[1]) for spec in args.models}
    for name, cost in call_cost_ms(models, args.calls, args.passes).items():
        print(f"{name}: {cost['median_ms']} ms a call (median), least {cost['min_ms']} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
