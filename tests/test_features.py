"""The shared log-mel front end: causal, block-size independent, any input rate."""

import numpy as np
import pytest

from bridge.features import DRUM_FEATURES, LogMelStream, StreamResampler, log_compress, log_expand, log_mel


def test_blocks_of_any_size_give_the_frames_of_one_long_block():
    audio = np.random.default_rng(0).standard_normal(48000).astype(np.float32) * 0.1
    whole = log_mel(audio, 48000)
    stream = LogMelStream()
    sizes = np.random.default_rng(1).integers(1, 700, 500)
    edges = np.minimum(np.cumsum(np.concatenate(([0], sizes))), len(audio))
    pieces = [stream.process(audio[a:b], 48000) for a, b in zip(edges[:-1], edges[1:])]
    pieces.append(stream.process(audio[edges[-1]:], 48000))
    assert np.abs(np.concatenate(pieces) - whole).max() < 1e-5


def test_one_second_gives_a_hundred_frames_and_silence_gives_zeros():
    frames = log_mel(np.zeros(DRUM_FEATURES.sample_rate_hz, np.float32), DRUM_FEATURES.sample_rate_hz)
    assert frames.shape == (100, DRUM_FEATURES.n_mels)
    assert not frames.any()


def test_frames_are_causal_a_click_shows_in_the_frame_that_ends_after_it():
    rate = DRUM_FEATURES.sample_rate_hz
    audio = np.zeros(rate, np.float32)
    click_at = 5000
    audio[click_at] = 1.0
    energy = log_mel(audio, rate).sum(axis=1)
    first = int(np.flatnonzero(energy > 1e-3)[0])
    assert (first + 1) * DRUM_FEATURES.hop > click_at >= first * DRUM_FEATURES.hop


@pytest.mark.parametrize("rate", [44100, 48000, 96000, 16000])
def test_a_tone_lands_in_the_same_mel_band_whatever_the_input_rate(rate):
    t = np.arange(rate) / rate
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    reference = log_mel((0.5 * np.sin(2 * np.pi * 1000 * np.arange(22050) / 22050)).astype(np.float32), 22050)
    frames = log_mel(tone, rate)
    assert len(frames) == pytest.approx(100, abs=1)
    assert frames[20:].mean(axis=0).argmax() == reference[20:].mean(axis=0).argmax()
    assert frames[20:].max() == pytest.approx(reference[20:].max(), abs=0.1)


def test_the_resampler_keeps_no_alias_of_a_tone_above_the_new_nyquist():
    rate = 48000
    tone = np.sin(2 * np.pi * 15000 * np.arange(rate) / rate).astype(np.float32)  # above 11025 Hz
    out = StreamResampler(22050).process(tone, rate)
    assert np.sqrt(np.mean(out[2000:] ** 2)) < 0.01


@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000, 96000, 192000, 384000])
def test_the_resampler_filters_as_the_butterworth_sections_would(rate):
    from scipy import signal

    audio = np.random.default_rng(3).uniform(-1, 1, rate).astype(np.float32)
    out = StreamResampler(22050).process(audio, rate)
    cutoff = 0.45 * min(rate, 22050) / (rate / 2)
    filtered = signal.sosfilt(signal.butter(10, cutoff, output="sos"), audio)  # the numerically safe form
    # Output k reads position k * rate / 22050, where position 0 is the silence before the first sample.
    expected = np.interp(np.arange(len(out)) * rate / 22050, np.arange(len(audio) + 1), np.concatenate(([0.0], filtered)))
    assert np.abs(out - expected).max() < 1e-5


def test_a_reset_stream_starts_over_as_a_new_one():
    audio = np.random.default_rng(2).standard_normal(48000).astype(np.float32) * 0.1
    stream = LogMelStream()
    stream.process(audio, 48000)
    stream.reset()
    assert np.array_equal(stream.process(audio, 48000), log_mel(audio, 48000))


def test_log_expand_inverts_log_compress():
    power = np.array([0.0, 1e-6, 0.01, 3.0], np.float32)
    assert np.allclose(log_expand(log_compress(power, DRUM_FEATURES), DRUM_FEATURES), power, rtol=1e-4, atol=1e-9)


@pytest.mark.parametrize("rate", [22050, 44100, 48000])
def test_the_samples_wanted_complete_exactly_the_next_frame(rate):
    """The analysis thread sleeps until these samples are in: fed exactly them, the stream gives one frame."""
    stream = LogMelStream(DRUM_FEATURES)
    stream.process(np.zeros(7, np.float32), rate)  # start mid-frame
    noise = np.random.default_rng(0).standard_normal(rate).astype(np.float32) * 0.1
    position = 0
    for _ in range(20):
        wanted = stream.samples_wanted(rate)
        if wanted > 1:
            assert len(stream.process(noise[position:position + wanted - 1], rate)) == 0
            position += wanted - 1
        assert len(stream.process(noise[position:position + 1], rate)) == 1
        position += 1


def test_frames_at_two_phases_are_the_same_frames_twice_as_often():
    fine = DRUM_FEATURES.at_phases(2)
    assert fine.hop * 2 == DRUM_FEATURES.hop and fine.n_fft == DRUM_FEATURES.n_fft and DRUM_FEATURES.at_phases(1) == DRUM_FEATURES
    for phases in (0, 3):  # 220 samples do not split into 3 phases
        with pytest.raises(ValueError, match=f"{phases} phases do not divide the hop of 220 samples"):
            DRUM_FEATURES.at_phases(phases)
