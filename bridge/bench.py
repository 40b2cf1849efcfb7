"""``bridge bench``: latency and throughput of every live path, as JSON and a short table.

The daemon runs as its own process (``bridge serve``) on a private JACK
server with the dummy driver, and is measured from outside, over the real
transports, the way a DAW or a patch would see it.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm import tqdm

from bridge.config import Config
from bridge.io.jack_player import JackPlayer
from bridge.io.jack_server import DummyJackServer
from bridge.models import MODELS_DIR, models_directory
from bridge.remote import DaemonProcess, OscClient

if TYPE_CHECKING:
    from bridge.engines.drums import DrumModel

BENCH_SAMPLE_RATE_HZ = 48000
BENCH_PERIOD_FRAMES = 128
# Blocks of the drum real-time factor: a file's, and the live input's (``live_block_samples``).
FILE_BLOCK_SAMPLES = 4096
IDLE_SECONDS = 3.0  # over which the idle daemon's CPU share is measured


def models_section(directory: Path, drum_model: str) -> str:
    """The config lines that point a daemon at the models of ``directory`` and its drum model ``drum_model``."""
    return f"[models]\ndir = {json.dumps(str(directory))}\n[drums]\nmodel = {json.dumps(drum_model)}\n"


def summarise(values_ms: list[float]) -> dict[str, float]:
    """p50, p99, mean and max of a list of milliseconds."""
    values = np.asarray(values_ms, dtype=float)
    return {"p50": round(float(np.percentile(values, 50)), 4), "p99": round(float(np.percentile(values, 99)), 4),
            "mean": round(float(values.mean()), 4), "max": round(float(values.max()), 4), "n": int(len(values))}


def midi_passthrough_ms(sender: JackPlayer, receiver: JackPlayer, n: int) -> list[float]:
    """Note-ons sent into the daemon (MIDI thru on) and timed, in JACK frames, until they come out.

    Notes go out one every 10 ms at a pseudo-random offset inside the period,
    so every phase of the JACK cycle is measured.
    """
    rate = sender.sample_rate_hz
    rng = np.random.default_rng(0)
    start = sender.now_frame() + rate // 10
    sent = {}
    for i in range(n):
        frame = start + i * rate // 100 + int(rng.integers(0, sender.period_frames))
        note = (0x90, 55 + i % 30, 1 + (i // 30) % 126)  # inside the melody range: no fold warnings
        sent[note] = frame
        sender.send_at(frame, note)
        sender.send_at(frame + rate // 200, (0x80, note[1], 0))
    for _ in tqdm(range(n // 100 + 2), desc="MIDI pass-through", unit="s", leave=False, disable=None):
        time.sleep(1.0)
    received = {tuple(data): frame for frame, data, _ in receiver.received if data[0] == 0x90}
    return [1000.0 * (received[note] - frame) / rate for note, frame in sent.items() if note in received]


def where_midi_was_lost(sent: int, before: dict, after: dict, received: int) -> dict[str, int]:
    """Messages (note-ons and note-offs) lost on the way into the daemon, inside it (heard but not echoed) and on
    the way out, from the daemon's counters around the run: JACK drops the MIDI of a cycle in which a client
    was late, and the daemon must lose none itself."""
    heard, echoed = after["midi_in"] - before["midi_in"], after["midi_out"] - before["midi_out"]
    return {"lost_before_daemon": sent - heard, "lost_in_daemon": heard - echoed, "lost_after_daemon": echoed - received}


def osc_roundtrip_ms(client: OscClient, n: int) -> list[float]:
    """``/bridge/ping`` to ``/bridge/pong``, one at a time."""
    times = []
    for _ in tqdm(range(n), desc="OSC round trip", unit="ping", leave=False, disable=None):
        round_trip_s = client.ping(1.0)
        if round_trip_s is not None:
            times.append(1000.0 * round_trip_s)
    return times


def inpaint_latency_ms(model, n: int, gap_bars: int) -> list[float]:
    """Time ``model`` (an ``InpaintModel``) to fill ``gap_bars`` bars from 6 + 6 bars of context.

    Ten warm-up runs are left out. ``python -m export tradeoff`` times every size with it too.
    """
    rng = np.random.default_rng(0)
    bars = np.full((12, 24), 31, np.int64)  # rests, with a note on every beat
    bars[:, ::6] = rng.integers(5, 25, (12, 4))
    bars[:, 1::6] = 30
    times = []
    for i in range(n + 10):
        started = time.perf_counter()
        model.inpaint(bars[:6], bars[6:], gap_bars, np.random.default_rng(i))
        if i >= 10:
            times.append(1000.0 * (time.perf_counter() - started))
    return times


def inpaint_model(directory: Path):
    """The inpainting model of ``directory`` on one CPU thread, or None where its files are missing."""
    from bridge.engines.inpaint import InpaintModel
    from bridge.models import ModelUnavailable

    try:
        return InpaintModel(directory, provider="cpu")
    except (ModelUnavailable, OSError, KeyError):
        return None


# The first 12 s of the first render of the held-out real kit (a rock groove the model never heard, on a kit
# it never heard; `python -m export data drums --bundle`); annotations in drums_heldout.txt.
DRUM_BENCH_AUDIO = Path(__file__).parent / "data" / "drums_heldout.wav"


def drum_notes_received(received: list[tuple[int, bytes, float]]) -> list[tuple[int, int]]:
    """(JACK frame, GM note) of each drum note-on among the MIDI messages a ``JackPlayer`` received."""
    from bridge.drum_vocabulary import DRUM_CHANNEL

    return [(frame, data[1]) for frame, data, _ in received if len(data) == 3 and data[0] == 0x90 | DRUM_CHANNEL and data[2]]


def reference_strokes(onsets: list[np.ndarray], classes: tuple[str, ...] = ("kick", "snare", "hihat")
                      ) -> list[tuple[float, str]]:
    """(time in s, class name) of the reference onsets of ``classes`` (``onsets``: times per class, as
    ``read_annotations`` gives them), in time order: the order of ``match_drum_notes``'s answer."""
    from bridge.drum_vocabulary import DRUM_NAMES

    return sorted((float(t), DRUM_NAMES[c]) for c, times in enumerate(onsets) for t in times if DRUM_NAMES[c] in classes)


