"""The daemon's OSC address space: inputs (a route table) and outputs (documented here).

The README's OSC reference is generated from these tables (``bridge osc-reference``),
so code and documentation cannot disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.config import VELOCITY_SOURCES
from bridge.drum_vocabulary import DRUM_NAMES
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from bridge.osc_dispatch import Arg, Route

if TYPE_CHECKING:
    from bridge.daemon import Daemon

REPLY_PORT = Arg("reply_port", int, 1, 65535)

OUTPUTS: tuple[tuple[str, str, str], ...] = (
    ("/bridge/pong", "", "answer to /bridge/ping"),
    ("/bridge/error", "ss", "source (osc, midi, audio, jack, clock, model, inpaint, drums, instruments) and a readable message"),
    ("/bridge/status", "s?s?...", "counter name and value pairs: events in and out, drops, errors, tempo"),
    ("/bridge/note", "iiii", "a note heard on MIDI in, quantised: pitch, velocity, bar (0-based), tick (0-23 in 4/4)"),
    ("/bridge/bar", "if", "a bar line of the musical clock: bar (0-based), tempo in BPM"),
    ("/bridge/audio/level", "ff", "input level over the last period: RMS and peak in dBFS"),
    ("/bridge/jack", "s", "JACK server state: down or up (ports reconnected)"),
    ("/drum/onset", "sff", "a drum stroke: class (kick, snare, hihat, tom, crash, ride), velocity 0-1 (the MIDI "
                           "note's over 127: how loud the stroke was against the loudest of its drum lately, "
                           "drums.velocity), onset time in seconds of audio since the input started"),
    ("/drum/<name>", "f", "the same stroke on its own address, e.g. /drum/kick 0.8: velocity 0-1"),
    ("/drum/peaks", "ffffff", "ten times a second (drums.peaks_per_s): the peak activation 0-1 of kick, snare, hihat, "
                              "tom, crash, ride since the last one, for a sound check's meters: a drum's strokes "
                              "should rise above its threshold (/bridge/status drums_threshold_<name>), its bleed "
                              "stay below"),
    ("/instrument/classes", "s...", "the instrument class names in the order of /instrument/activity; sent at start-up "
                                    "and to each new subscriber"),
    ("/instrument/activity", "f...", "smoothed activity 0-1 of every class, ten times a second (instruments.updates_per_s)"),
    ("/instrument/<name>", "f", "activity of one class while it is on (hysteresis), e.g. /instrument/piano 0.8; "
                                "0 once when it turns off"),
    ("/instrument/families", "s...", "the instrument family names in the order of /instrument/family_activity "
                                     "(drums, bass, keys, guitars, strings, winds, synths, voice); sent with "
                                     "/instrument/classes"),
    ("/instrument/family_activity", "f...", "with each /instrument/activity: every family's activity, the largest of "
                                            "its classes' (a clarinet taken for a flute still lights up winds)"),
    ("/instrument/clip", "f...", "once a second: probability of every class over the last ten seconds (attention pooling)"),
    ("/instrument/attention", "sf...", "once a second: the top class of /instrument/clip and its attention weights over "
                                       "those seconds, oldest first (up to ten)"),
    ("/inpaint/notes", "ii iii...", "a filled gap: first bar, bars, then pitch, start tick (from the gap's start) "
                                    "and duration in ticks of each note"),
)


def input_routes(daemon: "Daemon") -> list[Route]:
    """The OSC inputs, bound to ``daemon``'s handlers."""
    return [
        Route("/bridge/ping", (REPLY_PORT,), daemon.on_ping,
              "reply /bridge/pong to the send address, or to the sender's host at reply_port", optional=1),
        Route("/bridge/status", (REPLY_PORT,), daemon.on_status,
              "reply /bridge/status (as for ping)", optional=1),
        Route("/bridge/subscribe", (Arg("port", int, 1, 65535),), daemon.on_subscribe,
              "also send every output to the sender's host at port"),
        Route("/bridge/unsubscribe", (Arg("port", int, 1, 65535),), daemon.on_unsubscribe,
              "stop sending to the sender's host at port"),
        Route("/bridge/tempo", (Arg("bpm", float, 20.0, 400.0),), daemon.on_tempo,
              "tempo of the internal clock (ignored while MIDI clock drives it)"),
        Route("/bridge/meter", (Arg("beats", int, 1, 16), Arg("unit", int, 1, 16)), daemon.on_meter,
              "time signature, e.g. 4 4 or 2 2"),
        Route("/bridge/transport", (Arg("command", str, choices=("start", "stop", "continue")),),
              daemon.on_transport, "start (from bar 0), stop or continue the clock"),
        Route("/bridge/transport/position", (Arg("bar", int, 0, 100000), Arg("beat", float, 0.0, 64.0)),
              daemon.on_position, "the current position: bar (0-based) and beat (0-based, quarter notes)"),
        Route("/bridge/panic", (), daemon.on_panic, "all notes off on MIDI out"),
        Route("/inpaint/gap", (Arg("start", int, 0, 63), Arg("bars", int, 1, 63)), daemon.on_inpaint_gap,
              "fill form bars start .. start+bars-1 (0-based) at their next pass, from the bars around them"),
        Route("/drums/threshold", (Arg("value", float, 0.01, 0.99), Arg("drum", str, choices=DRUM_NAMES)),
              daemon.on_drums_threshold, "activation (0-1) that fires a drum onset, for every class or for the "
              "named one (e.g. 0.4 hihat); lower finds softer strokes and more false ones", optional=1),
        Route("/drums/velocity", (Arg("source", str, choices=VELOCITY_SOURCES), Arg("curve_db", float, 1.0, 200.0)),
              daemon.on_drums_velocity, "where drum velocities come from: level (how loud each stroke is against "
              "the loudest of its drum lately; curve_db: a stroke that many dB softer gets a tenth of the velocity, "
              "40 by default) or activation (how sure the model is)", optional=1),
        Route("/drums/velocity_reference", (Arg("command", str, choices=("hold", "adapt")),
                                            Arg("drum", str, choices=DRUM_NAMES)),
              daemon.on_drums_velocity_reference, "hold: each drum's loudest stroke of the last velocity_memory_s "
              "becomes its fixed velocity reference (127), so a quiet passage stays quiet however long it lasts "
              "(a sound check: play each drum hard, then hold; hold kick: the kick's alone, right after it); "
              "adapt: follow the loudest recent stroke again (adapt kick: the kick alone)", optional=1),
        Route("/instruments/threshold", (Arg("value", float, 0.01, 0.99), Arg("instrument", str, choices=INSTRUMENT_NAMES)),
              daemon.on_instruments_threshold, "smoothed activity (0-1) above which an instrument turns on (off below "
              "60% of it), for every class or for the named one (e.g. 0.4 piano); by default each class's own, tuned",
              optional=1),
        Route("/inpaint/attribute", (Arg("name", str, choices=("density", "pitch_range")), Arg("value", float, 0.0, 1.0)),
              daemon.on_inpaint_attribute, "steer the filled bars: note density or pitch range, 0-1"),
    ]


def reference_markdown(routes: list[Route]) -> str:
    """The OSC reference as Markdown tables."""
    lines = ["### OSC inputs (default 127.0.0.1:9000)", "", "| address | arguments | what it does |", "|---|---|---|"]
    for route in routes:
        names = " ".join(f"{a.name}:{a.signature}" for a in route.args)
        if route.optional:
            names = names + " (last optional)" if names else names
        lines.append(f"| `{route.address}` | {names or '-'} | {route.doc} |")
    lines += ["", "### OSC outputs (default 127.0.0.1:9001, plus subscribers)", "",
              "| address | types | content |", "|---|---|---|"]
    lines += [f"| `{address}` | {types or '-'} | {doc} |" for address, types, doc in OUTPUTS]
    return "\n".join(lines) + "\n"
