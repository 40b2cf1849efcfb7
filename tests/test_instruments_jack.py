"""Instrument activity in the daemon: audio over real JACK in, OSC out for visuals."""

import time

import librosa
import numpy as np
import pytest

from bridge.config import load_config
from bridge.demo import DEMO_DATA
from bridge.engines.instruments import InstrumentModel
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from bridge.remote import Received
from tests.conftest import check_threshold_osc, thresholds_become

pytestmark = pytest.mark.jack


UPDATES_PER_S = load_config().instruments.updates_per_s  # the daemon fixture runs on the defaults


def analysis_backlog_s(status: dict[str, float], peer) -> float:
    """Seconds of audio the daemon has taken in from JACK but not analysed yet (a loaded machine makes the
    analysis lag): every JACK cycle the input saw brought a period, and the analysis counts what it read."""
    return (status["audio_blocks"] * peer.period_frames - status["audio_samples"]) / peer.sample_rate_hz


def in_stream_time(messages: list[Received], start_s: float) -> list[tuple[float, Received]]:
    """Each message with its time in the audio played, counted in the activity updates before it (ten a second
    of audio) less the ``start_s`` seconds of audio that were waiting to be analysed when it began: on a loaded
    machine the analysis lags, and the times the messages arrive would move with it."""
    updates = 0
    timed = []
    for message in messages:
        updates += message.address == "/instrument/activity"
        timed.append((updates / UPDATES_PER_S - start_s, message))
    return timed


def test_a_held_out_trio_over_jack_reports_drums_bass_and_piano_and_drums_turn_off_when_they_stop(daemon, peer):
    """The trio: piano, electric bass and drums, the drums stopping at 8 s."""
    client = daemon.osc
    index = client.mark()
    client.send("/bridge/subscribe", client.port)
    classes = client.wait_for("/instrument/classes", 2.0, since=index)
    assert classes is not None and "piano" in classes.args
    audio, _ = librosa.load(str(DEMO_DATA / "instruments_trio.wav"), sr=peer.sample_rate_hz)
    seconds = len(audio) / peer.sample_rate_hz
    backlog_s = analysis_backlog_s(client.status(), peer)
    index = client.mark()
    peer.play(audio)
    wanted = (backlog_s + seconds + 1.5) * UPDATES_PER_S
    deadline = time.monotonic() + seconds + 30.0
    while len(client.since(index, "/instrument/activity")) < wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    timed = in_stream_time(client.since(index), backlog_s)
    updates = [(t, np.array(m.args)) for t, m in timed if m.address == "/instrument/activity"]
    assert len(updates) >= 9 * seconds  # ten a second (only while audio flows)
    steady = np.mean([a for t, a in updates if 2.5 <= t < 8.0], axis=0)
    top3 = {classes.args[i] for i in np.argsort(-steady)[:3]}
    assert top3 == {"drums", "electric_bass", "piano"}, dict(zip(classes.args, steady.round(2)))
    drums_on = [t for t, m in timed if m.address == "/instrument/drums" and m.args[0] > 0]
    status = client.status()
    disturbed = {k: status.get(k) for k in ("jack_xruns", "audio_frames_skipped", "audio_samples_missed")}
    assert drums_on and max(drums_on) < 8.0 + 1.0 + 0.2, \
        f"drums on until {max(drums_on, default=0):.1f} s, more than a second after they stopped; {disturbed}"
    assert client.since(index, "/instrument/attention") and client.since(index, "/instrument/clip")
    families = client.since(0, "/instrument/families")[-1].args  # sent with the classes to the new subscriber
    steady_families = np.mean([np.array(m.args) for t, m in timed
                               if m.address == "/instrument/family_activity" and 2.5 <= t < 8.0], axis=0)
    assert len(steady_families) == len(families) == 8
    by_family = dict(zip(families, steady_families))
    assert by_family["drums"] == pytest.approx(steady[classes.args.index("drums")], abs=1e-5)
    assert by_family["keys"] >= steady[classes.args.index("piano")] - 1e-5  # the largest of piano, e-piano, organ


def test_each_class_starts_at_its_tuned_threshold_and_osc_changes_one_or_all(daemon):
    client = daemon.osc
    client.send("/bridge/subscribe", client.port)
    tuned = dict(zip(INSTRUMENT_NAMES, InstrumentModel(provider="cpu").thresholds.tolist()))
    assert thresholds_become(client, "instruments", tuned) == pytest.approx(tuned)
    check_threshold_osc(client, "instruments", tuned, "piano", "kazoo")
