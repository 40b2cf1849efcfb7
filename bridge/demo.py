"""``bridge demo``: play the bundled performance into the daemon and show what comes back.

The daemon runs as its own process, exactly as ``bridge serve`` would. A JACK
client plays the melody (with MIDI clock) into the daemon's MIDI input and the
band's recording into its audio input; the demo subscribes to the daemon's
OSC output and prints what it hears and sends.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from importlib.resources import files
from pathlib import Path

import librosa
import numpy as np

from bridge.config import Config
from bridge.drum_vocabulary import DRUM_CHANNEL, DRUM_CLASSES
from bridge.io.jack_player import JackPlayer
from bridge.io.jack_server import DummyJackServer, jack_server_running
from bridge.midi_file import PlayedNote, read_notes
from bridge.remote import DaemonProcess, Received
from bridge.score import TICKS_PER_BEAT, ticks_per_bar

DEMO_DATA = files("bridge") / "data"
GAP_START_BAR, GAP_BARS = 6, 2  # the demo leaves these bars of its 8-bar tune to the daemon
DRUM_OF_NOTE = {c.midi_note: c.name for c in DRUM_CLASSES}
NOTE_NAMES = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]


def note_name(pitch: int) -> str:
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def schedule_performance(player: JackPlayer, notes: list[PlayedNote], tempo_bpm: float, audio: np.ndarray,
                         bars: int, lead_in_s: float = 0.5) -> float:
    """Queue MIDI start, clock, notes and audio on the player; return the performance's length in seconds."""
    rate = player.sample_rate_hz
    frames_per_beat = rate * 60.0 / tempo_bpm
    start = player.now_frame() + int(lead_in_s * rate)
    player.send_at(start - 1, [0xFA])
    total_beats = bars * 4 + 2
    for tick in range(int(total_beats * 24)):
        player.send_at(start + round(tick * frames_per_beat / 24), [0xF8])
    for note in notes:
        player.send_at(start + round(note.start_beats * frames_per_beat), [0x90, note.pitch, note.velocity])
        player.send_at(start + round(note.end_beats * frames_per_beat), [0x80, note.pitch, 0])
    player.send_at(start + round(total_beats * frames_per_beat), [0xFC])
    player.play_at(start, audio)
    return lead_in_s + total_beats * 60.0 / tempo_bpm


def describe(message: Received) -> str | None:
    """One line for the console, or None for messages not worth a line."""
    args = message.args
    if message.address == "/bridge/note":
        pitch, velocity, bar, tick = args
        return f"    heard {note_name(pitch):4s} vel {velocity:3d}  -> bar {bar} tick {tick:2d}"
    if message.address == "/bridge/bar":
        return f"  bar {args[0]:2d}  tempo {args[1]:6.1f} BPM"
    if message.address == "/bridge/error":
        return f"  ! {args[0]}: {args[1]}"
    if message.address == "/bridge/jack":
        return f"  JACK {args[0]}"
    if message.address == "/inpaint/notes":
        start, bars, flat = args[0], args[1], args[2:]
        names = " ".join(note_name(p) for p in flat[::3])
        return f"  >> inpainted bars {start}-{start + bars - 1}: {len(flat) // 3} notes: {names}"
    return None


def run_demo(config: Config, speed: float = 1.0, period_frames: int = 128) -> int:
    """Run the demo on the user's JACK server, or on a private dummy one of ``period_frames`` when none runs."""
    notes, tempo_bpm = read_notes(Path(str(DEMO_DATA / "demo_melody.mid")))
    tempo_bpm *= speed
    bars = int(np.ceil(max(n.end_beats for n in notes) / 4))
    private = None if jack_server_running() else DummyJackServer(period_frames=period_frames).start()
    print("mir-bridge demo")
    print(f"  JACK: {f'private dummy server {private.name}, {period_frames}-frame periods' if private else 'the running server'}")
    try:
        with tempfile.TemporaryDirectory() as workdir:
            return _perform(Path(workdir), notes, tempo_bpm, bars, speed)
    finally:
        if private is not None:
            private.stop()


def _perform(workdir: Path, notes: list[PlayedNote], tempo_bpm: float, bars: int, speed: float) -> int:
    daemon = DaemonProcess(workdir)
    player = JackPlayer("mir-bridge-demo-player")
    try:
        client = daemon.osc
        client.send("/bridge/subscribe", client.port)
        player.connect_to_daemon(daemon.client_name)
        audio, _ = librosa.load(str(DEMO_DATA / "demo_band.wav"), sr=player.sample_rate_hz / speed)
        print(f"  daemon: `bridge serve`, OSC in 127.0.0.1:{daemon.osc_port}; this demo subscribed on port {client.port}")
        print(f"  playing: demo_melody.mid ({len(notes)} notes, {bars} bars at {tempo_bpm:.0f} BPM, MIDI clock)"
              f" into MIDI in, demo_band.wav ({len(audio) / player.sample_rate_hz:.1f} s) into audio in")
        played = [n for n in notes if not GAP_START_BAR <= n.start_beats / 4 < GAP_START_BAR + GAP_BARS]
        print(f"  inpainting: bars {GAP_START_BAR}-{GAP_START_BAR + GAP_BARS - 1} are left silent and asked of the "
              f"daemon with /inpaint/gap {GAP_START_BAR} {GAP_BARS}\n")
        seconds = schedule_performance(player, played, tempo_bpm, audio, bars)
        time.sleep(0.5 + 60.0 / tempo_bpm)  # once the performance runs (MIDI start resets the clock)
        client.send("/inpaint/gap", GAP_START_BAR, GAP_BARS)
        heard = _follow(client, seconds)
        _summary(played, heard, client.status())
        late, worst_ms = player.lateness_ms()
        if late:
            print(f"the player sent {late} MIDI events late, up to {worst_ms:.1f} ms (it missed JACK cycles: "
                  "the machine is loaded), so the daemon heard them late too")
        _show_midi_out(player)
    finally:
        player.close()
        daemon.stop()
    return 0