def matched_drum_notes(onsets: list[np.ndarray], start_frame: int, notes: list[tuple[int, int]], rate: int,
                       classes: tuple[str, ...] = ("kick", "snare", "hihat")) -> list[tuple[int, float] | None]:
    """Per reference stroke of ``classes`` (``reference_strokes``): (index in ``notes``, ms from the stroke's frame)
    of the first drum note of its class (``notes``: (frame, GM note) pairs, the reference starting at
    ``start_frame``) in the window -50 .. +50 ms (the onset F-measure's window; each note used once), or None
    when none came."""
    from bridge.engines.drums import GM_NOTE_OF_CLASS

    used: set[int] = set()
    matches: list[tuple[int, float] | None] = []
    for time_s, name in reference_strokes(onsets, classes):
        onset_frame = start_frame + round(time_s * rate)
        found = None
        for i, (frame, note) in enumerate(notes):
            delta_ms = 1000.0 * (frame - onset_frame) / rate
            if i not in used and note == GM_NOTE_OF_CLASS[name] and -50.0 <= delta_ms <= 50.0:
                used.add(i)
                found = (i, delta_ms)
                break
        matches.append(found)
    return matches


def match_drum_notes(onsets: list[np.ndarray], start_frame: int, notes: list[tuple[int, int]], rate: int,
                     classes: tuple[str, ...] = ("kick", "snare", "hihat")) -> list[float | None]:
    """Per reference stroke of ``classes``: ms from its frame to its note (``matched_drum_notes``), or None."""
    return [match[1] if match else None for match in matched_drum_notes(onsets, start_frame, notes, rate, classes)]


def drums_onset_to_midi(workdir: Path, models: str) -> dict[str, object]:
    """Play the bundled held-out drum render into the daemon (``models``: its config lines of ``models_section``)
    over JACK; time each onset to its MIDI note."""
    import librosa

    from bridge.drum_vocabulary import read_annotations

    daemon = DaemonProcess(workdir, "[inpaint]\nenabled = false\n[audio]\nbackend = \"jack\"\n" + models)
    player = JackPlayer("mir-bridge-bench-drums")
    try:
        player.connect_to_daemon(daemon.client_name, midi_in=False)
        audio, _ = librosa.load(str(DRUM_BENCH_AUDIO), sr=player.sample_rate_hz)
        start = player.now_frame() + player.sample_rate_hz // 2
        player.play_at(start, audio)
        status_before, started = daemon.osc.status(), time.monotonic()
        daemon_share = core_share_over(daemon.process.pid, len(audio) / player.sample_rate_hz + 1.0)
        elapsed_s = time.monotonic() - started
        status_after = daemon.osc.status()
        latencies = match_drum_notes(read_annotations(DRUM_BENCH_AUDIO.with_suffix(".txt")), start,
                                     drum_notes_received(list(player.received)), player.sample_rate_hz)
    finally:
        player.close()
        daemon.stop()
    found = [x for x in latencies if x is not None]
    figures: dict[str, object] = summarise(found) if found else {"n": 0}
    figures["onsets"] = len(latencies)
    figures["within_50ms"] = round(len(found) / max(1, len(latencies)), 4)
    if daemon_share is not None:
        figures["daemon_core_share"] = daemon_share  # all its threads
    for engine in ("drums", "instruments"):  # each engine's own CPU time in the analysis thread, as it runs live
        key = f"analysis_cpu_us_{engine}"
        if key in status_after:
            figures[f"{engine}_engine_core_share"] = round((status_after[key] - status_before.get(key, 0)) / 1e6
                                                           / elapsed_s, 4)
    return figures


