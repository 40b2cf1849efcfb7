"""Devices and ports that cannot be opened are reported, and the daemon runs on without them.

No JACK server runs in this test: ALSA is the MIDI backend, and this machine has no ALSA sequencer
or sound card, so MIDI and audio are unavailable for real (where a machine has them, the asserted
errors for the device named below still hold).
"""

from bridge.remote import DaemonProcess


def test_missing_audio_device_and_midi_backend_are_reported_and_osc_still_works(tmp_path, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "mir-bridge-no-such-server")
    daemon = DaemonProcess(tmp_path, '[midi]\napi = "alsa"\nin_connect = "unplugged keyboard"\n'
                                     '[audio]\nbackend = "portaudio"\ndevice = "no such sound card"\n')
    try:
        status = daemon.osc.status()
        assert status["audio_open"] == 0 and status["errors_audio"] == 1
        assert status["errors_midi"] == 1 or status["midi_open"] == 1
        log = daemon.log()
        assert "no audio input device matches 'no such sound card'; running without audio input" in log
        assert "running without MIDI" in log or "'unplugged keyboard' not found" in log
        assert daemon.osc.ping() is not None
    finally:
        assert daemon.stop() == 0
