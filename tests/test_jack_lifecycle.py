"""The JACK server going away and coming back while the daemon runs."""

import time

from bridge.io.jack_server import DummyJackServer
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
        deadline = time.monotonic() + 5
        status = client.status()
        while not (status["midi_open"] and status["audio_open"]) and time.monotonic() < deadline:
            time.sleep(0.1)  # MIDI reopens first, then audio: wait for both
            status = client.status()
        assert status["midi_open"] == 1 and status["audio_open"] == 1, daemon.log()
    finally:
        daemon.stop()
        server.stop()