def bench_drum_model(directory: Path, drum_model: str) -> tuple[DrumModel, np.ndarray] | None:
    """The drum model ``drum_model`` of ``directory`` on the CPU and the bundled render at
    ``BENCH_SAMPLE_RATE_HZ``, or None when the model cannot be loaded."""
    import librosa

    from bridge.engines.drums import DrumModel
    from bridge.models import ModelUnavailable

    try:
        model = DrumModel(directory, "cpu", drum_model)
    except (ModelUnavailable, OSError, KeyError):
        return None
    audio, _ = librosa.load(str(DRUM_BENCH_AUDIO), sr=BENCH_SAMPLE_RATE_HZ)
    return model, audio


def live_block_samples(model: DrumModel, period_frames: int = BENCH_PERIOD_FRAMES) -> int:
    """The live input's block, on average: the analysis thread wakes once the JACK periods of ``period_frames``
    that complete the model's next frame are in (479 samples at 48 kHz for a hop of 220 at 22.05 kHz, in 384 or
    512; half as many where the model runs at two phases), and a period longer than a frame brings a frame or
    more each time."""
    return max(round(model.stream_spec.hop_s * BENCH_SAMPLE_RATE_HZ), period_frames)


def drums_realtime_factor(model: DrumModel, audio: np.ndarray, block: int, passes: int = 5) -> float:
    """Seconds of audio transcribed per second of compute on one thread by the drum ``model``, streaming
    ``audio`` (the bundled render, ``bench_drum_model``) back to back in blocks of ``block`` samples
    (``live_block_samples`` or ``FILE_BLOCK_SAMPLES``).

    The median of ``passes`` passes: one pass of the 12-s clip takes a fraction of a second, and on a shared
    machine single passes of the same code varied by a factor of two.
    """
    from bridge.engines.drums import transcribe

    rate = BENCH_SAMPLE_RATE_HZ
    transcribe(audio[:rate], rate, model, block=block)  # warm-up
    factors = []
    for _ in range(passes):
        started = time.perf_counter()
        transcribe(audio, rate, model, block=block)
        factors.append(len(audio) / rate / (time.perf_counter() - started))
    return round(float(np.median(factors)), 1)


def drums_paced_realtime_factor(model: DrumModel, audio: np.ndarray, period_frames: int = BENCH_PERIOD_FRAMES) -> float:
    """As ``drums_realtime_factor`` in ``live_block_samples`` blocks, but each block handed over when it would
    have arrived live (the thread asleep between), and only the thread's CPU time counted: the drum engine's
    cost at the live pace, without the daemon's other threads and engines."""
    from bridge.engines.drums import DrumEngine

    rate, block = BENCH_SAMPLE_RATE_HZ, live_block_samples(model, period_frames)
    engine = DrumEngine(model, lambda onset: None)
    engine.process(audio[:rate], rate, time.monotonic())  # warm-up
    engine.reset()
    busy_s, due = 0.0, time.monotonic()
    for start in range(0, len(audio), block):
        due += block / rate
        time.sleep(max(0.0, due - time.monotonic()))
        began = time.thread_time()
        engine.process(audio[start:start + block], rate, time.monotonic())
        busy_s += time.thread_time() - began
    return round(len(audio) / rate / busy_s, 1)


