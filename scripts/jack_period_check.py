"""How a private JACK dummy server keeps its cycles on this machine, at each period given.

For each period: the daemon runs on the server, as in the tests, and one C client sends ``--events`` MIDI
events 400 frames apart to another C client and to the daemon's MIDI in. The script prints how many each
received (fewer: lost in a late cycle; more: delivered twice) and how many overruns jackd logged. This is the
measurement behind the tests' period (``tests/conftest.py``).

    .venv/bin/python scripts/jack_period_check.py 128 1024
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bridge.io.jack_player import JackPlayer
from bridge.io.jack_server import DummyJackServer
from bridge.remote import DaemonProcess

SPACING_FRAMES = 400


def check(period_frames: int, events: int) -> dict[str, int]:
    """Events sent, received by a C client and by the daemon, and jackd's overrun lines, at ``period_frames``."""
    with DummyJackServer(48000, period_frames) as server, tempfile.TemporaryDirectory() as workdir:
        daemon = DaemonProcess(Path(workdir))
        sender, receiver = JackPlayer("period-check-send"), JackPlayer("period-check-receive")
        try:
            sender.connect_to_daemon(daemon.client_name, midi_out=False, audio=False)
            sender.client.connect(sender.midi_out, receiver.midi_in)
            time.sleep(1.0)
            before = daemon.osc.status()["midi_in"]
            start = sender.now_frame() + 4800
            for i in range(events):
                sender.send_at(start + i * SPACING_FRAMES, [0xF8])
            time.sleep(events * SPACING_FRAMES / 48000 + 1.0)
            by_daemon = daemon.osc.status()["midi_in"] - before
            by_client = len(receiver.received)
        finally:
            sender.close()
            receiver.close()
            daemon.stop()
        overruns = sum("XRun" in line or "not finished" in line for line in server.messages().splitlines())
    return {"period_frames": period_frames, "sent": events, "received_by_client": by_client,
            "received_by_daemon": by_daemon, "jackd_overruns": overruns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("periods", type=int, nargs="+", help="JACK periods in frames, e.g. 128 1024")
    parser.add_argument("--events", type=int, default=1200, help="MIDI events a run (default 1200: 10 s)")
    args = parser.parse_args()
    for period in args.periods:
        print(check(period, args.events), flush=True)


if __name__ == "__main__":
    main()
