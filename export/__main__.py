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

        path = build(Path(args.out or "cache/folk"), [Path(d) for d in args.abc], seed=args.seed, workers=args.workers)
        print(path)
        print(path.with_suffix(".json").read_text())
    elif args.dataset == "recorded-drums":
        from export.data.recorded_drums import build as build_recorded

        try:
            path = build_recorded(Path(args.out or "cache/drums-recorded"))
        except FileNotFoundError as exc:
            raise SystemExit(f"data recorded-drums: {exc}") from None
        print(path.read_text())
    elif args.dataset == "recorded-instruments":
        from export.evaluate_recorded_instruments import write_tracks

        try:
            folders = write_tracks(Path(args.out or "cache/instruments-recorded"))
        except FileNotFoundError as exc:
            raise SystemExit(f"data recorded-instruments: {exc}") from None
        print("\n".join(map(str, folders)))
    elif args.dataset in ("instruments-real-piano", "instruments-recorded-samples"):
        from export.data.recorded_stems import RECORDED_PIANO, RECORDED_SAMPLES, build as build_recorded_stems

        instruments = RECORDED_PIANO if args.dataset == "instruments-real-piano" else RECORDED_SAMPLES
        splits = args.only or ["test"]
        if set(splits) - {"test", "valid"}:
            raise SystemExit(f"data {args.dataset}: --only takes test and valid, not {' '.join(splits)}")
        try:
            path = build_recorded_stems(Path(args.data or "cache/instruments"), Path(args.out or f"cache/{args.dataset}"),
                                        instruments, workers=args.workers, splits=splits)
        except (FileNotFoundError, ValueError) as exc:
            raise SystemExit(f"data {args.dataset}: {exc}") from None
        print(path.read_text())
    elif args.dataset == "instruments-lmms-samples":
        from export.data.lmms_training import build as build_lmms_training

        try:
            path = build_lmms_training(Path(args.data or "cache/instruments"), Path(args.out or f"cache/{args.dataset}"),
                                       workers=args.workers)
        except (FileNotFoundError, ValueError) as exc:
            raise SystemExit(f"data {args.dataset}: {exc}") from None
        print(path.read_text())
    elif args.dataset == "drums" and args.bundle:
        from export.data.drums import bundle_excerpt

        print(bundle_excerpt(Path(args.bundle), Path(__file__).parents[1] / "bridge" / "data" / "drums_heldout.wav"))
    elif args.dataset == "instruments" and args.bundle:
        from export.data.multitrack import bundle_trio

        print(bundle_trio(Path(args.bundle), Path(__file__).parents[1] / "bridge" / "data" / "instruments_trio.wav"))
    elif args.dataset == "instruments":
        from export.data.multitrack import PartStyle, build as build_instruments

        dropouts = {} if args.dropouts is None else {"dropout_share": args.dropouts}
        try:
            path = build_instruments(Path(args.out or "cache/instruments"), scale=args.scale, workers=args.workers,
                                     seed=args.seed, audio=args.audio, csound_bank=args.csound_bank,
                                     freepats=args.freepats, modelled_share=args.modelled,
                                     timbre_shift=args.timbre_shift,
                                     style=PartStyle(not args.plain_parts, args.low_piano, args.articulation),
                                     dark_share=args.dark,
                                     fluidr3_timidity=args.fluidr3_timidity, **dropouts)
        except ValueError as exc:  # stems of another variant in the folder: say which, no traceback
            raise SystemExit(f"data instruments: {exc}") from None
        print(path.read_text())
    elif args.dataset == "drums":
        from export.data.drums import build

        try:
            path = build(Path(args.out or "cache/drums"), scale=args.scale, workers=args.workers, seed=args.seed,
                         csound_kits=args.csound_kits, mixed_kits=args.mixed_kits, hop=args.hop, only=tuple(args.only),
                         without_kits=tuple(args.without_kits), synth_kits=args.synth_kits,
                         align_attacks=args.align_attacks, class_tuning=args.class_tuning,
                         snare_buzz=args.snare_buzz, snare_buzz_tests=args.snare_buzz_tests,
                         lmms_kits=args.lmms_kits)
        except ValueError as exc:  # a split, kit or build that does not fit: say which, no traceback
            raise SystemExit(f"data drums: {exc}") from None
        print(path.read_text())
    return 0


DRUM_MODELS = ("pfnmf", "drums", "drums_student")
INSTRUMENT_MODELS = ("instruments_fc", "instruments_cnn", "instruments_crnn", "instruments_mil", "instruments_musicnn",
                     "instruments_mil_musicnn")
DRUM_TEST_SETS = tuple(f"cache/drums/{name}" for name in (
    "test_alone", "test_mix", "test_unseen_kit", "test_unseen_kit_mix", "test_more_kits", "test_more_kits_mix",
    "test_sonic_pi_kit", "test_sonic_pi_kit_mix"))

# Steps and batch of a full run: together about 35 minutes on a 2-core CPU.
TRAIN_DEFAULTS = {"measure_vae": (9000, 128), "latent_rnn": (4000, 64), "arnn": (1500, 64)}