def drums_by_hop_phase(model: DrumModel, audio: np.ndarray, phases: int = 10) -> tuple[dict[str, object], list[float]]:
    """The kicks, snares and hi-hats of ``audio`` (the bundled render) that the drum ``model`` finds within 50 ms
    by its onset times, offline, the render starting after half a second of silence at each of ``phases`` offsets
    spread over one analysis hop: where a stroke falls within the hop is chance live, and it moves which strokes
    are found and how long they take.

    Returns the share found (min, mean and max over the offsets, and the strokes missed at every offset, "class
    at time s"), and the ms from each found stroke to the end of the frame that revealed it (``DrumOnset.heard_s``)
    at every offset: the latency the model and its features make before any computing or transport.
    """
    from bridge.drum_vocabulary import read_annotations
    from bridge.engines.drums import GM_NOTE_OF_CLASS, transcribe

    rate = BENCH_SAMPLE_RATE_HZ
    reference = read_annotations(DRUM_BENCH_AUDIO.with_suffix(".txt"))
    strokes = reference_strokes(reference)
    hop = model.spec.hop_s * rate
    shares, always_missed, heard_ms = [], set(range(len(strokes))), []
    for phase in range(phases):
        start = rate // 2 + round(phase * hop / phases)
        onsets = transcribe(np.concatenate([np.zeros(start, np.float32), audio]), rate, model)
        notes = [(round(onset.time_s * rate), GM_NOTE_OF_CLASS[onset.name]) for onset in onsets]
        found = matched_drum_notes(reference, start, notes, rate)
        shares.append(sum(x is not None for x in found) / len(found))
        always_missed &= {i for i, x in enumerate(found) if x is None}
        heard_ms += [1000.0 * (onsets[match[0]].heard_s - start / rate - stroke[0])
                     for stroke, match in zip(strokes, found) if match is not None]
    recall = {"min": round(min(shares), 4), "mean": round(float(np.mean(shares)), 4), "max": round(max(shares), 4),
              "phases": phases,
              "missed_at_every_offset": [f"{strokes[i][1]} at {strokes[i][0]:.2f} s" for i in sorted(always_missed)]}
    return recall, heard_ms


def instruments_load(directory: Path, seconds: float = 20.0, rate: int = 48000,
                     block: int = 128) -> dict[str, float] | None:
    """Updates a second (from the first update on) and share of one core of the instrument engine, fed JACK-sized
    blocks of the demo band."""
    import librosa

    from bridge.demo import DEMO_DATA
    from bridge.engines.instruments import InstrumentEngine, InstrumentModel
    from bridge.models import ModelUnavailable

    try:
        model = InstrumentModel(directory, provider="cpu")
    except (ModelUnavailable, OSError, KeyError):
        return None
    audio, _ = librosa.load(str(DEMO_DATA / "demo_band.wav"), sr=rate)
    audio = np.resize(audio, int(seconds * rate))
    updates: list = []
    engine = InstrumentEngine(model, updates.append)
    engine.process(audio[:rate], rate, 0.0)  # warm-up
    engine.reset()
    updates.clear()
    started = time.perf_counter()
    for start in range(0, len(audio), block):
        engine.process(audio[start:start + block], rate, start / rate)
    busy_s = time.perf_counter() - started
    span_s = updates[-1].time_s - updates[0].time_s  # the first update comes once the first second is in
    return {"updates_per_s": round((len(updates) - 1) / span_s, 2), "core_share": round(busy_s / seconds, 4)}


def process_cpu_s(pid: int) -> float | None:
    """CPU time (user and system) the process ``pid`` has used so far, or None where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def core_share_over(pid: int, seconds: float) -> float | None:
    """Share of one core the process ``pid`` uses over the next ``seconds`` (the caller sleeps meanwhile)."""
    before, started = process_cpu_s(pid), time.monotonic()
    time.sleep(seconds)
    after = process_cpu_s(pid)
    return None if before is None or after is None else round((after - before) / (time.monotonic() - started), 4)


def cpu_times() -> list[int]:
    """The machine's CPU time counters in ticks (the first line of /proc/stat), or [] where there is none."""
    try:
        with open("/proc/stat") as stat:
            return [int(value) for value in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return []


def steal_share(before: list[int], after: list[int]) -> float | None:
    """Share of the CPU time between two ``cpu_times`` readings that the host of a virtual machine took away
    (steal): while it is high, JACK's cycles come late whatever its clients do."""
    if len(before) < 8 or len(after) < 8:
        return None
    spent = [b - a for a, b in zip(before, after)]
    return round(spent[7] / max(1, sum(spent)), 4)


def machine(period_frames: int = BENCH_PERIOD_FRAMES) -> dict[str, object]:
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model)
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "jack": f"dummy driver, {BENCH_SAMPLE_RATE_HZ} Hz, {period_frames}-frame period"}