def _follow(client, seconds: float) -> list[Received]:
    """Print what the daemon sends while the performance plays; return the notes it heard.

    Drum onsets and instrument activity are many: once a bar, the drum counts with their MIDI velocities and
    the instruments active in the latest activity update are printed.
    """
    seen, last_level_s = 0, 0.0
    drums: dict[str, list[int]] = {}
    classes: tuple = ()
    activity: tuple = ()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)
        messages = client.since(seen)
        seen += len(messages)
        for message in messages:
            if message.address == "/drum/onset":
                drums.setdefault(message.args[0], []).append(round(127 * message.args[1]))
            elif message.address == "/instrument/classes":
                classes = message.args
            elif message.address == "/instrument/activity":
                activity = message.args
            if message.address == "/bridge/bar" and drums:
                print("    drums heard in the audio: " + drum_counts(drums), flush=True)
                drums.clear()
            if message.address == "/bridge/bar" and classes and activity:
                playing = sorted(((a, c) for c, a in zip(classes, activity) if a >= 0.5), reverse=True)
                print("    instruments in the audio: " + (", ".join(f"{c} {a:.2f}" for a, c in playing) or "none"), flush=True)
            line = describe(message)
            if message.address == "/bridge/audio/level" and message.time_s - last_level_s > 1.0:
                last_level_s = message.time_s
                line = f"    audio level {message.args[0]:6.1f} dBFS RMS, peak {message.args[1]:6.1f} dBFS"
            if line:
                print(line, flush=True)
    return client.since(0, "/bridge/note")


def drum_counts(velocities: dict[str, list[int]]) -> str:
    """Each drum's strokes and the range of their MIDI velocities, most strokes first, e.g. "hihat 8 (vel
    64-127), kick 2 (vel 127)"."""
    def velocity_range(values: list[int]) -> str:
        return f"vel {min(values)}-{max(values)}" if min(values) < max(values) else f"vel {values[0]}"

    ranked = sorted(velocities.items(), key=lambda item: -len(item[1]))
    return ", ".join(f"{name} {len(values)} ({velocity_range(values)})" for name, values in ranked)


def _show_midi_out(player: JackPlayer) -> None:
    """The notes the daemon sent on MIDI out, as the player received them."""
    onsets = [data for _, data, _ in player.received if data[0] & 0xF0 == 0x90 and data[2] > 0]
    melodic = [data for data in onsets if data[0] & 0x0F != DRUM_CHANNEL]
    if melodic:
        channels = sorted({(data[0] & 0x0F) + 1 for data in melodic})
        print(f"MIDI out of the daemon: {len(melodic)} notes on channel {', '.join(map(str, channels))}: "
              + " ".join(note_name(data[1]) for data in melodic))
    drums = Counter(DRUM_OF_NOTE.get(data[1], str(data[1])) for data in onsets if data[0] & 0x0F == DRUM_CHANNEL)
    if drums:
        print(f"MIDI out of the daemon: {sum(drums.values())} drum notes on channel {DRUM_CHANNEL + 1} "
              f"({', '.join(f'{k} {v}' for k, v in drums.most_common())})")


def _summary(notes: list[PlayedNote], heard: list[Received], status: dict[str, float]) -> None:
    bar_ticks = ticks_per_bar(4.0)
    expected = [(n.pitch, divmod(round(n.start_beats * TICKS_PER_BEAT), bar_ticks)) for n in notes]
    got = [(m.args[0], (m.args[2], m.args[3])) for m in heard]
    on_grid = sum(1 for e, g in zip(expected, got) if e == g)
    print(f"\nplayed {len(notes)} notes; the daemon heard {len(heard)}, {on_grid} on the right bar and tick")
    print(f"events: MIDI in {status.get('midi_in', 0)}, OSC out {status.get('osc_sent', 0)}, "
          f"audio blocks {status.get('audio_blocks', 0)}; errors {status.get('errors', 0)}, "
          f"dropped {status.get('dropped_total', 0)}")
    if status.get("midi_clock_ticks_lost"):
        print(f"{status['midi_clock_ticks_lost']} MIDI clock ticks were lost in late JACK cycles on the way "
              "in; the daemon's clock counted them and kept to the player's position")
