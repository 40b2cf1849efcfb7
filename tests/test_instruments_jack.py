"""Instrument activity in the daemon: audio over real JACK in, OSC out for visuals."""

import time

import librosa
import numpy as np
import pytest

from bridge.demo import DEMO_DATA

pytestmark = pytest.mark.jack


def test_a_held_out_trio_over_jack_reports_drums_and_bass_and_drums_turn_off_when_they_stop(daemon, peer):
    """The trio: piano, electric bass and drums, the drums stopping at 8 s (see test_instruments_engine.py
    for why piano is not required among the top three)."""
    client = daemon.osc
    index = client.mark()
    client.send("/bridge/subscribe", client.port)
    classes = client.wait_for("/instrument/classes", 2.0, since=index)
    assert classes is not None and "piano" in classes.args
    audio, _ = librosa.load(str(DEMO_DATA / "instruments_trio.wav"), sr=peer.sample_rate_hz)
    index = client.mark()
    started = time.monotonic()
    peer.play(audio)
    time.sleep(len(audio) / peer.sample_rate_hz + 1.5)
    updates = client.since(index, "/instrument/activity")
    seconds = [(m.time_s - started, np.array(m.args)) for m in updates]
    assert len(updates) >= 9 * len(audio) / peer.sample_rate_hz  # ten a second (only while audio flows)
    steady = np.mean([a for t, a in seconds if 2.5 <= t < 8.0], axis=0)
    top3 = {classes.args[i] for i in np.argsort(-steady)[:3]}
    assert "drums" in top3 and {"electric_bass", "double_bass"} & top3, dict(zip(classes.args, steady.round(2)))
    drums_on = [m.time_s - started for m in client.since(index, "/instrument/drums") if m.args[0] > 0]
    assert drums_on and max(drums_on) < 8.0 + 1.0 + 0.2, "drums on more than a second after they stopped"
    assert client.since(index, "/instrument/attention") and client.since(index, "/instrument/clip")