def run_bench(config: Config, n: int = 500, as_json: bool = False, output: str | None = None,
              period_frames: int = BENCH_PERIOD_FRAMES) -> int:
    """Measure every live path with the models of ``config`` (``[models] dir``, the shipped ones by default), over
    a private JACK server of ``period_frames`` a period; print JSON (``as_json``) or a table; write JSON to
    ``output``."""
    directory = models_directory(config.models.dir).resolve()
    models = models_section(directory, config.drums.model)
    shipped = directory.resolve() == MODELS_DIR.resolve()  # named as the repository names it, not by this machine's path
    results: dict[str, object] = {"models_dir": MODELS_DIR.name if shipped else str(directory),
                                  "drum_model": config.drums.model}
    period_ms = 1000.0 * period_frames / BENCH_SAMPLE_RATE_HZ
    started = cpu_times()
    with tempfile.TemporaryDirectory() as workdir, DummyJackServer(BENCH_SAMPLE_RATE_HZ, period_frames):
        daemon = DaemonProcess(Path(workdir), "[midi]\nthru = true\n[audio]\nenabled = false\n" + models)
        sender, receiver = JackPlayer("mir-bridge-bench-send"), JackPlayer("mir-bridge-bench-receive")
        try:
            sender.connect_to_daemon(midi_out=False, audio=False)
            receiver.connect_to_daemon(midi_in=False, audio=False)
            # MIDI and OSC open, no audio, nothing sent
            results["daemon_idle_core_share"] = core_share_over(daemon.process.pid, IDLE_SECONDS)
            before = daemon.osc.status()
            latencies = midi_passthrough_ms(sender, receiver, n)
            after = daemon.osc.status()
            passthrough = summarise(latencies)
            passthrough["lost"] = n - len(latencies)
            passthrough.update(where_midi_was_lost(2 * n, before, after, len(receiver.received)))
            passthrough["jack_xruns"] = after["jack_xruns"]  # a late cycle, in any client, can lose MIDI
            passthrough["jack_period_ms"] = round(period_ms, 4)
            passthrough["p99_over_one_period"] = round(passthrough["p99"] - period_ms, 4)
            results["midi_passthrough_ms"] = passthrough
            results["osc_roundtrip_ms"] = summarise(osc_roundtrip_ms(daemon.osc, n))
            results["daemon_status"] = {k: v for k, v in daemon.osc.status().items()
                                        if "drop" in k or "error" in k or "xrun" in k}
        finally:
            sender.close()
            receiver.close()
            daemon.stop()
        results["drums_onset_to_midi_ms"] = drums_onset_to_midi(Path(workdir), models)
    drum = bench_drum_model(directory, config.drums.model)  # loaded once for the three speed figures
    results["drums_realtime_factor"] = drums_realtime_factor(*drum, FILE_BLOCK_SAMPLES) if drum else None
    live_block = live_block_samples(drum[0], period_frames) if drum else None
    results["drums_realtime_factor_live_blocks"] = drums_realtime_factor(*drum, live_block) if drum else None
    results["drums_realtime_factor_live_pace"] = drums_paced_realtime_factor(*drum, period_frames) if drum else None
    results["drums_live_block_samples"] = live_block
    if drum:
        recall, heard_ms = drums_by_hop_phase(*drum)
        results["drums_within_50ms_offline_by_hop_phase"] = recall
        results["drums_onset_to_frame_end_offline_ms"] = summarise(heard_ms)
    load = instruments_load(directory)
    if load is not None:
        results["instruments_updates_per_s"], results["instruments_core_share"] = load["updates_per_s"], load["core_share"]
    model = inpaint_model(directory)
    for gap_bars in range(1, 5) if model is not None else ():
        results[f"inpaint_{gap_bars}bars_ms"] = summarise(inpaint_latency_ms(model, min(n, 300), gap_bars))
    results["machine"] = {**machine(period_frames), "cpu_steal_share": steal_share(started, cpu_times())}
    text = json.dumps(results, indent=2)
    if output:
        Path(output).write_text(text + "\n")
    if as_json:
        print(text)
    else:
        print(format_table(results))
    return 0


def format_table(results: dict[str, object]) -> str:
    """The figures as a Markdown table."""
    lines = ["| path | p50 | p99 | n |", "|---|---|---|---|"]
    for name, figures in results.items():
        if isinstance(figures, dict) and "p50" in figures:
            lines.append(f"| {name} | {figures['p50']:.3f} | {figures['p99']:.3f} | {figures['n']} |")
        elif isinstance(figures, (int, float)):
            lines.append(f"| {name} | {figures} | | |")
    return "\n".join(lines)
