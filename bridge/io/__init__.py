"""Transports: MIDI (rtmidi), OSC (UDP) and audio (sounddevice), and the JACK server."""
