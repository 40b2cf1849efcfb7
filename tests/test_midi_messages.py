import pytest

from bridge.midi_messages import MidiDecodeError, decode


def test_channel_and_system_messages():
    assert decode([0x92, 60, 100]).kind == "note_on" and decode([0x92, 60, 100]).channel == 3
    assert decode([0x90, 60, 0]).kind == "note_off"
    assert decode([0xF8]).kind == "clock"
    assert decode([0xF2, 0x10, 0x01]).data == (0x10, 0x01)
    assert decode([0xF0, 1, 2, 0xF7]).kind == "sysex"


@pytest.mark.parametrize(
    "data, reason",
    [
        ([], "empty"),
        ([0x90, 60], "truncated note_on"),
        ([0x3C, 0x40], "without a status"),
        ([0xF4], "undefined status"),
        ([0x90, 60, 100, 5], "over-long"),
        ([0x90, 0x80, 100], "status byte inside"),
        ([0xF0, 1, 2], "unterminated"),
    ],
)
def test_bad_bytes_are_rejected_with_the_reason(data, reason):
    with pytest.raises(MidiDecodeError, match=reason):
        decode(data)
