"""``python -m export evaluate soundfont-samples``: which recordings the held-out soundfont shares with training.

A soundfont is a set of recordings, one a few notes, and soundfonts borrow them from each other: MuseScore
General, the test mixes' soundfont, grew out of FluidR3. A split by soundfont holds out recordings only where
the test soundfont's presets play recordings that no training soundfont has. This reads each soundfont's preset
table (SF2 or SF3: the same "pdta" chunk) and, for every pitched class, follows the General MIDI programs that
render it (bank 0) to the samples they play. Two samples are taken for one recording when their names agree,
once a channel mark such as ``(L)`` is dropped, their loop lengths in samples agree (SF3 compresses the audio but
keeps the loop points of the decoded sample), and their audio, decoded (only for such pairs), correlates at
``SAME_AUDIO_CORRELATION`` or more over their common length. The recorded instruments that stand in for real
recordings (``data instruments-recorded-samples``) are compared with the training soundfonts' samples of their
class by audio alone (``recordings_shared``), and so are the other recordings that training can use, LMMS's notes
(``data instruments-lmms-samples``) and freepats' patches (``export.gus_patches``), with every soundfont and the
recorded test instruments. ``unit_spectra`` and ``best_correlations`` serve the drum kits' check too
(``export.kit_samples``).
"""

from __future__ import annotations

import io
import re
import struct
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Protocol, Sequence

import librosa
import numpy as np
import soundfile
from scipy import signal

from bridge.instrument_vocabulary import INSTRUMENT_CLASSES

KEY_RANGE_GENERATOR, INSTRUMENT_GENERATOR, SAMPLE_GENERATOR = 43, 41, 53  # SF2 generator operators
COMPRESSED_SAMPLE = 0x10  # SF3: the sample is an Ogg Vorbis stream, its start and end are bytes
SAME_AUDIO_CORRELATION = 0.9
COMPARED_S, COMPARED_RATE_HZ = 0.5, 22050  # how recorded instruments and soundfont samples are compared
COMPARED_SAMPLES = int(COMPARED_S * COMPARED_RATE_HZ)
RECORDED_MAX_LAG_S = 0.1  # an MP3 decoder's delay and a sample pack's own trim
CHANNEL_MARK = re.compile(r"\s*\((L|R)\)\s*$")
# (chunk, record size, struct format) of the preset table, in the order of the SF2 specification
PRESET_TABLE = {"phdr": (38, "<20sHHHIII"), "pbag": (4, "<HH"), "pgen": (4, "<HH"),
                "inst": (22, "<20sH"), "ibag": (4, "<HH"), "igen": (4, "<HH"), "shdr": (46, "<20sIIIIIBbHH")}


@dataclass(frozen=True)
class Recording:
    """One sample as a recording: its name without a channel mark, and its loop length in samples."""

    name: str
    loop_samples: int


def riff_chunks(path: Path, wanted: frozenset[str]) -> dict[str, bytes]:
    """The bodies of the ``wanted`` leaf chunks of a RIFF file, read by seeking past the others (the audio).

    Raises
    ------
    ValueError
        The file is not a RIFF file.
    """
    found: dict[str, bytes] = {}
    with path.open("rb") as handle:
        if handle.read(4) != b"RIFF":
            raise ValueError(f"{path} is not a RIFF file (SF2 or SF3)")
        end = 8 + struct.unpack("<I", handle.read(4))[0]
        handle.seek(12)
        while handle.tell() + 8 <= end:
            chunk_id, size = handle.read(4).decode("latin1"), struct.unpack("<I", handle.read(4))[0]
            if chunk_id == "LIST":
                handle.seek(4, 1)  # the list's type; its chunks follow
            elif chunk_id in wanted:
                found[chunk_id] = handle.read(size + (size & 1))[:size]
            else:
                handle.seek(size + (size & 1), 1)
    return found


