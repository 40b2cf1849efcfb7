"""The JACK server going away and coming back while the daemon runs."""

import os
import shutil
import time
from pathlib import Path

import pytest

from bridge.io.jack_server import JACK_SERVER_DIR, DummyJackServer, damaged_metadata, jack_server_process_running
from bridge.io.jack_player import JackPlayer
from bridge.remote import DaemonProcess


def test_daemon_reports_jack_loss_reconnects_within_2s_and_midi_flows_again(tmp_path):
    server = DummyJackServer().start()
    daemon = DaemonProcess(tmp_path)
    client = daemon.osc
    try:
        client.send("/bridge/subscribe", client.port)
        time.sleep(0.2)
        index = client.mark()
        server.stop()
        down = client.wait_for("/bridge/jack", 3.0, since=index, predicate=lambda m: m.args == ["down"])
        error = client.wait_for("/bridge/error", 3.0, since=index, predicate=lambda m: m.args[0] == "jack")
        assert down is not None and error is not None and "went away" in error.args[1], daemon.log()
        assert client.ping() is not None, "the daemon must keep answering without JACK"

        time.sleep(0.5)
        server.start()
        back_s = time.monotonic()
        up = client.wait_for("/bridge/jack", 5.0, since=index, predicate=lambda m: m.args == ["up"])
        assert up is not None and up.time_s - back_s < 2.0, daemon.log()

        peer = JackPlayer("after-restart")
        try:
            peer.connect_to_daemon(daemon.client_name)
            index = client.mark()
            peer.send_at(peer.now_frame() + 256, [0x90, 67, 80])
            note = client.wait_for("/bridge/note", 2.0, since=index)
            assert note is not None and note.args[:2] == [67, 80], daemon.log()
        finally:
            peer.close()
    finally:
        status = daemon.stop()
        server.stop()
    assert status == 0, daemon.log()


def test_daemon_started_without_jack_picks_it_up_when_it_starts(tmp_path, monkeypatch):
    server = DummyJackServer()
    monkeypatch.setenv("JACK_DEFAULT_SERVER", server.name)  # the server the daemon will wait for
    daemon = DaemonProcess(tmp_path, '[midi]\napi = "jack"\n[audio]\nbackend = "jack"\n')
    client = daemon.osc
    try:
        assert client.status()["midi_open"] == 0
        server.start()
        status = _status_once_ports_open(client)
        assert status["midi_open"] == 1 and status["audio_open"] == 1, daemon.log()
    finally:
        daemon.stop()
        server.stop()


def _status_once_ports_open(client, timeout_s: float = 5.0) -> dict:
    """The daemon's status once both MIDI and audio are open (MIDI reopens first, then audio), or at the timeout."""
    return client.status_once(lambda status: status["midi_open"] and status["audio_open"], timeout_s)


@pytest.mark.skipif(jack_server_process_running(), reason="a JACK server of this machine owns the metadata database")
def test_damaged_jack_metadata_is_reported_and_a_private_server_clears_it(tmp_path, monkeypatch):
    """Left empty by an interrupted creation, a Berkeley DB region file made jackd fail and every
    JACK client die of SIGBUS (seen after a crashed run); the daemon says so and does not touch it."""
    database = Path(JACK_SERVER_DIR) / f"jack_db-{os.getuid()}"
    server = DummyJackServer().start()
    shutil.copytree(database, tmp_path / "jack_db")  # a healthy database, as a running server has it
    server.stop()
    shutil.copytree(tmp_path / "jack_db", database, dirs_exist_ok=True)
    (database / "__db.002").write_bytes(b"")  # as the crashed run left it
    monkeypatch.setenv("JACK_DEFAULT_SERVER", server.name)
    daemon = DaemonProcess(tmp_path, '[midi]\napi = "jack"\n[audio]\nbackend = "jack"\n')
    client = daemon.osc
    try:
        assert client.status()["midi_open"] == 0
        assert "metadata database is damaged" in daemon.log()
        server.start()
        assert not damaged_metadata()
        status = _status_once_ports_open(client)
        assert status["midi_open"] == 1 and status["audio_open"] == 1, daemon.log()
    finally:
        daemon.stop()
        server.stop()
        shutil.rmtree(database, ignore_errors=True)
