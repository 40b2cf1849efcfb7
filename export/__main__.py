"""``python -m export``: data preparation (and, as models land, training, export and evaluation)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def cmd_data(args: argparse.Namespace) -> int:
    if args.dataset == "demo":
        from export.data.demo_performance import write_demo

        for path in write_demo():
            print(path)
    elif args.dataset == "folk":
        from export.data.folk import build

        path = build(Path(args.out), [Path(d) for d in args.abc], seed=args.seed, workers=args.workers)
        print(path)
        print(path.with_suffix(".json").read_text())
    return 0


# Steps and batch of a full run: together about 35 minutes on a 2-core CPU.
TRAIN_DEFAULTS = {"measure_vae": (6000, 128), "latent_rnn": (4000, 64), "arnn": (1500, 64)}


def cmd_train(args: argparse.Namespace) -> int:
    from export.train_inpaint import TrainConfig, train

    steps, batch = TRAIN_DEFAULTS[args.model]
    config = TrainConfig(data=Path(args.data), out=Path(args.out), steps=args.steps or steps,
                         batch=args.batch or batch, lr=args.lr,
                         seed=args.seed, vae=Path(args.vae) if args.vae else None, threads=args.threads,
                         size=args.size, device=args.device)
    if args.model == "latent_rnn" and config.vae is None:
        config.vae = config.out / "measure_vae.pt"
    print(train(args.model, config))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from export.data.folk import load_splits, load_tune_files
    from export.evaluate_inpaint import evaluate, markdown_table

    tunes = []
    for path in map(Path, args.data):
        if path.suffix == ".npz":
            tunes += load_splits(path)["test"]
        else:
            tunes += [t.tokens for t in load_tune_files([path])[0]]
    report = evaluate(Path(args.runs), tunes, args.windows, args.seed)
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2) if args.json else markdown_table(report))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from export.release_inpaint import release

    for path in release(Path(args.runs), Path(args.data), Path(args.out)):
        print(path)
    return 0


def cmd_tradeoff(args: argparse.Namespace) -> int:
    import json

    from export.tradeoff_inpaint import tradeoff

    table = tradeoff(Path(args.runs))
    Path(args.output).write_text(json.dumps(table, indent=2) + "\n")
    print(json.dumps(table, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m export", description="mir-bridge training side: data, models, evaluation.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data = sub.add_parser("data", help="prepare a data set", description="prepare a data set")
    data.add_argument("dataset", choices=["demo", "folk"],
                      help="demo: the bundled performance of `bridge demo` (FluidSynth render); "
                           "folk: melodies on the bar grid from music21's corpus and ../shared/data/nottingham")
    data.add_argument("--out", default="cache/folk", help="folk: cache directory (default cache/folk)")
    data.add_argument("--abc", nargs="*", default=[], metavar="DIR", help="folk: extra folders of ABC or MIDI files")
    data.add_argument("--seed", type=int, default=0, help="folk: seed of the train/valid/test split")
    data.add_argument("--workers", type=int, default=2, help="folk: parallel parsers")
    data.set_defaults(func=cmd_data)
    training = sub.add_parser("train", help="train a model (seeded, resumable)", description="train a model; "
                              "running it again with the same --out resumes from the checkpoint")
    training.add_argument("model", choices=["measure_vae", "latent_rnn", "arnn"])
    training.add_argument("--data", default="cache/folk/folk.npz", help="from `python -m export data folk`")
    training.add_argument("--out", default="runs/inpaint", help="checkpoints and histories (default runs/inpaint)")
    training.add_argument("--steps", type=int, help="default: measure_vae 6000, latent_rnn 4000, arnn 1500")
    training.add_argument("--batch", type=int, help="default: measure_vae 128, others 64")
    training.add_argument("--lr", type=float, default=1e-3)
    training.add_argument("--seed", type=int, default=0)
    training.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    training.add_argument("--vae", help="latent_rnn: MeasureVAE checkpoint (default OUT/measure_vae.pt)")
    training.add_argument("--size", choices=["small", "live", "paper"], default="live",
                          help="model size (live ships; see the model card for the trade-off)")
    training.add_argument("--device", default="auto", help="auto (CUDA where available), cpu or cuda")
    training.set_defaults(func=cmd_train)
    evaluation = sub.add_parser("evaluate", help="evaluate a model family, print JSON metrics",
                                description="evaluate on held-out data: a folk.npz (its test split) or any ABC/MIDI files or folders")
    evaluation.add_argument("family", choices=["inpaint"])
    evaluation.add_argument("--data", nargs="+", default=["cache/folk/folk.npz"], metavar="PATH")
    evaluation.add_argument("--runs", default="runs/inpaint", help="trained checkpoints (default runs/inpaint)")
    evaluation.add_argument("--windows", type=int, default=400, help="gaps to inpaint (default 400)")
    evaluation.add_argument("--seed", type=int, default=1234)
    evaluation.add_argument("--json", action="store_true", help="print JSON instead of a table")
    evaluation.add_argument("-o", "--output", help="also write the JSON here")
    evaluation.set_defaults(func=cmd_evaluate)
    exporting = sub.add_parser("export", help="export trained models to ONNX with a parity check and a model card",
                               description="export to ONNX (opset 17), check parity against PyTorch on held-out bars, "
                                           "update models_onnx/manifest.json and the model card")
    exporting.add_argument("family", choices=["inpaint"])
    exporting.add_argument("--runs", default="runs/inpaint")
    exporting.add_argument("--data", default="cache/folk/folk.npz")
    exporting.add_argument("--out", default="models_onnx")
    exporting.set_defaults(func=cmd_export)
    trade = sub.add_parser("tradeoff", help="model size against latency and accuracy",
                           description="export every size preset to ONNX, time it on one thread, and collect the "
                                       "accuracy of the sizes that were trained and evaluated")
    trade.add_argument("family", choices=["inpaint"])
    trade.add_argument("--runs", default="runs", help="folder holding inpaint/ and inpaint-<size>/ runs")
    trade.add_argument("-o", "--output", default="runs/inpaint/tradeoff.json")
    trade.set_defaults(func=cmd_tradeoff)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