class SoundfontPresets:
    """The preset table of one soundfont: which samples each program of a bank plays."""

    def __init__(self, path: Path) -> None:
        chunks = riff_chunks(path, frozenset(PRESET_TABLE))
        missing = sorted(set(PRESET_TABLE) - set(chunks))
        if missing:
            raise ValueError(f"{path} has no preset table ({', '.join(missing)} missing)")
        self.path = path
        self.table = {name: [struct.unpack_from(form, chunks[name], offset)
                             for offset in range(0, len(chunks[name]) - size + 1, size)]
                      for name, (size, form) in PRESET_TABLE.items()}

    def _zones(self, bags: str, generators: str, first_bag: int, last_bag: int) -> list[dict[int, int]]:
        """The generators of each zone (bag) from ``first_bag`` to ``last_bag``: {operator: amount}."""
        table = self.table
        return [dict(table[generators][table[bags][bag][0]:table[bags][bag + 1][0]]) for bag in range(first_bag, last_bag)]

    def zones(self, program: int, bank: int = 0) -> list[tuple[int, int, int]]:
        """(lowest key, highest key, sample index) of every sample zone that ``program`` (0-based) of ``bank``
        plays, through all its instruments; a zone without a key range spans every key."""
        presets, instruments = self.table["phdr"], self.table["inst"]
        found = []
        for index, preset in enumerate(presets[:-1]):  # the last header only closes the list
            if (preset[1], preset[2]) != (program, bank):
                continue
            for preset_zone in self._zones("pbag", "pgen", preset[3], presets[index + 1][3]):
                if INSTRUMENT_GENERATOR not in preset_zone:
                    continue
                instrument = preset_zone[INSTRUMENT_GENERATOR]
                for zone in self._zones("ibag", "igen", instruments[instrument][1], instruments[instrument + 1][1]):
                    if SAMPLE_GENERATOR in zone:
                        keys = zone.get(KEY_RANGE_GENERATOR, preset_zone.get(KEY_RANGE_GENERATOR, 127 << 8))
                        found.append((keys & 0xFF, keys >> 8, zone[SAMPLE_GENERATOR]))
        return found

    def samples(self, program: int, bank: int = 0) -> set[int]:
        """Indices of the samples that ``program`` (0-based) of ``bank`` plays, through all its instruments."""
        return {sample for _, _, sample in self.zones(program, bank)}

    def recording(self, sample: int) -> Recording:
        name, _, _, loop_start, loop_end = self.table["shdr"][sample][:5]
        return Recording(CHANNEL_MARK.sub("", name.split(b"\0")[0].decode("latin1")).strip(), loop_end - loop_start)

    def class_samples(self, programs: tuple[int, ...]) -> list[int]:
        """Indices of the samples that any of ``programs`` (bank 0) plays, in order."""
        return sorted(set().union(*(self.samples(program) for program in programs)))

    def recordings(self, samples: list[int]) -> dict[Recording, list[int]]:
        """``samples`` by recording: the indices of the samples of each."""
        found: dict[Recording, list[int]] = {}
        for sample in samples:
            found.setdefault(self.recording(sample), []).append(sample)
        return found

    @cached_property
    def sample_data(self) -> bytes:
        return riff_chunks(self.path, frozenset({"smpl"}))["smpl"]

    def audio(self, sample: int) -> np.ndarray:
        """A sample's audio, decoded, float64 in -1..1."""
        _, start, end = self.table["shdr"][sample][:3]
        if self.table["shdr"][sample][9] & COMPRESSED_SAMPLE:
            return soundfile.read(io.BytesIO(self.sample_data[start:end]), dtype="float64")[0]
        return np.frombuffer(self.sample_data[2 * start:2 * end], "<i2") / 32768.0

    def audio_at(self, sample: int, rate_hz: int) -> np.ndarray:
        """A sample's audio, decoded, at ``rate_hz``."""
        return resampled(self.audio(sample), self.table["shdr"][sample][5], rate_hz)

    def class_clips(self, programs: tuple[int, ...], rate_hz: int) -> list[np.ndarray]:
        """The audio of every sample that any of ``programs`` (bank 0) plays, at ``rate_hz``."""
        return [self.audio_at(s, rate_hz) for s in self.class_samples(programs)]


@lru_cache(maxsize=None)
def soundfont_presets(path: Path) -> SoundfontPresets:
    """One reading of a soundfont for every check that asks for it (FluidR3's seven drum kits and its pitched
    classes share one 148 MB file)."""
    return SoundfontPresets(path)


