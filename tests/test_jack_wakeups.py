"""Readers of the C JACK callbacks sleep until the callback wakes them, over a real JACK server (dummy driver)."""

import time

import jack
import numpy as np
import pytest

from bridge.io.jack_rt import AudioTap, ClientCallbacks
from bridge.ringbuffer import RingBuffer

pytestmark = pytest.mark.jack


@pytest.fixture
def client(jack_server):
    client = jack.Client("wakeups", no_start_server=True)
    yield client
    client.deactivate()
    client.close()


def test_the_audio_tap_wakes_its_reader_once_the_samples_are_in(client):
    tap = AudioTap(client, [client.inports.register("in_1")], capacity=48000)
    client.activate()
    try:
        target = tap.written + 4 * client.blocksize
        assert tap.wait_for(target, 1.0) and tap.written >= target
        started = time.monotonic()
        assert not tap.wait_for(tap.written + 10 * 48000, 0.05)  # ten seconds away: the wait times out
        assert 0.04 < time.monotonic() - started < 0.5
    finally:
        client.deactivate()
        tap.free()
    assert not tap.wait_for(1, 0.01)  # freed: nothing to wait for


def test_a_midi_reader_sleeps_until_an_event_comes_in(client):
    midi_out, midi_in = client.midi_outports.register("out"), client.midi_inports.register("in")
    callbacks = ClientCallbacks(client, midi_out, midi_in)
    client.activate()
    try:
        client.connect(midi_out, midi_in)
        started = time.monotonic()
        assert not callbacks.wait(0.05) and callbacks.receive() == []
        assert time.monotonic() - started > 0.04
        callbacks.send(client.frame_time + client.blocksize, bytes([0x99, 36, 100]))
        assert callbacks.wait(1.0)
        assert [data for _, data, _ in callbacks.receive()] == [bytes([0x99, 36, 100])]
    finally:
        client.deactivate()
        callbacks.free()


def test_the_python_ring_waits_by_looking():
    ring = RingBuffer(1000)
    assert not ring.wait_for(10, 0.01)
    ring.write(np.zeros(10, np.float32))
    assert ring.wait_for(10, 0.0)