def cmd_train_drums(args: argparse.Namespace) -> int:
    data, out = Path(args.data or "cache/drums"), Path(args.out or "runs/drums")
    if args.model == "pfnmf":
        from export.pfnmf import fit

        path = fit(data, out)
    else:
        from bridge.cli import parse_class_values
        from export.train_drums import DrumTrainConfig, class_look_aheads, train

        try:
            look_ahead, class_look_ahead = parse_class_values(args.look_ahead, "--look-ahead", "1.25 or snare=1.75")
            class_look_aheads(look_ahead or 0.0, class_look_ahead)  # refused before the data loads
        except ValueError as exc:
            raise SystemExit(f"train drums: {exc}") from None
        config = DrumTrainConfig(data=data, out=out, steps=args.steps or 3000, batch=args.batch or 24,
                                 lr=args.lr if args.lr != 1e-3 else 2e-3, seed=args.seed, threads=args.threads,
                                 student=args.model == "drums_student", templates=out / "pfnmf.npz",
                                 width=args.width, hidden=args.hidden, recurrent=args.recurrent, augment=args.augment,
                                 augment_shift_bands=args.augment_shift_bands, look_ahead=look_ahead or 0.0,
                                 class_look_ahead=class_look_ahead, target_frames=args.target_frames,
                                 teachers=tuple(Path(folder) for folder in args.teachers),
                                 teach_off_onsets=args.teach_off_onsets)
        path = train(config)
    print(path)
    return 0


def cmd_train_instruments(args: argparse.Namespace) -> int:
    from export.train_instruments import InstrumentTrainConfig, train_activity, train_pooling

    config = InstrumentTrainConfig(data=Path(args.data or "cache/instruments"), out=Path(args.out or "runs/instruments"),
                                   steps=args.steps or 3000, batch=args.batch or 64, lr=args.lr, seed=args.seed,
                                   threads=args.threads, init=Path(args.init) if args.init else None,
                                   width=args.width, augment=args.augment, augment_shift_bands=args.augment_shift_bands)
    kind = args.model.removeprefix("instruments_")
    if kind.startswith("mil"):
        print(train_pooling(config, "musicnn" if kind == "mil_musicnn" else "cnn"))
        return 0
    try:
        print(train_activity(kind, config))
    except ValueError as exc:  # --init of another kind, --augment of the musicnn head
        raise SystemExit(f"train {args.model}: {exc}") from None
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    if args.model in DRUM_MODELS:
        return cmd_train_drums(args)
    if args.model in INSTRUMENT_MODELS:
        return cmd_train_instruments(args)
    from export.train_inpaint import TrainConfig, train

    steps, batch = TRAIN_DEFAULTS[args.model]
    config = TrainConfig(data=Path(args.data or "cache/folk/folk.npz"), out=Path(args.out or "runs/inpaint"), steps=args.steps or steps,
                         batch=args.batch or batch, lr=args.lr,
                         seed=args.seed, vae=Path(args.vae) if args.vae else None, threads=args.threads,
                         size=args.size, device=args.device)
    if args.model == "latent_rnn" and config.vae is None:
        config.vae = config.out / "measure_vae.pt"
    print(train(args.model, config))
    return 0


def emit_report(args: argparse.Namespace, report: dict, table: str) -> int:
    """Write an evaluation ``report`` to ``-o`` where given, and print it: as JSON with ``--json``, else ``table``."""
    import json

    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2) if args.json else table)
    return 0


def cmd_evaluate_drums(args: argparse.Namespace) -> int:
    from export.drum_transcribers import transcribers
    from export.evaluate_drums import evaluate, markdown_kit_table, markdown_table, markdown_velocity_table

    from bridge.cli import parse_class_values

    folders = [Path(p) for p in (args.data if args.data != ["cache/folk/folk.npz"] else DRUM_TEST_SETS)]
    try:
        threshold, class_thresholds = parse_class_values(args.threshold)
        methods = transcribers(Path(args.runs or "runs/drums"), args.methods, threshold, class_thresholds)
    except ValueError as exc:
        raise SystemExit(f"evaluate drums: {exc}") from None
    report = evaluate(folders, methods)
    tables = [markdown_table(report), markdown_kit_table(report), markdown_velocity_table(report)]
    emit_report(args, report, "\n".join(table for table in tables if table))
    if args.figures:
        from export.figures_drums import FALSE_ONSETS_FIGURE_NAME, FIGURE_NAME, f_measure_figure, false_onset_figure

        print(f_measure_figure(report, Path(args.figures) / FIGURE_NAME), file=sys.stderr)
        print(false_onset_figure(report, Path(args.figures) / FALSE_ONSETS_FIGURE_NAME), file=sys.stderr)
    return 0


def cmd_evaluate_instruments(args: argparse.Namespace) -> int:
    from export.evaluate_instruments import evaluate, markdown_tables

    folders = [Path(p) for p in (args.data if args.data != ["cache/folk/folk.npz"] else ["cache/instruments/test"])]
    trio_stems = folders[0].parent / "stems_test.npz"  # a test folder of a `data instruments` build: its trios too
    report = evaluate(folders, Path(args.runs or "runs/instruments"), Path(args.figures) if args.figures else None,
                      args.dropouts_per_s, trio_stems if trio_stems.exists() else None)
    return emit_report(args, report, markdown_tables(report))


def cmd_evaluate_recorded_instruments(args: argparse.Namespace) -> int:
    from export.evaluate_recorded_instruments import evaluate, markdown_table

    out = Path(args.data[0] if args.data != ["cache/folk/folk.npz"] else "cache/instruments-recorded")
    try:
        report = evaluate(out, Path(args.runs or "runs/instruments"))
    except FileNotFoundError as exc:
        raise SystemExit(f"evaluate recorded-instruments: {exc}") from None
    return emit_report(args, report, markdown_table(report))