class ClipSource(Protocol):
    """Recordings by General MIDI program: a soundfont's (``SoundfontPresets``) or a patch set's
    (``export.gus_patches.PatchBank``)."""

    path: Path

    def class_clips(self, programs: tuple[int, ...], rate_hz: int) -> list[np.ndarray]: ...


def unit_spectra(clips: list[np.ndarray], length: int) -> np.ndarray:
    """Each clip cut or padded to ``length`` samples, at unit norm (silence stays zero), as spectra of twice that
    length for ``best_correlations``: shape (clips, length + 1)."""
    frames = np.zeros((len(clips), length))
    for row, clip in enumerate(clips):
        part = np.asarray(clip[:length], np.float64)
        frames[row, :len(part)] = part
    norms = np.linalg.norm(frames, axis=1, keepdims=True)
    return np.fft.rfft(np.divide(frames, norms, out=np.zeros_like(frames), where=norms > 0), 2 * length, axis=1)


def best_correlations(clip: np.ndarray, others: np.ndarray, max_lag: int) -> np.ndarray:
    """The largest correlation of one clip's ``unit_spectra`` row with each row of ``others`` at a lag of at most
    ``max_lag`` samples either way: 1 for the same recording cut a little earlier or later, near 0 for others."""
    correlations = np.fft.irfft(others * np.conj(clip)[None, :], axis=1)
    near = np.r_[0:max_lag + 1, correlations.shape[1] - max_lag:correlations.shape[1]]
    return np.abs(correlations[:, near]).max(axis=1)


def same_audio(first: np.ndarray, second: np.ndarray, max_lag: int = 0) -> bool:
    """Whether two decoded samples correlate at ``SAME_AUDIO_CORRELATION`` or more over the shorter one's length,
    at a lag of up to ``max_lag`` samples."""
    spectra = unit_spectra([first, second], min(len(first), len(second)))
    return len(spectra[0]) > 1 and float(best_correlations(spectra[0], spectra[1:], max_lag)[0]) >= SAME_AUDIO_CORRELATION


def shared_with(held_out: SoundfontPresets, sample: int, other: SoundfontPresets,
                recordings: dict[Recording, list[int]]) -> bool:
    """Whether ``other`` holds the recording of ``held_out``'s ``sample``: by name and loop, then by audio."""
    candidates = recordings.get(held_out.recording(sample), [])
    return any(same_audio(held_out.audio(sample), other.audio(candidate)) for candidate in candidates)


def shared_recordings(test: Path, training: list[Path]) -> dict[str, dict]:
    """For each pitched class, the samples ``test`` plays for its programs and how many are recordings that the
    same programs play in each soundfont of ``training`` (and in any of them): what the test stems of a class
    replay of its training stems.

    Returns
    -------
    dict
        ``{class: {"samples": n, "shared": {soundfont name: n}, "shared_any": n}}``.
    """
    held_out = soundfont_presets(test)
    others = [soundfont_presets(path) for path in training]
    report = {}
    for klass in INSTRUMENT_CLASSES:
        if not klass.programs:
            continue
        samples = held_out.class_samples(klass.programs)
        found = {}
        for other in others:
            recordings = other.recordings(other.class_samples(klass.programs))
            found[other.path.name] = [shared_with(held_out, s, other, recordings) for s in samples]
        report[klass.name] = {"samples": len(samples), "shared": {name: sum(flags) for name, flags in found.items()},
                              "shared_any": sum(map(any, zip(*found.values()))) if samples else 0}
    return report


def resampled(audio: np.ndarray, from_hz: int, to_hz: int) -> np.ndarray:
    """``audio`` at ``to_hz`` (polyphase, within 0.1% of the ratio)."""
    ratio = Fraction(to_hz, from_hz).limit_denominator(1000)
    return signal.resample_poly(audio, ratio.numerator, ratio.denominator)


def sample_files(folders: list[Path]) -> list[Path]:
    """The audio files of sample folders, sorted."""
    return sorted(f for folder in folders for f in folder.iterdir() if f.suffix in (".mp3", ".ogg", ".flac", ".wav"))


