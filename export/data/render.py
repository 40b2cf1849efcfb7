"""Render MIDI to audio: FluidSynth with the Debian soundfonts, or TiMidity++ with a set of GUS patches (freepats)."""

from __future__ import annotations

import re
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

    ``soundfont`` is an SF2 or SF3 file, rendered by FluidSynth, or a TiMidity++ configuration (``.cfg``) of GUS
    patches such as freepats', rendered by TiMidity++ without its own reverb and chorus: another synthesiser and
    other samples, so that a model trained on both does not learn one synthesiser. ``gain`` is FluidSynth's;
    TiMidity++ amplifies by ``200 * gain`` percent, its 100% being about as loud as FluidSynth's 0.5.

    Raises
    ------
    RuntimeError
        When the synthesiser or the soundfont is missing.
    """
    timidity = soundfont.suffix == ".cfg"
    program = "timidity" if timidity else "fluidsynth"  # the Debian package has the program's name
    if shutil.which(program) is None:
        raise RuntimeError(f"{program} is not installed (Debian: apt-get install {program})")
    if not soundfont.exists():
        raise RuntimeError(f"soundfont {soundfont} is missing (Debian: apt-get install "
                           f"{'freepats' if timidity else 'fluid-soundfont-gm'})")
    with tempfile.TemporaryDirectory() as workdir:
        wav = Path(workdir) / "render.wav"
        if timidity:
            command = ["timidity", "-c", str(soundfont), "-Ow", "-OwM", "-s", str(sample_rate_hz), "-A", str(round(gain * 200)),
                       "-EFreverb=d", "-EFchorus=d", "--preserve-silence", "-o", str(wav), str(midi_path)]
        else:
            command = ["fluidsynth", "-ni", "-q", "-g", str(gain), "-r", str(sample_rate_hz), "-F", str(wav),
                       str(soundfont), str(midi_path)]
        subprocess.run(command, check=True, capture_output=True)
        audio, _ = librosa.load(wav, sr=sample_rate_hz, mono=True)
    return audio.astype(np.float32)


def bank_programs(soundfont: Path) -> frozenset[int] | None:
    """The GM programs (0-based) of bank 0 in a TiMidity++ configuration; None for a soundfont, which has them all.

    freepats lacks some programs, and TiMidity++ sounds another instrument in their place: a stem would carry the
    wrong label.
    """
    if soundfont.suffix != ".cfg":
        return None
    programs, in_bank_0 = set(), False
    for line in soundfont.read_text().splitlines():
        words = line.split()
        if words[:1] in (["bank"], ["drumset"]):
            in_bank_0 = words == ["bank", "0"]
        elif in_bank_0 and words and re.fullmatch(r"\d+", words[0]):
            programs.add(int(words[0]))
    return frozenset(programs)


def write_wav(path: Path, audio: np.ndarray, sample_rate_hz: int) -> None:
    """16-bit PCM, peak-normalised to -1 dBFS."""
    peak = float(np.max(np.abs(audio))) or 1.0
    pcm = np.round(audio / peak * 0.891 * 32767).astype(np.int16)
    wavfile.write(path, sample_rate_hz, pcm)