def graph_or_run(args: argparse.Namespace):
    """The probabilities of a run folder's activity CNN with ``--runs``, else None (the shipped graph)."""
    if not args.runs:
        return None
    from export.evaluate_instruments import checkpoint_probabilities
    from export.train_instruments import load_activity

    return checkpoint_probabilities(load_activity(Path(args.runs) / "activity_cnn.pt"))


def cmd_evaluate_piano_registers(args: argparse.Namespace) -> int:
    from export.register_check import evaluate, markdown_table

    try:
        report = evaluate(graph_or_run(args))
    except (FileNotFoundError, RuntimeError) as exc:
        raise SystemExit(f"evaluate piano-registers: {exc}") from None
    return emit_report(args, report, markdown_table(report))


def cmd_evaluate_instrument_solos(args: argparse.Namespace) -> int:
    from export.solo_check import STEM_SETS, evaluate, markdown_table

    stem_sets = STEM_SETS if args.data == ["cache/folk/folk.npz"] else tuple(Path(p) for p in args.data)
    try:
        report = evaluate(stem_sets, graph_or_run(args))
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f"evaluate instrument-solos: {exc}") from None
    return emit_report(args, report, markdown_table(report))


def cmd_evaluate_soundfont_samples(args: argparse.Namespace) -> int:
    from export.data.lmms_training import lmms_recordings
    from export.data.multitrack import FREEPATS, SOUNDFONTS
    from export.data.recorded_stems import RECORDED_SAMPLES
    from export.gus_patches import PatchBank
    from export.soundfont_samples import (COMPARED_RATE_HZ, decoded, recorded_table, recordings_shared, report_table,
                                          sample_files, shared_recordings, soundfont_presets)

    fonts = [Path(p) for p in args.data] if args.data != ["cache/folk/folk.npz"] else [*SOUNDFONTS["test"], *SOUNDFONTS["train"]]
    if len(fonts) < 2:
        raise SystemExit("evaluate soundfont-samples: --data needs the held-out soundfont and at least one training soundfont")
    try:
        classes = shared_recordings(fonts[0], fonts[1:])
    except (OSError, ValueError) as exc:
        raise SystemExit(f"evaluate soundfont-samples: {exc}") from None
    report = {"test": fonts[0].name, "training": [f.name for f in fonts[1:]], "classes": classes}
    tables = [report_table(fonts[0], classes)]
    presets = [soundfont_presets(f) for f in fonts]  # the tables shared_recordings read
    folders = {name: sorted({folder for choice in choices for folder in choice}) for name, choices in RECORDED_SAMPLES.items()}
    if all(folder.is_dir() for group in folders.values() for folder in group):  # the train extras' npm samples
        recorded = {name: decoded(sample_files(group)) for name, group in folders.items()}
        report["recorded"] = recordings_shared(recorded, presets[1:])
        tables += ["", "The recorded instruments of `data instruments-recorded-samples`:", "",
                   recorded_table(report["recorded"])]
        others = []  # other training recordings, against every soundfont and the recorded test instruments
        try:
            others.append(("lmms", "LMMS's recordings of `data instruments-lmms-samples`",
                           {name: decoded(list(files)) for name, files in lmms_recordings().items()}))
        except FileNotFoundError:  # lmms-common is not installed: no LMMS table
            pass
        if FREEPATS.exists():
            others.append(("freepats", "freepats' patches of `data instruments --freepats` (TiMidity++'s bank 0)",
                           PatchBank(FREEPATS).clips_by_class(COMPARED_RATE_HZ)))
        for key, title, clips in others:
            report[key] = recordings_shared(clips, presets, recorded)
            tables += ["", f"{title}, against every soundfont and the recorded test instruments:", "",
                       recorded_table(report[key])]
    return emit_report(args, report, "\n".join(tables))


def cmd_evaluate_kit_samples(args: argparse.Namespace) -> int:
    from export.data.drums import SAMPLE_RATE_HZ
    from export.kit_samples import held_out_report, report_table

    build = Path(args.data[0] if args.data != ["cache/folk/folk.npz"] else "cache/drums")
    report = held_out_report(build, SAMPLE_RATE_HZ)
    if not report:
        raise SystemExit(f"evaluate kit-samples: no held-out kit in {build / 'kits'} or on this machine")
    return emit_report(args, report, report_table(report))


def cmd_evaluate(args: argparse.Namespace) -> int:
    evaluators = {"soundfont-samples": cmd_evaluate_soundfont_samples, "kit-samples": cmd_evaluate_kit_samples,
                  "piano-registers": cmd_evaluate_piano_registers, "instrument-solos": cmd_evaluate_instrument_solos,
                  "drums": cmd_evaluate_drums, "instruments": cmd_evaluate_instruments,
                  "recorded-instruments": cmd_evaluate_recorded_instruments}
    if args.family in evaluators:
        return evaluators[args.family](args)

    from export.data.folk import load_splits, load_tune_files
    from export.evaluate_inpaint import evaluate, markdown_table

    tunes = []
    for path in map(Path, args.data):
        if path.suffix == ".npz":
            tunes += load_splits(path)["test"]
        else:
            tunes += [t.tokens for t in load_tune_files([path])[0]]
    report = evaluate(Path(args.runs or "runs/inpaint"), tunes, args.windows, args.seed)
    return emit_report(args, report, markdown_table(report))


