import numpy as np
import pytest

from bridge.clock import MusicalClock


@pytest.mark.parametrize("bpm", [90.0, 120.0, 177.0])
def test_midi_clock_tempo_and_position_survive_arrival_jitter(bpm):
    rng = np.random.default_rng(0)
    clock = MusicalClock(tempo_bpm=100.0)
    tick_s = 60.0 / (bpm * 24)
    period_s = 128 / 48000  # JACK delivers MIDI once a period: that is the jitter
    clock.midi_start(10.0)
    for i in range(24 * 8):
        true_s = 10.0 + i * tick_s
        clock.midi_tick(true_s + rng.uniform(0, period_s))
    state = clock.state()
    assert state.tempo_bpm == pytest.approx(bpm, rel=0.005)
    beat = 24 * 8 / 24 + 0.5
    assert state.beats_at(10.0 + beat * 60 / bpm) == pytest.approx(beat, abs=0.05)


def test_tempo_change_is_followed_within_a_beat():
    clock = MusicalClock()
    clock.midi_start(0.0)
    t = 0.0
    for _ in range(96):
        clock.midi_tick(t)
        t += 60 / (120 * 24)
    for _ in range(24):
        clock.midi_tick(t)
        t += 60 / (150 * 24)
    assert clock.state().tempo_bpm == pytest.approx(150, rel=0.01)


def test_stop_freezes_and_song_position_continues():
    clock = MusicalClock()
    clock.midi_start(0.0)
    for i in range(48):
        clock.midi_tick(i * 60 / (120 * 24))
    clock.midi_stop(1.0)
    assert not clock.state().running
    clock.midi_song_position(16)  # 16 sixteenths = bar 1 in 4/4
    clock.midi_continue(5.0)
    clock.midi_tick(5.0)
    assert clock.state().beats_at(5.0) == pytest.approx(4.0)


def test_osc_transport_tempo_and_meter():
    clock = MusicalClock(tempo_bpm=120, start_time_s=0.0)
    clock.transport("start", 100.0)
    assert clock.state().beats_at(101.0) == pytest.approx(2.0)
    clock.set_tempo(60.0, 101.0)
    assert clock.state().beats_at(102.0) == pytest.approx(3.0)
    clock.set_meter(2, 2)
    clock.set_position(3, 0.0, 200.0)
    assert clock.state().beats_at(200.0) == pytest.approx(12.0)


def test_osc_tempo_is_refused_while_midi_clock_drives():
    clock = MusicalClock()
    clock.midi_start(0.0)
    clock.midi_tick(0.0)
    clock.midi_tick(0.02)
    assert not clock.set_tempo(90.0, 0.03)


@pytest.mark.parametrize("bpm", [90.0, 120.0, 177.0])
def test_ticks_lost_on_the_way_do_not_move_the_position(bpm):
    """A late JACK cycle drops the MIDI due in it: one tick, or two or three in a row."""
    rng = np.random.default_rng(1)
    clock = MusicalClock(tempo_bpm=bpm)
    tick_s = 60.0 / (bpm * 24)
    clock.midi_start(0.0)
    lost = {30, 61, 62, 100, 101, 102, 150}
    for i in range(24 * 8):
        if i not in lost:
            clock.midi_tick(i * tick_s + rng.uniform(0, 128 / 48000))
    assert clock.ticks_lost == len(lost)
    assert clock.state().beats_at(24 * 8 * tick_s) == pytest.approx(8.0, abs=0.1 / 24)


@pytest.mark.parametrize("new_bpm", [70.0, 60.0, 45.0, 40.0])
def test_a_sudden_slower_tempo_is_a_tempo_not_lost_ticks(new_bpm):
    """Ticks at a half or a third of the tempo land where ticks after lost ones would; at other slower tempi,
    jitter can make the first slow tick look like one."""
    rng = np.random.default_rng(0)
    clock = MusicalClock()
    clock.midi_start(0.0)
    t = 0.0
    for i in range(96 + 48):
        clock.midi_tick(t + rng.uniform(0, 128 / 48000))
        t += 60 / ((120 if i < 96 else new_bpm) * 24)
    assert clock.ticks_lost == 0
    assert clock.state().tempo_bpm == pytest.approx(new_bpm, rel=0.01)
    assert clock.state().beats_at(t) == pytest.approx(6.0, abs=0.1 / 24)


def test_a_tick_sent_late_with_the_next_is_not_taken_for_ticks_lost():
    """A sender that misses a cycle sends what was due in it at once: a tick a whole tick late, then the next."""
    clock = MusicalClock()
    tick_s = 60.0 / (220.0 * 24)
    clock.midi_start(0.0)
    for i in range(62):  # the position is right at once, not only after a refit
        late = i == 60
        clock.midi_tick((i + late) * tick_s)
    assert clock.ticks_lost == 0
    assert clock.state().beats_at(61 * tick_s) == pytest.approx(61 / 24, abs=0.1 / 24)
