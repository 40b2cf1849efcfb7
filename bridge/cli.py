"""The ``bridge`` command line."""

from __future__ import annotations

import argparse
import faulthandler
import json
import logging
import os
import signal
import sys
from typing import Callable

from bridge import __version__
from bridge.config import DEFAULT_CONFIG_PATH, VELOCITY_REFERENCES, ConfigError, load_config

log = logging.getLogger("bridge")


def _setup_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper()), stream=sys.stderr,
                        format="%(asctime)s.%(msecs)03d %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")


def run_offline(job: Callable[[], dict], errors: tuple[type[Exception], ...], as_json: bool,
                summary: Callable[[dict], str]) -> int:
    """An offline command's ending: ``job``'s result as JSON or as a one-line ``summary``; 1 with the reason
    on stderr when it raises one of ``errors``."""
    from bridge.offline import print_json

    try:
        result = job()
    except errors as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 1
    if as_json:
        print_json(result)
    else:
        print(summary(result))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from bridge.daemon import Daemon

    try:
        daemon = Daemon(load_config(args.config))
    except OSError as exc:  # the OSC port is taken: nothing to run without the daemon's control surface
        log.error("%s", exc)
        return 1
    # Before it starts: a client that saw it answer may stop it at once, before the next line of this thread.
    stop = lambda *_: daemon._stop.set()  # noqa: E731 - signal handlers take two arguments
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A crash leaves its stack in the log; `kill -USR1 <pid>` writes every thread's stack there (a daemon that
    # stops answering can be asked where it hangs, without stopping it).
    faulthandler.enable()
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    daemon.start()
    print("mir-bridge is running; Ctrl-C stops it", file=sys.stderr, flush=True)
    daemon.run_forever()
    daemon.stop()
    logging.shutdown()
    sys.stdout.flush()
    # Everything is closed and all notes are off. Exit without running finalizers: JACK
    # clients whose server died are kept unclosed, and libjack crashes if they are closed.
    os._exit(0)


def cmd_devices(args: argparse.Namespace) -> int:
    from bridge.io.jack_server import open_client
    from bridge.io.midi import MidiUnavailable, choose_api, list_ports

    import sounddevice as sd

    config = load_config(args.config)
    api = choose_api(config.midi.api)
    result: dict[str, object] = {"midi_api": api}
    try:
        result["midi"] = list_ports(api)
    except MidiUnavailable as exc:
        result["midi"] = {"error": str(exc)}
    jack_client = open_client("mir-bridge-list")
    result["jack_audio_sources"] = []
    if jack_client is not None:
        result["jack_audio_sources"] = [p.name for p in jack_client.get_ports(is_audio=True, is_output=True)]
        jack_client.close()
    hostapis = sd.query_hostapis()
    result["audio_inputs"] = [
        {"index": i, "name": d["name"], "hostapi": hostapis[d["hostapi"]]["name"],
         "channels": d["max_input_channels"], "default_rate_hz": d["default_samplerate"]}
        for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0
    ]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"MIDI ({api}):")
    midi = result["midi"]
    for direction in ("inputs", "outputs"):
        for name in midi.get(direction, []):
            print(f"  {direction[:-1]:6s} {name}")
    if "error" in midi:
        print(f"  {midi['error']}")
    print("JACK audio sources (audio.device takes a regex of these):")
    for name in result["jack_audio_sources"] or ["  none (no JACK server)"]:
        print(f"  {name}")
    print("Other audio inputs (sounddevice; audio.backend = \"portaudio\"):")
    for device in result["audio_inputs"]:
        print(f"  [{device['index']}] {device['name']} ({device['hostapi']}, {device['channels']} ch, "
              f"{device['default_rate_hz']:.0f} Hz)")
    if not result["audio_inputs"]:
        print("  none")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    print(DEFAULT_CONFIG_PATH.read_text(), end="")
    return 0


def cmd_osc_reference(args: argparse.Namespace) -> int:
    from bridge.daemon import Daemon
    from bridge.osc_api import input_routes, reference_markdown

    print(reference_markdown(input_routes(Daemon)), end="")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from bridge.demo import run_demo

    return run_demo(load_config(args.config), speed=args.speed, period_frames=args.period)


