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


def cmd_train(args: argparse.Namespace) -> int:
    from export.train_inpaint import TrainConfig, train

    config = TrainConfig(data=Path(args.data), out=Path(args.out), steps=args.steps, batch=args.batch, lr=args.lr,
                         seed=args.seed, vae=Path(args.vae) if args.vae else None, threads=args.threads)
    if args.model == "latent_rnn" and config.vae is None:
        config.vae = config.out / "measure_vae.pt"
    print(train(args.model, config))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m export", description="mir-bridge training side: data, models, evaluation.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data = sub.add_parser("data", help="prepare a data set", description="prepare a data set")
    data.add_argument("dataset", choices=["demo", "folk"],
                      help="demo: the bundled performance of `bridge demo` (FluidSynth render); "
                           "folk: melodies on the bar grid from music21's corpus and ../shared/data/nottingham")
    data.add_argument("--out", default="cache/folk", help="folk: cache directory (default cache/folk)")
    data.add_argument("--abc", nargs="*", default=[], metavar="DIR", help="folk: extra folders of ABC files")
    data.add_argument("--seed", type=int, default=0, help="folk: seed of the train/valid/test split")
    data.add_argument("--workers", type=int, default=2, help="folk: parallel parsers")
    data.set_defaults(func=cmd_data)
    training = sub.add_parser("train", help="train a model (seeded, resumable)", description="train a model; "
                              "running it again with the same --out resumes from the checkpoint")
    training.add_argument("model", choices=["measure_vae", "latent_rnn", "arnn"])
    training.add_argument("--data", default="cache/folk/folk.npz", help="from `python -m export data folk`")
    training.add_argument("--out", default="runs/inpaint", help="checkpoints and histories (default runs/inpaint)")
    training.add_argument("--steps", type=int, default=4000)
    training.add_argument("--batch", type=int, default=64)
    training.add_argument("--lr", type=float, default=1e-3)
    training.add_argument("--seed", type=int, default=0)
    training.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    training.add_argument("--vae", help="latent_rnn: MeasureVAE checkpoint (default OUT/measure_vae.pt)")
    training.set_defaults(func=cmd_train)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