def decoded(files: list[Path]) -> list[np.ndarray]:
    """Audio files decoded at ``COMPARED_RATE_HZ``, mono."""
    return [librosa.load(f, sr=COMPARED_RATE_HZ, mono=True)[0] for f in files]


def count_shared(ours: np.ndarray, theirs: np.ndarray) -> int:
    """How many rows of ``ours`` are, by ``best_correlations`` at a lag of up to ``RECORDED_MAX_LAG_S``, the same
    recording as a row of ``theirs`` (both ``unit_spectra`` at ``COMPARED_RATE_HZ``)."""
    max_lag = int(RECORDED_MAX_LAG_S * COMPARED_RATE_HZ)
    return sum(bool(len(theirs)) and float(best_correlations(row, theirs, max_lag).max()) >= SAME_AUDIO_CORRELATION
               for row in ours)


@lru_cache(maxsize=None)
def class_spectra(source: ClipSource, programs: tuple[int, ...]) -> np.ndarray:
    """``unit_spectra`` of a source's ``class_clips`` at ``COMPARED_RATE_HZ``: decoded once for every set of
    recordings that ``recordings_shared`` compares with them."""
    return unit_spectra(source.class_clips(programs, COMPARED_RATE_HZ), COMPARED_SAMPLES)


def recordings_shared(recorded: dict[str, list[np.ndarray]], training: Sequence[ClipSource],
                      held_out: dict[str, list[np.ndarray]] | None = None) -> dict[str, dict]:
    """For each class of ``recorded`` (recordings at ``COMPARED_RATE_HZ``: ``decoded`` files of recorded
    instruments, as ``data instruments-recorded-samples`` or ``data instruments-lmms-samples`` play them, or a
    source's ``class_clips``), how many are a sample that each source of ``training`` plays for the class: by
    audio alone (the names of sample packs and soundfonts differ), over ``COMPARED_S``, at a lag of up to
    ``RECORDED_MAX_LAG_S`` (a compressed file starts late). With ``held_out`` (recordings by class, the test
    set's recorded instruments), also how many are one of those.

    Returns
    -------
    dict
        ``{class: {"recordings": n, "shared": {source name: n}}}``, and ``"held_out": n`` with ``held_out``.
    """
    classes = {klass.name: klass for klass in INSTRUMENT_CLASSES}
    report = {}
    for name, recordings in recorded.items():
        ours = unit_spectra(recordings, COMPARED_SAMPLES)
        shared = {source.path.name: count_shared(ours, class_spectra(source, classes[name].programs))
                  for source in training}
        report[name] = {"recordings": len(recordings), "shared": shared}
        if held_out is not None:
            report[name]["held_out"] = count_shared(ours, unit_spectra(held_out.get(name, []), COMPARED_SAMPLES))
    return report


def report_table(test: Path, report: dict[str, dict]) -> str:
    """A Markdown table of ``shared_recordings``' report."""
    fonts = list(next(iter(report.values()))["shared"])
    lines = [f"| class | samples of {test.name} | " + " | ".join(f"also in {f} (same class)" for f in fonts) + " | shared |",
             "|---|---|" + "---|" * len(fonts) + "---|"]
    for name, row in report.items():
        share = row["shared_any"] / row["samples"] if row["samples"] else 0.0
        lines.append(f"| {name} | {row['samples']} | " + " | ".join(str(row["shared"][f]) for f in fonts)
                     + f" | {share:.0%} |")
    return "\n".join(lines)


def recorded_table(report: dict[str, dict]) -> str:
    """A Markdown table of ``recordings_shared``' report."""
    fonts = list(next(iter(report.values()))["shared"])
    held_out = all("held_out" in row for row in report.values())
    lines = ["| class | recordings | " + " | ".join(f"also in {f} (same class)" for f in fonts)
             + (" | also a recorded test instrument (same class) |" if held_out else " |"),
             "|---|---|" + "---|" * (len(fonts) + held_out)]
    lines += [f"| {name} | {row['recordings']} | " + " | ".join(str(row["shared"][f]) for f in fonts)
              + (f" | {row['held_out']} |" if held_out else " |") for name, row in report.items()]
    return "\n".join(lines)