def cmd_inpaint(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bridge.engines.inpaint import InpaintError, InpaintModel
    from bridge.models import ModelUnavailable, models_directory
    from bridge.offline import inpaint_file

    try:
        start, end = (int(x) for x in args.gap.split(":"))
    except ValueError:
        print(f"bridge: --gap takes START:END in bars (0-based, END exclusive), got {args.gap!r}", file=sys.stderr)
        return 2
    if not 0 <= start < end:
        print(f"bridge: --gap {args.gap}: START must be 0 or more and END after it", file=sys.stderr)
        return 2
    config = load_config(args.config)  # a ConfigError is main's to report

    def job() -> dict:
        model = InpaintModel(models_directory(config.models.dir), config.models.provider)
        return inpaint_file(Path(args.input), start, end, Path(args.output), args.context, args.seed, model)

    return run_offline(job, (InpaintError, ModelUnavailable, OSError, KeyError), args.json,
                       lambda result: f"{args.output}: bars {start}-{end - 1} filled with {len(result['notes'])} notes "
                                      f"from {result['context_bars'][0]} bars before and {result['context_bars'][1]} after")


def parse_class_values(values: list[str], option: str = "--threshold", example: str = "0.5 or hihat=0.4"
                       ) -> tuple[float | None, dict[str, float]]:
    """An ``option``'s values (``V`` or ``DRUM=V``) as one value for every class and one per named class.

    Raises
    ------
    ValueError
        A value that is not a number.
    """
    every, per_class = None, {}
    for value in values:
        name, _, number = value.rpartition("=")
        try:
            parsed = float(number)
        except ValueError:
            raise ValueError(f"{option} takes V or DRUM=V, e.g. {example}, got {value!r}") from None
        if name:
            per_class[name] = parsed
        else:
            every = parsed
    return every, per_class


def cmd_transcribe_drums(args: argparse.Namespace) -> int:
    from collections import Counter
    from pathlib import Path

    from bridge.models import ModelUnavailable
    from bridge.offline import transcribe_drums_file

    if args.output is None and not args.json and args.plot is None:
        print("bridge: give -o OUT.mid, --json or --plot OUT.png (or several)", file=sys.stderr)
        return 2
    config = load_config(args.config)

    def job() -> dict:
        threshold, class_thresholds = parse_class_values(args.threshold)
        result = transcribe_drums_file(Path(args.input), Path(args.output) if args.output else None, threshold,
                                       class_thresholds, args.model, config, args.velocity_reference)
        if args.plot:
            from bridge.drum_vocabulary import DRUM_NAMES
            from bridge.file_figures import drum_onsets_figure

            drum_onsets_figure(result, list(DRUM_NAMES), Path(args.plot), f"{Path(args.input).name}: drum strokes")
        return result

    def summary(result: dict) -> str:
        counts = Counter(o["drum"] for o in result["onsets"])
        written = " and ".join(str(path) for path in (args.output, args.plot) if path)
        found = f" ({', '.join(f'{k} {v}' for k, v in counts.most_common())})" if counts else ""
        return f"{written}: {len(result['onsets'])} drum notes in {result['duration_s']:.1f} s{found}"

    return run_offline(job, (ModelUnavailable, OSError, KeyError, ValueError), args.json, summary)


def cmd_detect_instruments(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bridge.models import ModelUnavailable
    from bridge.offline import detect_instruments_file

    config = load_config(args.config)

    def job() -> dict:
        result = detect_instruments_file(Path(args.input), config)
        if args.plot:
            from bridge.file_figures import instrument_activity_figure

            instrument_activity_figure(result, Path(args.plot), Path(args.input).name)
        return result

    def summary(result: dict) -> str:
        tags = sorted(result["clip"].items(), key=lambda kv: -kv[1])
        return (f"{args.input}: {len(result['activity'])} updates every {result['hop_s']:.2f} s; most likely: "
                + ", ".join(f"{name} {p:.2f}" for name, p in tags[:5])
                + (f"; picture in {args.plot}" if args.plot else ""))

    return run_offline(job, (ModelUnavailable, OSError, KeyError, ValueError), args.json, summary)


def cmd_bench(args: argparse.Namespace) -> int:
    from bridge.bench import run_bench

    return run_bench(load_config(args.config), n=args.n, as_json=args.json, output=args.output,
                     period_frames=args.period)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bridge", description="mir-bridge: trained music models live over MIDI, OSC and audio.")
    parser.add_argument("--version", action="version", version=f"mir-bridge {__version__}")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, func, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--config", metavar="FILE", help="TOML config (see `bridge config` for every key)")
        p.set_defaults(func=func)
        return p

    command("serve", cmd_serve, "run the daemon: MIDI, OSC and audio in, models, MIDI and OSC out")
    demo = command("demo", cmd_demo, "play the bundled performance into the daemon over JACK and show what it hears and sends")
    demo.add_argument("--speed", type=float, default=1.0, help="tempo factor of the performance (default 1)")
    demo.add_argument("--period", type=int, default=128, metavar="FRAMES",
                      help="JACK period of the private server started when none runs (default 128)")
    devices = command("devices", cmd_devices, "list MIDI ports and audio input devices")
    devices.add_argument("--json", action="store_true", help="print JSON")
    bench = command("bench", cmd_bench, "measure the latency and throughput of every live path")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("-n", type=int, default=500, help="measurements per path (default 500)")
    bench.add_argument("-o", "--output", metavar="FILE", help="also write the JSON to FILE")
    bench.add_argument("--period", type=int, default=128, metavar="FRAMES",
                       help="JACK period of the private server it measures over, at 48 kHz (default 128; the drum "
                            "notes wait for the periods, so measure at the one you play with)")
    inpaint = command("inpaint", cmd_inpaint, "fill bars of a MIDI melody from the bars around them")
    inpaint.add_argument("input", metavar="IN.mid")
    inpaint.add_argument("--gap", required=True, metavar="START:END", help="bars to fill, 0-based, END exclusive")
    inpaint.add_argument("-o", "--output", required=True, metavar="OUT.mid")
    inpaint.add_argument("--context", type=int, default=4, help="bars of context on each side (default 4)")
    inpaint.add_argument("--seed", type=int, default=-1, help="-1: greedy; 0 or more: sampled, reproducibly")
    inpaint.add_argument("--json", action="store_true", help="print the filled notes as JSON")
    drums = command("transcribe-drums", cmd_transcribe_drums,
                    "transcribe the drums of an audio file (streamed through the live engine) to MIDI and/or JSON")
    drums.add_argument("input", metavar="IN.wav", help="any file libsndfile reads (WAV, FLAC, OGG, ...), any sample rate")
    drums.add_argument("-o", "--output", metavar="OUT.mid", help="drum notes on channel 10, GM numbers")
    drums.add_argument("--json", action="store_true", help='print {"onsets": [{"time", "drum", "velocity", "level_dbfs"}, ...]} (level_dbfs: '
                                                         "the stroke's peak in its drum's band; a sound check's "
                                                         "loudest is what [drums.velocity_references] takes)")
    drums.add_argument("--plot", metavar="OUT.png", help="draw every stroke on its drum's row, coloured by its velocity "
                                                         "(needs matplotlib)")
    drums.add_argument("--threshold", action="append", default=[], metavar="[DRUM=]T",
                       help="activation 0-1 that fires an onset, for every class (T) or one (e.g. hihat=0.4); "
                            "repeatable (default: tuned, in the manifest)")
    drums.add_argument("--model", default="drums", choices=["drums", "drums_lookahead"],
                       help="drums (default, as live) names each stroke once it has heard 12.5-17.5 ms of it (a "
                            "snare 17.5-22.5 ms); drums_lookahead hears 20-30 ms: fewer false kicks and hi-hats, "
                            "fewer strokes found, notes later; it scores higher on two of the eight held-out sets")
    drums.add_argument("--velocity-reference", default="file", choices=VELOCITY_REFERENCES,
                       help="with velocities from the levels ([drums] velocity, the default): file (default) maps "
                            "each drum's strokes against its loudest in the whole file; running, as live, against "
                            "its loudest so far in the last velocity_memory_s, so that its first strokes come out "
                            "loud (the first at 107) until a louder one")
    instruments = command("detect-instruments", cmd_detect_instruments,
                          "instrument activity of an audio file, streamed through the live engine")
    instruments.add_argument("input", metavar="IN.wav", help="any file libsndfile reads, any sample rate")
    instruments.add_argument("--json", action="store_true",
                             help='print {"classes": [...], "hop_s": h, "time_s": [t per update], "activity": [[p per class] per '
                                  'update], "active": [[class on] per update], "families": [...], "family_activity": '
                                  '[[p per family] per update], "clip": {class: p}}')
    instruments.add_argument("--plot", metavar="OUT.png", help="draw every class's activity over time, outlined where "
                                                               "it is on, and the clip tags (needs matplotlib)")
    command("config", cmd_config, "print the default configuration with every key documented")
    command("osc-reference", cmd_osc_reference, "print the OSC address reference as Markdown")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.log_level)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"bridge: {exc}", file=sys.stderr)
        return 2