def cmd_export(args: argparse.Namespace) -> int:
    Path(args.out).mkdir(parents=True, exist_ok=True)
    if args.family == "instruments":
        from export.card_instruments import THRESHOLDS_REPORT
        from export.release_instruments import release as release_instruments

        runs, data = Path(args.runs or "runs/instruments"), Path(args.data or "cache/instruments")
        paths = release_instruments(runs, data, Path(args.out), tuple(Path(p) for p in args.ensemble))
        write_thresholds(Path(args.out), data, [data / "test"], runs / THRESHOLDS_REPORT)
        paths.append(write_card(args))
        print("\n".join(map(str, paths)))
        return 0
    if args.family == "drums":
        import json

        from export.release_drums import release as release_drums

        runs = Path(args.runs or "runs/drums")
        try:
            paths, tuning = release_drums(runs, Path(args.data or "cache/drums"), Path(args.out), args.checkpoint,
                                          args.name, tuple(Path(p) for p in args.ensemble), args.phases)
        except ValueError as exc:
            raise SystemExit(f"export drums: {exc}") from None
        (Path(args.out) / f"{args.name}_tuning.json").write_text(json.dumps(tuning, indent=2) + "\n")  # beside its model
        if args.out == "models_onnx" and args.name == "drums":  # the card is about the live default
            # At several phases --data holds the tuning renders alone; the card tells of the training build.
            paths.append(write_card(argparse.Namespace(**vars(args) | {"data": None}) if args.phases > 1 else args))
        print("\n".join(map(str, paths)))
        print(json.dumps(tuning, indent=2))
        return 0
    from export.release_inpaint import release

    for path in release(Path(args.runs or "runs/inpaint"), Path(args.data or "cache/folk/folk.npz"), Path(args.out)):
        print(path)
    return 0


def write_thresholds(models: Path, data: Path, test_folders: list[Path], report_path: Path) -> dict:
    """Tune the instrument thresholds into ``models``' manifest; the report goes to ``report_path``."""
    import json

    from export.thresholds_instruments import tune

    report = tune(models, data, test_folders)
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def cmd_tune(args: argparse.Namespace) -> int:
    import json

    from export.card_instruments import THRESHOLDS_REPORT

    data = Path(args.data)
    tests = [Path(t) for t in args.test] if args.test else [data / "test"]
    report = write_thresholds(Path(args.out), data, tests, Path(args.output or f"runs/instruments/{THRESHOLDS_REPORT}"))
    print(json.dumps({k: report[k] for k in ("thresholds", "valid_f1", "test_f1") if k in report}, indent=2))
    return 0


def write_card(args: argparse.Namespace, only: str | None = None) -> Path:
    """``models_onnx/<family>_card.md`` from the files the commands wrote; ``only``: that section alone
    (``latency``: from ``bench/results*.json``, always for inpainting, whose card ``export inpaint`` writes;
    ``history``: the hand-written history, as written; ``recorded-instruments``: the instrument card's section on
    ``data instruments-recorded-samples``; ``kit-samples``: the drum card's section on the recordings the
    held-out kits share; ``velocities``: the drum card's section on the notes' velocities)."""
    from bridge.models import load_manifest_entry
    from export.provenance import replace_section

    out = Path(args.out)
    card = out / f"{args.family}_card.md"
    runs, data = Path(args.runs or f"runs/{args.family}"), Path(args.data or f"cache/{args.family}")
    lookahead = None
    if args.family == "drums":
        try:
            lookahead = load_manifest_entry("drums_lookahead", out)
        except KeyError:
            pass
    if only == "latency" or args.family == "inpaint":
        return replace_section(card, latency_section(args.family, lookahead is not None))
    if only == "history":
        from export.provenance import replace_history

        return replace_history(card, Path(__file__).with_name(f"card_{args.family}_history.md"))
    if only == "kit-samples":
        from export.card_drums import KIT_SAMPLES_REPORT, kit_samples_section
        from export.provenance import read_json

        section = kit_samples_section(read_json(runs / KIT_SAMPLES_REPORT))
        if not section:
            raise SystemExit(f"card drums --only kit-samples: no {runs / KIT_SAMPLES_REPORT}; run evaluate kit-samples -o it")
        return replace_section(card, section, before="## Training")
    if only == "velocities":
        from export.card_drums import VELOCITY_REPORT, velocities_section
        from export.provenance import read_json

        section = velocities_section(read_json(runs / VELOCITY_REPORT), runs / VELOCITY_REPORT)
        if not section:
            raise SystemExit(f"card drums --only velocities: no {runs / VELOCITY_REPORT}; run evaluate drums "
                             "--methods model lookahead -o it")
        return replace_section(card, section, before="## The look-ahead model")
    if only == "recorded-instruments":
        from export.card_instruments import recorded_samples_lines

        return replace_section(card, recorded_samples_lines(runs, data), before="## How the shipped graph was chosen")
    sources = (load_manifest_entry(args.family, out), runs, data)
    if args.family == "drums":
        from export.card_drums import model_card

        card.write_text(model_card(*sources, lookahead))
    else:
        from export.card_instruments import VARIANTS_RECORD, model_card

        card.write_text(model_card(*sources, out / VARIANTS_RECORD))
    return card


