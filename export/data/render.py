"""Render MIDI to audio: FluidSynth with the Debian soundfonts, or TiMidity++ with a set of GUS patches (freepats)."""

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


def config_lines(config: Path) -> list[list[str]]:
    """The words of each line of a TiMidity++ configuration that has any, its ``#`` comments dropped."""
    lines = (line.split("#", 1)[0].split() for line in config.read_text(errors="replace").splitlines())
    return [words for words in lines if words]


def bank_patches(config: Path, bank: int = 0) -> dict[int, Path]:
    """The patch file of each program (0-based) of ``bank`` in a TiMidity++ configuration: its ``dir`` lines give
    the folders that relative names are in (the last one that holds the file), ``bank N`` starts a bank's table,
    ``drumset N`` a drum set's, and a line ``program file [options]`` names a program's patch."""
    folders: list[Path] = []
    table, patches = None, {}
    for words in config_lines(config):
        if words[0] == "dir" and len(words) > 1:
            folders.insert(0, Path(words[1]))
        elif words[0] in ("bank", "drumset") and len(words) > 1:
            table = (words[0], int(words[1])) if words[1].isdigit() else None
        elif table == ("bank", bank) and words[0].isdigit() and len(words) > 1:
            name = words[1] if words[1].endswith(".pat") else f"{words[1]}.pat"
            candidates = [folder / name for folder in folders] + [config.parent / name]
            patches[int(words[0])] = next((c for c in candidates if c.exists()), candidates[0])
    return patches


def bank_programs(soundfont: Path) -> frozenset[int] | None:
    """The GM programs (0-based) of bank 0 in a TiMidity++ configuration (``bank_patches``); None for a soundfont,
    which has them all, and for a configuration that plays a soundfont (a ``soundfont`` line).

    freepats lacks some programs, and TiMidity++ sounds another instrument in their place: a stem would carry the
    wrong label.
    """
    if soundfont.suffix != ".cfg" or any(words[0] == "soundfont" for words in config_lines(soundfont)):
        return None
    return frozenset(bank_patches(soundfont))


def write_wav(path: Path, audio: np.ndarray, sample_rate_hz: int) -> None:
    """16-bit PCM, peak-normalised to -1 dBFS."""
    peak = float(np.max(np.abs(audio))) or 1.0
    pcm = np.round(audio / peak * 0.891 * 32767).astype(np.int16)
    wavfile.write(path, sample_rate_hz, pcm)
