"""Decode and validate raw MIDI bytes into small immutable messages.

The daemon never trusts a backend to hand it well-formed MIDI: truncated
messages, data bytes without a status byte and undefined status bytes are
rejected here with a message that says what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

_CHANNEL_KINDS = {
    0x80: ("note_off", 2),
    0x90: ("note_on", 2),
    0xA0: ("polytouch", 2),
    0xB0: ("control_change", 2),
    0xC0: ("program_change", 1),
    0xD0: ("aftertouch", 1),
    0xE0: ("pitchwheel", 2),
}
_SYSTEM_KINDS = {
    0xF1: ("quarter_frame", 1),
    0xF2: ("song_position", 2),
    0xF3: ("song_select", 1),
    0xF6: ("tune_request", 0),
    0xF8: ("clock", 0),
    0xFA: ("start", 0),
    0xFB: ("continue", 0),
    0xFC: ("stop", 0),
    0xFE: ("active_sensing", 0),
    0xFF: ("reset", 0),
}


class MidiDecodeError(ValueError):
    """Bytes that are not one valid MIDI message."""


@dataclass(frozen=True)
class MidiMessage:
    """One MIDI message.

    Attributes
    ----------
    kind : str
        ``note_on``, ``note_off``, ``control_change``, ``clock``, ``sysex``, ...
        (a note-on with velocity 0 is decoded as ``note_off``).
    channel : int
        1-16 for channel messages, 0 for system messages.
    data : tuple of int
        The data bytes after the status byte.
    """

    kind: str
    channel: int
    data: tuple[int, ...]


def _describe(data: Sequence[int]) -> str:
    shown = " ".join(f"{b:02X}" for b in list(data)[:8])
    return shown + (" ..." if len(data) > 8 else "")


def decode(data: Sequence[int]) -> MidiMessage:
    """Decode one complete MIDI message.

    Raises
    ------
    MidiDecodeError
        Empty, truncated, over-long, undefined or status-less input.
    """
    if len(data) == 0:
        raise MidiDecodeError("empty MIDI message")
    if any(not 0 <= b <= 0xFF for b in data):
        raise MidiDecodeError(f"MIDI bytes out of range: {_describe(data)}")
    status = data[0]
    if status < 0x80:
        raise MidiDecodeError(f"data byte without a status byte: {_describe(data)}")
    payload = tuple(data[1:])
    if any(b >= 0x80 for b in payload) and status != 0xF0:
        raise MidiDecodeError(f"status byte inside message data: {_describe(data)}")
    if status == 0xF0:
        if payload[-1:] != (0xF7,) or any(b >= 0x80 for b in payload[:-1]):
            raise MidiDecodeError(f"unterminated or corrupt sysex of {len(data)} bytes")
        return MidiMessage("sysex", 0, payload[:-1])
    if status < 0xF0:
        kind, length = _CHANNEL_KINDS[status & 0xF0]
        channel = (status & 0x0F) + 1
    elif status in _SYSTEM_KINDS:
        kind, length = _SYSTEM_KINDS[status]
        channel = 0
    else:
        raise MidiDecodeError(f"undefined status byte {status:02X}")
    if len(payload) != length:
        what = "truncated" if len(payload) < length else "over-long"
        raise MidiDecodeError(f"{what} {kind}: expected {length} data bytes, got {len(payload)} ({_describe(data)})")
    if kind == "note_on" and payload[1] == 0:
        kind = "note_off"
    return MidiMessage(kind, channel, payload)


def note_on(pitch: int, velocity: int, channel: int = 1) -> tuple[int, int, int]:
    """Bytes of a note-on; channel 1-16."""
    return (0x90 | (channel - 1), pitch & 0x7F, velocity & 0x7F)


def note_off(pitch: int, channel: int = 1) -> tuple[int, int, int]:
    """Bytes of a note-off; channel 1-16."""
    return (0x80 | (channel - 1), pitch & 0x7F, 0)


def all_notes_off(channel: int) -> tuple[int, int, int]:
    """Control change 123 (all notes off) on ``channel`` 1-16."""
    return (0xB0 | (channel - 1), 123, 0)
