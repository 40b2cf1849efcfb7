"""freepats' GUS patches read as recordings: patches written here byte by byte, and the real Debian ones."""

import numpy as np
import pytest

from export.data.multitrack import FREEPATS
from export.data.render import bank_patches
from export.gus_patches import (HEADER_BYTES, MODES, SAMPLE_COUNT_OFFSET, SAMPLE_HEADER, SIXTEEN_BIT, UNSIGNED, PatchBank,
                                read_patch)

needs_freepats = pytest.mark.skipif(not FREEPATS.exists(), reason="needs the Debian packages timidity and freepats")


def patch_bytes(samples: list[tuple[bytes, int, int]]) -> bytes:
    """A GUS patch of one layer holding ``samples``: (raw audio, rate in Hz, modes) each."""
    header = bytearray(HEADER_BYTES)
    header[:22] = b"GF1PATCH110\0ID#000002\0"
    header[SAMPLE_COUNT_OFFSET] = len(samples)
    body = b""
    for raw, rate_hz, modes in samples:
        fields = [b"wave", 0, len(raw), 0, len(raw), rate_hz, 20000, 20000000, 440000, 0, 7, b"\0" * 6, b"\0" * 6,
                  0, 0, 0, 0, 0, 0, modes, 1024, 1024, b"\0" * 36]
        assert len(fields) == MODES + 4
        body += SAMPLE_HEADER.pack(*fields) + raw
    return bytes(header) + body


def test_signed_and_unsigned_8_and_16_bit_samples_read_back_as_the_same_wave(tmp_path):
    wave = np.round(np.sin(np.linspace(0, 2 * np.pi, 64, endpoint=False)) * 100).astype(int)
    path = tmp_path / "four.pat"
    path.write_bytes(patch_bytes([((wave * 256).astype("<i2").tobytes(), 44100, SIXTEEN_BIT),
                                  ((wave * 256 + 32768).astype("<u2").tobytes(), 22050, SIXTEEN_BIT | UNSIGNED),
                                  (wave.astype("i1").tobytes(), 32000, 0),
                                  ((wave + 128).astype("u1").tobytes(), 8000, UNSIGNED)]))
    samples = read_patch(path)
    assert [rate for _, rate in samples] == [44100, 22050, 32000, 8000]
    for audio, _ in samples:
        assert np.allclose(audio, wave / 128)


def test_a_file_that_is_not_a_patch_or_is_cut_short_is_named(tmp_path):
    (tmp_path / "text.pat").write_bytes(b"not a patch" * 40)
    with pytest.raises(ValueError, match="not a GUS patch"):
        read_patch(tmp_path / "text.pat")
    (tmp_path / "short.pat").write_bytes(patch_bytes([(b"\0" * 200, 44100, SIXTEEN_BIT)])[:-50])
    with pytest.raises(ValueError, match="cut short"):
        read_patch(tmp_path / "short.pat")


def test_the_configuration_gives_each_program_of_bank_0_its_patch(tmp_path):
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "piano.pat").write_bytes(b"")
    (tmp_path / "timidity.cfg").write_text(f"dir {tmp_path / 'first'}\ndir {tmp_path / 'second'}\n\n"
                                           "drumset 0\n 35\tkick.pat\n"
                                           "bank 0\n 0\tpiano.pat amp=120  # a comment\n 73\tflute\n"
                                           "bank 1\n 0\tother.pat\n")
    assert bank_patches(tmp_path / "timidity.cfg") == {0: tmp_path / "second" / "piano.pat",
                                                       73: tmp_path / "second" / "flute.pat"}  # the last dir first


@needs_freepats
def test_every_freepats_patch_reads_and_every_pitched_class_has_recordings():
    bank = PatchBank(FREEPATS)
    assert len(bank.programs) > 60
    for path in bank.programs.values():
        samples = read_patch(path)
        assert samples and all(len(audio) > 0 and 8000 <= rate <= 96000 for audio, rate in samples)
    clips = bank.clips_by_class(22050)
    assert {"piano", "trumpet", "clarinet", "saxophone", "flute", "strings"} <= set(clips)
    peaks = [np.abs(clip).max() for found in clips.values() for clip in found]
    assert np.isfinite(peaks).all() and max(peaks) < 1.5  # resampled: a little over full scale at most