def latency_section(family: str, with_lookahead: bool) -> list[str]:
    """The Latency section of ``family``'s card from the bench reports (``with_lookahead``: drums_lookahead's too)."""
    from export.provenance import BENCH_RESULTS, read_json

    if family == "drums":
        from export.card_drums import bench_reports
        from export.card_drums import latency_section as drums_latency

        return drums_latency(*bench_reports(with_lookahead))
    bench = read_json(BENCH_RESULTS)
    if family == "instruments":
        from export.card_instruments import latency_section as instruments_latency

        return instruments_latency(bench)
    from export.release_inpaint import latency_section as inpaint_latency

    return inpaint_latency(bench)


def cmd_card(args: argparse.Namespace) -> int:
    print(write_card(args, args.only))
    return 0


def cmd_tradeoff(args: argparse.Namespace) -> int:
    import json

    from export.tradeoff_inpaint import tradeoff

    table = tradeoff(Path(args.runs))
    Path(args.output).write_text(json.dumps(table, indent=2) + "\n")
    print(json.dumps(table, indent=2))
    return 0


def share(text: str) -> float:
    """A command-line share: a number from 0 to 1."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a share is a number from 0 to 1, got {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m export", description="mir-bridge training side: data, models, evaluation.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    data = sub.add_parser("data", help="prepare a data set", description="prepare a data set")
    data.add_argument("dataset", choices=["demo", "folk", "drums", "recorded-drums", "instruments", "recorded-instruments",
                                            "instruments-real-piano", "instruments-recorded-samples",
                                            "instruments-lmms-samples"],
                      help="demo: the bundled performance of `bridge demo` (FluidSynth render); "
                           "folk: melodies on the bar grid from music21's corpus and ../shared/data/nottingham; "
                           "drums: rendered drum performances with onset labels (needs folk for the accompaniment); "
                           "recorded-drums: the Amen break from Debian's sonic-pi-samples, annotated from its notation, "
                           "alone and under recorded guitar and piano; "
                           "recorded-instruments: sonic-pi-samples' recordings of drums, guitar, piano and choir, alone "
                           "and mixed, as WAV files for the musicnn peer (evaluate recorded-instruments scores them); "
                           "instruments: multitrack mixes with per-second activity (needs folk and drums); "
                           "instruments-real-piano: the test mixes of the build in --data again, the piano played by the "
                           "Salamander Grand Piano's recorded samples; instruments-recorded-samples: the same, with every "
                           "class a recorded instrument can play (12 of 17) played by one (the npm packages that "
                           "scripts/install.sh installs with the train extras); instruments-lmms-samples: the training "
                           "mixes of the build in --data again, a third of the songs' electric bass, piano, organ, "
                           "strings, trumpet and flute played by LMMS's one-note recordings (Debian lmms-common; an "
                           "experiment the instrument card reports)")
    data.add_argument("--out", help="cache directory (default cache/<dataset>; cache/drums-recorded and "
                                          "cache/instruments-recorded for the recorded sets)")
    data.add_argument("--data", metavar="DIR", help="instruments-real-piano, instruments-recorded-samples, instruments-lmms-samples: "
                                                     "the build of `data instruments` whose test (or training) mixes to "
                                                     "make again (default cache/instruments)")
    data.add_argument("--scale", type=float, default=1.0, help="drums: multiply every track count (e.g. 0.01 for a smoke test); "
                           "instruments: the songs and mixes of training and validation (the test set grows no larger)")
    data.add_argument("--abc", nargs="*", default=[], metavar="DIR", help="folk: extra folders of ABC or MIDI files")
    data.add_argument("--seed", type=int, default=0, help="seed of the split (folk) or of the renders (drums)")
    data.add_argument("--bundle", metavar="PATH", help="instead of building: drums: cut the first 12 s of this held-out "
                                                        "render (WAV) into bridge/data/drums_heldout.wav; instruments: mix "
                                                        "piano, bass and drums of the first song of this stems_test.npz into "
                                                        "bridge/data/instruments_trio.wav (bench and tests)")
    data.add_argument("--audio", action="store_true", help="instruments: write the training and validation mixes as "
                                                          "WAV and CSV files too (for the musicnn front end)")
    data.add_argument("--csound-kits", action="store_true", help="drums: also the seven kits of csound's GM bank "
                                                                 "(an experiment the drum card reports)")
    data.add_argument("--lmms-kits", action="store_true",
                      help="drums: also four training kits of LMMS's drum one-shots (lmms-common; an experiment the "
                           "drum card reports)")
    data.add_argument("--mixed-kits", type=share, default=0.0, metavar="SHARE",
                      help="drums: share of training and unlabeled tracks on a kit mixed from several (each drum "
                           "class from a random kit)")
    data.add_argument("--synth-kits", type=share, default=0.0, metavar="SHARE",
                      help="drums: share of training and unlabeled tracks on a drum machine synthesised for the track "
                           "(random kick, snare, tom, hi-hat and cymbal voices; an experiment the drum card reports)")
    data.add_argument("--align-attacks", action="store_true",
                      help="drums: every one-shot of the sampled kits starts at its attack (its first sample within "
                           "40 dB of its peak), so that labels fall where strokes are heard, not 0-18 ms before")
    data.add_argument("--class-tuning", type=float, default=0.0, metavar="SEMITONES",
                      help="drums: on training and unlabeled tracks, tune each drum class apart by a random amount of "
                           "up to this many semitones, as if every drum came from another kit (an experiment the drum "
                           "card reports)")
    data.add_argument("--snare-buzz", type=share, default=0.0, metavar="SHARE",
                      help="drums: share of training and unlabeled tracks whose snare wires ring, unlabelled, under "
                           "every kick and tom stroke, as on a real kit (an experiment the drum card reports)")
    data.add_argument("--snare-buzz-tests", action="store_true",
                      help="drums: the test sets' snare wires ring under every kick and tom stroke, the tracks "
                           "otherwise the same stroke by stroke (with --only and an --out of its own: how a model "
                           "bears a real kit's rattle)")
    data.add_argument("--hop", type=int, metavar="SAMPLES",
                      help="drums: hop of the log-mel frames in samples at 22.05 kHz (default that of "
                           "bridge.features, 220: 10 ms); training and export read it from the build")
    data.add_argument("--only", nargs="+", default=[], metavar="SPLIT",
                      help="drums: render just these splits (e.g. test_more_kits) into the build of --out, with its "
                           "seed and features, or start one with them (e.g. the eight test_* sets alone, to evaluate "
                           "the shipped models); instruments-real-piano, instruments-recorded-samples: the splits to make "
                           "again (test, the default, and/or valid)")
    data.add_argument("--without-kits", nargs="+", default=[], metavar="KIT",
                      help="drums: leave these kits (names as drums.json lists them, e.g. "
                           "hydrogen:Millo_MultiLayered2) out of every split (an experiment the drum card reports)")
    data.add_argument("--dropouts", type=share, metavar="SHARE",
                      help="instruments: share of the training mixes with the dropouts of a live input that misses "
                           "cycles (default 0.5; 0 gives the data the models before them trained on)")
    data.add_argument("--csound-bank", action="store_true", help="instruments: csound's GM bank renders a third of the "
                                                                 "training and validation songs (an experiment the "
                                                                 "instrument card reports)")
    data.add_argument("--freepats", action="store_true", help="instruments: freepats' patches through TiMidity++ render "
                                                              "their share of the training and validation songs (an "
                                                              "experiment the instrument card reports)")
    data.add_argument("--fluidr3-timidity", action="store_true",
                      help="instruments: FluidR3's recordings through TiMidity++ render their share of the training "
                           "and validation songs, the control for --freepats: its synthesiser without new recordings "
                           "(an experiment the instrument card reports)")
    data.add_argument("--modelled", type=share, default=0.0, metavar="SHARE",
                      help="instruments: share of the training and validation songs whose piano and acoustic guitar "
                           "are modelled strings instead of a soundfont (an experiment the instrument card reports)")
    data.add_argument("--timbre-shift", type=int, default=0, choices=range(0, 13), metavar="SEMITONES",
                      help="instruments: render each training and validation stem up to this many semitones up or "
                           "down and resample it back to its pitch, moving its timbre (an experiment the instrument "
                           "card reports)")
    data.add_argument("--low-piano", type=share, default=0.0, metavar="SHARE",
                      help="instruments: this share of the training and validation pianos that do not play the melody "
                           "play a bass line alone, as low as the basses (an experiment the instrument card reports)")
    data.add_argument("--dark", type=share, default=0.0, metavar="SHARE",
                      help="instruments: this share of the training mixes' stems pass a low-pass at 0.7-3 kHz, as "
                           "soft playing or a dull microphone darkens them (an experiment the instrument card reports)")
    data.add_argument("--articulation", type=share, default=0.0, metavar="SHARE",
                      help="instruments: this share of every split's pitched parts is played as a player articulates "
                           "it, each note held for a share of its length (staccato to nearly legato) and some eighths "
                           "left out (an experiment the instrument card reports)")
    data.add_argument("--plain-parts", action="store_true",
                      help="instruments: every chord instrument plays the same close triads and both basses the same "
                           "half-note roots, as the data before the idiomatic parts (piano hands, strummed or picked "
                           "guitar shapes, power chords, held voicings, driving or walking bass lines)")
    data.add_argument("--workers", type=int, default=2, help="parallel processes")
    data.set_defaults(func=cmd_data)
    training = sub.add_parser("train", help="train a model (seeded, resumable)", description="train a model; "
                              "running it again with the same --out resumes from the checkpoint")
    training.add_argument("model", choices=["measure_vae", "latent_rnn", "arnn", *DRUM_MODELS, *INSTRUMENT_MODELS],
                          help="inpainting: measure_vae, latent_rnn, arnn; drums: pfnmf (templates of the baseline "
                               "and teacher), drums (causal CNN), drums_student (plus PFNMF soft targets on unlabeled mixes); instruments: "
                               "instruments_fc|cnn|crnn (1-s activity), instruments_mil (pooling heads on the CNN's embeddings)")
    training.add_argument("--data", help="default cache/folk/folk.npz (inpainting) or cache/drums (drums)")
    training.add_argument("--out", help="checkpoints and histories (default runs/inpaint or runs/drums)")
    training.add_argument("--steps", type=int, help="default: measure_vae 9000, latent_rnn 4000, arnn 1500, drums 3000")
    training.add_argument("--batch", type=int, help="default: measure_vae 128, drums 24, others 64")
    training.add_argument("--lr", type=float, default=1e-3, help="learning rate (drums: peak of a one-cycle schedule, default 2e-3)")
    training.add_argument("--seed", type=int, default=0)
    training.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    training.add_argument("--init", metavar="CHECKPOINT",
                          help="instruments_fc|cnn|crnn: start from this activity checkpoint of the same kind (e.g. "
                               "runs/instruments/activity_cnn.pt) and train it --steps more on --data, a fresh "
                               "schedule from --lr (fine-tuning)")
    training.add_argument("--vae", help="latent_rnn: MeasureVAE checkpoint (default OUT/measure_vae.pt)")
    training.add_argument("--size", choices=["small", "live", "paper"], default="live",
                          help="model size (live ships; see the model card for the trade-off)")
    training.add_argument("--device", default="auto", help="auto (CUDA where available), cpu or cuda")
    training.add_argument("--width", type=int, default=16, help="drums and instruments_cnn: channels of the first conv blocks (default 16)")
    training.add_argument("--hidden", type=int, default=128, help="drums: frame embedding size (default 128)")
    training.add_argument("--recurrent", type=int, default=0,
                          help="drums: GRU units after the convolutions, a causal CRNN (default 0: the CNN alone)")
    training.add_argument("--augment", action="store_true",
                          help="drums and instruments_fc|cnn|crnn: give every training chunk (drums) or 1-s "
                               "instance (instruments) its own EQ, tuning and notch (feature-level)")
    training.add_argument("--augment-shift-bands", type=float, default=1.5, metavar="BANDS",
                          help="with --augment: the largest shift of the mel axis (default 1.5)")
    training.add_argument("--look-ahead", action="append", default=[], metavar="[DRUM=]HOPS",
                          help="drums: hops (10 ms each) the model hears of an onset before it must fire, at least; "
                               "every onset comes that much later (default 0; 1.25 hears 12.5-22.5 ms of each stroke); "
                               "DRUM=HOPS: that class's own, e.g. --look-ahead 1.25 --look-ahead snare=1.75")
    training.add_argument("--target-frames", type=int, default=2, choices=[1, 2], metavar="N",
                          help="drums: frames each onset's target spans (default 2: its first frame and the next, "
                               "either may fire; 1: the first alone, so a stroke named a frame late is a miss)")
    training.add_argument("--teachers", nargs="+", default=[], metavar="RUNS",
                          help="drums: distil these run folders' networks (drums_best.pt, averaged in one graph as "
                               "export drums --ensemble fuses them): half of every training target is their "
                               "probability, half the label (an experiment the drum card reports)")
    training.add_argument("--teach-off-onsets", action="store_true",
                          help="drums, with --teachers: the onset frames keep their label of 1, the teachers' half "
                               "only softens the other frames (teachers that fire a frame late do not teach lateness)")
    training.set_defaults(func=cmd_train)
    evaluation = sub.add_parser("evaluate", help="evaluate a model family, print JSON metrics",
                                description="evaluate on held-out data. inpaint: a folk.npz (its test split) or any ABC/MIDI "
                                            "files or folders. drums: folders of NAME.wav with NAME.txt beside it, one "
                                            "'time<TAB>label' line per onset (labels KD, SD, HH, TT, CY, RD and common aliases). "
                                            "instruments: folders of NAME.wav with NAME.csv beside it, 'time_s,<class>,...' "
                                            "and one row of 0/1 per second. recorded-instruments: the instrument models on the "
                                            "real recordings of sonic-pi-samples (musicnn too where its peer has run on "
                                            "the files of `data recorded-instruments` in --data, default "
                                            "cache/instruments-recorded). piano-registers: the shipped instrument "
                                            "graph (or with --runs, that folder's activity CNN) on one piano phrase "
                                            "at three registers, rendered through the soundfonts of the training "
                                            "and test mixes. instrument-solos: the same graph (or run) on each "
                                            "class's test stems alone, from the stems_test.npz files in --data "
                                            "(default: those of cache/instruments and "
                                            "cache/instruments-recorded-samples). soundfont-samples: how many of "
                                            "the samples each class plays in the held-out soundfont are recordings "
                                            "of a training soundfont (--data TEST TRAIN..., default the test and "
                                            "training soundfonts of `data instruments`), and, with the train extras, "
                                            "how many of the recorded test instruments, LMMS's notes and freepats' "
                                            "patches are samples of those soundfonts (the last two also whether "
                                            "they are recorded test instruments). kit-samples: how many of "
                                            "each held-out drum kit's one-shots, class by class, are recordings a "
                                            "training kit plays (--data: a `data drums` build, default cache/drums, "
                                            "whose kit cache is read or filled)")
    evaluation.add_argument("family", choices=["inpaint", "drums", "instruments", "recorded-instruments",
                                               "piano-registers", "instrument-solos", "soundfont-samples",
                                               "kit-samples"])
    evaluation.add_argument("--figures", metavar="DIR",
                            help="instruments: write the confusion and attention PNGs here; drums: the F-measure chart "
                                 "and the false onsets per annotated stroke")
    evaluation.add_argument("--threshold", action="append", default=[], metavar="[DRUM=]T",
                            help="drums: the activation that fires an onset in the ONNX models, for every class (T) "
                                 "or one (e.g. kick=0.35), instead of the tuned ones; repeatable")
    evaluation.add_argument("--dropouts-per-s", type=float, metavar="RATE",
                            help="instruments: first cut this many dropouts a second into each track (1-25 ms lost, "
                                 "read twice or skipped; seeded), as a live input that misses cycles delivers them")
    evaluation.add_argument("--data", nargs="+", default=["cache/folk/folk.npz"], metavar="PATH",
                            help="default: the folk test split (inpaint), the eight held-out render sets in cache/drums (drums), "
                                 "cache/instruments/test (instruments), cache/instruments-recorded (recorded-instruments) or "
                                 "the test stems of cache/instruments and cache/instruments-recorded-samples "
                                 "(instrument-solos)")
    evaluation.add_argument("--runs", help="trained checkpoints (default runs/inpaint or runs/drums)")
    evaluation.add_argument("--methods", nargs="+", default=["model", "pfnmf"],
                            help="drums: model (the shipped ONNX, streamed as live), lookahead (the shipped model "
                                 "with 20 ms of look-ahead), student, pfnmf, adtlib (estimates of export/adtlib_peer.py)")
    evaluation.add_argument("--windows", type=int, default=400, help="gaps to inpaint (default 400)")
    evaluation.add_argument("--seed", type=int, default=1234)
    evaluation.add_argument("--json", action="store_true", help="print JSON instead of a table")
    evaluation.add_argument("-o", "--output", help="also write the JSON here")
    evaluation.set_defaults(func=cmd_evaluate)
    exporting = sub.add_parser("export", help="export trained models to ONNX with a parity check and a model card",
                               description="export to ONNX (opset 17), check parity against PyTorch on held-out bars, "
                                           "update models_onnx/manifest.json and the model card")
    exporting.add_argument("family", choices=["inpaint", "drums", "instruments"])
    exporting.add_argument("--runs", help="default runs/inpaint or runs/drums")
    exporting.add_argument("--data", help="default cache/folk/folk.npz or cache/drums")
    exporting.add_argument("--checkpoint", default="drums_best.pt",
                           help="drums: checkpoint in RUNS (e.g. drums_student_best.pt with --out runs/drums/student)")
    exporting.add_argument("--name", default="drums",
                           help="drums: the model's name in the manifest and file (drums: the live default; "
                                "drums_lookahead: the model with 20 ms of look-ahead)")
    exporting.add_argument("--ensemble", nargs="+", default=[], metavar="RUNS",
                           help="drums: more run folders of the same recipe (other seeds); their CHECKPOINT joins "
                                "RUNS' in one graph that averages the networks' logits; instruments: the same with "
                                "their activity CNNs, or activity checkpoints such as runs/instruments/activity_crnn.pt "
                                "(the embedding stays RUNS' CNN's)")
    exporting.add_argument("--phases", type=int, default=1,
                           help="drums: the daemon runs the network at this many phases a hop, each every PHASES-th "
                                "frame of a stream PHASES times as dense, so that the phase that first hears enough "
                                "of a stroke names it (2: notes sooner, twice the compute); tuned on the validation "
                                "renders of a --data build with the hop divided by PHASES (data drums --only valid "
                                "--hop 110 --out DIR)")
    exporting.add_argument("--out", default="models_onnx")
    exporting.set_defaults(func=cmd_export)
    tuning = sub.add_parser("tune", help="tune the instrument activity thresholds of a model folder on validation",
                            description="choose each instrument class's on-threshold (best F1 of its 1-s activity on the "
                                        "validation mixes, with the exported ONNX graph), write it into the manifest "
                                        "that the live engine reads, and report the F1 at 0.5 and at the tuned thresholds "
                                        "on the held-out test mixes")
    tuning.add_argument("family", choices=["instruments"])
    tuning.add_argument("--data", default="cache/instruments", help="data folder with valid.npz (default cache/instruments)")
    tuning.add_argument("--test", nargs="*", help="folders of annotated test mixes (default DATA/test)")
    tuning.add_argument("--out", default="models_onnx", help="the model folder whose manifest gets the thresholds")
    tuning.add_argument("-o", "--output", help="the JSON report (default runs/instruments/thresholds.json)")
    tuning.set_defaults(func=cmd_tune)
    card = sub.add_parser("card", help="rewrite a model card from the measured files",
                          description="rewrite models_onnx/<family>_card.md from the data, training, evaluation and bench files "
                                      "(after `evaluate <family> -o runs/<family>/evaluation.json` or `bridge bench -o bench/results.json`)")
    card.add_argument("family", choices=["drums", "instruments", "inpaint"],
                      help="inpaint: only the Latency section, from bench/results.json (the rest is written by "
                           "`export inpaint` from the training run)")
    card.add_argument("--only", choices=["latency", "history", "recorded-instruments", "kit-samples", "velocities"],
                      help="rewrite only this section, keeping the rest of the card: latency, from bench/results.json "
                           "(and bench/results_lookahead.json for drums), which needs no run or data folder; history "
                           "(drums, instruments), from export/card_<family>_history.md, as written; "
                           "recorded-instruments (instruments), from `evaluate instruments` on `data "
                           "instruments-recorded-samples` and that build; kit-samples (drums), from `evaluate "
                           "kit-samples` in the runs folder; velocities (drums), from `evaluate drums --methods model "
                           "lookahead -o RUNS/velocities.json`")
    card.add_argument("--runs", help="default runs/<family>")
    card.add_argument("--data", help="default cache/<family>")
    card.add_argument("--out", default="models_onnx")
    card.set_defaults(func=cmd_card)
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
