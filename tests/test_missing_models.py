"""Missing or corrupt model files switch their engine off with a clear error; the daemon runs on."""

import json
import shutil

from bridge.models import MODELS_DIR
from bridge.remote import DaemonProcess


def test_no_models_at_all_turns_every_engine_off_and_the_daemon_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "mir-bridge-no-such-server")
    empty = tmp_path / "no-models"
    empty.mkdir()
    daemon = DaemonProcess(tmp_path, f'[midi]\napi = "alsa"\n[audio]\nenabled = false\n[models]\ndir = "{empty}"\n')
    try:
        log = daemon.log()
        for engine in ("drum transcription is off", "instrument activity is off", "inpainting is off"):
            assert engine in log
        assert daemon.osc.status()["errors_model"] == 3
        daemon.osc.send("/instruments/threshold", 0.4, "piano")  # an engine that is off: reported, not a crash
        status = daemon.osc.status_once(lambda status: status.get("errors_instruments") == 1)
        assert status.get("errors_instruments") == 1 and "the instruments engine is off" in daemon.log()
        assert daemon.osc.ping() is not None
    finally:
        assert daemon.stop() == 0


def test_a_corrupt_drum_model_leaves_the_other_engines_running(tmp_path, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "mir-bridge-no-such-server")
    models = tmp_path / "models"
    shutil.copytree(MODELS_DIR, models, ignore=shutil.ignore_patterns("*.md", "*.png"))
    drums = json.loads((models / "manifest.json").read_text())
    drum_file = next(m for m in drums["models"] if m["name"] == "drums")["files"]["model"]
    (models / drum_file).write_bytes(b"\x08\x07 not a model" * 20)
    daemon = DaemonProcess(tmp_path, f'[midi]\napi = "alsa"\n[audio]\nenabled = false\n[models]\ndir = "{models}"\n')
    try:
        log = daemon.log()
        assert "drum transcription is off" in log and "cannot be loaded" in log
        assert "instrument activity is off" not in log and "inpainting is off" not in log
        assert daemon.osc.status()["errors_model"] == 1
    finally:
        assert daemon.stop() == 0


def test_a_drum_model_the_manifest_lacks_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "mir-bridge-no-such-server")
    daemon = DaemonProcess(tmp_path, '[midi]\napi = "alsa"\n[audio]\nenabled = false\n[drums]\nmodel = "drums_typo"\n')
    try:
        log = daemon.log()
        assert "drum transcription is off" in log and "no model 'drums_typo'" in log
        assert "instrument activity is off" not in log and daemon.osc.status()["errors_model"] == 1
    finally:
        assert daemon.stop() == 0
