"""A daemon that stops answering can be asked where it hangs: SIGUSR1 writes every thread's stack to its log,
and it runs on."""

import signal
import time

from bridge.remote import DaemonProcess


def test_sigusr1_writes_every_threads_stack_to_the_log_and_the_daemon_runs_on(tmp_path, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "mir-bridge-no-such-server")
    daemon = DaemonProcess(tmp_path, '[midi]\napi = "alsa"\n[audio]\nenabled = false\n[inpaint]\nenabled = false\n')
    try:
        # It answers pings before its main thread enters run_forever; it says when it has.
        deadline = time.monotonic() + 5
        while "is running" not in daemon.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        daemon.process.send_signal(signal.SIGUSR1)
        while "run_forever" not in daemon.log() and time.monotonic() < deadline + 5:
            time.sleep(0.05)
        log = daemon.log()
        assert "run_forever" in log and "scheduler.py" in log and "most recent call first" in log
        assert daemon.osc.ping() is not None
    finally:
        assert daemon.stop() == 0
