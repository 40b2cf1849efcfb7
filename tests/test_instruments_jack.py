"""Instrument activity in the daemon: audio over real JACK in, OSC out for visuals."""

import time

import librosa
import numpy as np
import pytest

from bridge.demo import DEMO_DATA
from bridge.remote import Received

pytestmark = pytest.mark.jack


def in_stream_time(messages: list[Received], updates_per_s: float = 10.0) -> list[tuple[float, Received]]:
    """Each message with its time in the audio stream, counted in the activity updates before it (ten a second
    of audio): on a loaded machine the analysis lags, and the times the messages arrive would move with it."""
    updates = 0
    timed = []
    for message in messages:
        updates += message.address == "/instrument/activity"
        timed.append((updates / updates_per_s, message))
    return timed


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
    peer.play(audio)
    time.sleep(len(audio) / peer.sample_rate_hz + 1.5)
    timed = in_stream_time(client.since(index))
    updates = [(t, np.array(m.args)) for t, m in timed if m.address == "/instrument/activity"]
    assert len(updates) >= 9 * len(audio) / peer.sample_rate_hz  # ten a second (only while audio flows)
    steady = np.mean([a for t, a in updates if 2.5 <= t < 8.0], axis=0)
    top3 = {classes.args[i] for i in np.argsort(-steady)[:3]}
    assert "drums" in top3 and {"electric_bass", "double_bass"} & top3, dict(zip(classes.args, steady.round(2)))
    drums_on = [t for t, m in timed if m.address == "/instrument/drums" and m.args[0] > 0]
    assert drums_on and max(drums_on) < 8.0 + 1.0 + 0.2, "drums on more than a second after they stopped"
    assert client.since(index, "/instrument/attention") and client.since(index, "/instrument/clip")
