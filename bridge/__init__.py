"""mir-bridge: trained music models live over MIDI, OSC and audio."""

__version__ = "0.1.0"
