"""Render MIDI to audio with FluidSynth and the Debian soundfonts."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import librosa
import numpy as np
from scipy.io import wavfile

GM_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def render_midi(midi_path: Path, sample_rate_hz: int = 22050, soundfont: Path = GM_SOUNDFONT,
                gain: float = 0.6) -> np.ndarray:
    """Render ``midi_path`` to mono float32 at ``sample_rate_hz``.

    Raises
    ------
    RuntimeError
        When fluidsynth or the soundfont is missing.
    """
    if shutil.which("fluidsynth") is None:
        raise RuntimeError("fluidsynth is not installed (Debian: apt-get install fluidsynth)")
    if not soundfont.exists():
        raise RuntimeError(f"soundfont {soundfont} is missing (Debian: apt-get install fluid-soundfont-gm)")
    with tempfile.TemporaryDirectory() as workdir:
        wav = Path(workdir) / "render.wav"
        subprocess.run(["fluidsynth", "-ni", "-q", "-g", str(gain), "-r", str(sample_rate_hz), "-F", str(wav),
                        str(soundfont), str(midi_path)], check=True, capture_output=True)
        audio, _ = librosa.load(wav, sr=sample_rate_hz, mono=True)
    return audio.astype(np.float32)


def write_wav(path: Path, audio: np.ndarray, sample_rate_hz: int) -> None:
    """16-bit PCM, peak-normalised to -1 dBFS."""
    peak = float(np.max(np.abs(audio))) or 1.0
    pcm = np.round(audio / peak * 0.891 * 32767).astype(np.int16)
    wavfile.write(path, sample_rate_hz, pcm)
