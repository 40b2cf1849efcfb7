"""freepats' instruments as recordings: the GUS patches that a TiMidity++ configuration names for each program.

``data instruments --freepats`` renders a share of the training songs through TiMidity++ with freepats' patches
(Gravis UltraSound "GF1PATCH110" files). ``evaluate soundfont-samples`` compares their samples with the
soundfonts' and the recorded test instruments', as it does for the soundfonts, through ``PatchBank.class_clips``;
which patch plays a program is TiMidity++'s configuration, read by ``export.data.render.bank_patches``.
A patch holds one instrument of one layer; each of its samples is a header of ``SAMPLE_HEADER`` and its audio,
8- or 16-bit, signed or not (``SIXTEEN_BIT``, ``UNSIGNED`` in the header's modes).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from bridge.instrument_vocabulary import INSTRUMENT_CLASSES
from export.data.render import bank_patches
from export.soundfont_samples import resampled

PATCH_MAGIC = b"GF1PATCH1"
HEADER_BYTES = 239  # the patch, instrument and layer headers
SAMPLE_COUNT_OFFSET = 198  # in the layer header: how many samples follow
# name, fractions, data bytes, loop start, loop end, rate (Hz), low, high and root frequency (mHz), tune, balance,
# envelope rates and offsets, tremolo and vibrato (sweep, rate, depth), modes, scale frequency and factor, reserved
SAMPLE_HEADER = struct.Struct("<7sBIIIHIIIhB6s6s6BBHH36s")
MODES = 19  # index of the modes byte in SAMPLE_HEADER's fields
SIXTEEN_BIT, UNSIGNED = 0x01, 0x02


def read_patch(path: Path) -> list[tuple[np.ndarray, int]]:
    """The samples of a GUS patch: (audio as float64 in -1..1, sample rate in Hz) each.

    Raises
    ------
    ValueError
        The file is not a GUS patch, or it is cut short.
    """
    data = path.read_bytes()
    if not data.startswith(PATCH_MAGIC) or len(data) < HEADER_BYTES:
        raise ValueError(f"{path} is not a GUS patch")
    samples, offset = [], HEADER_BYTES
    for _ in range(data[SAMPLE_COUNT_OFFSET]):
        if offset + SAMPLE_HEADER.size > len(data):
            raise ValueError(f"{path} is cut short")
        fields = SAMPLE_HEADER.unpack_from(data, offset)
        size, rate_hz, modes = fields[2], fields[5], fields[MODES]
        offset += SAMPLE_HEADER.size
        raw = data[offset:offset + size]
        if len(raw) < size:
            raise ValueError(f"{path} is cut short")
        offset += size
        if modes & SIXTEEN_BIT:
            audio = np.frombuffer(raw, "<u2" if modes & UNSIGNED else "<i2").astype(np.float64)
            audio = (audio - 32768.0 if modes & UNSIGNED else audio) / 32768.0
        else:
            audio = np.frombuffer(raw, "u1" if modes & UNSIGNED else "i1").astype(np.float64)
            audio = (audio - 128.0 if modes & UNSIGNED else audio) / 128.0
        samples.append((audio, rate_hz))
    return samples


class PatchBank:
    """The patches of a TiMidity++ configuration's bank 0, read as they are asked for."""

    def __init__(self, config: Path) -> None:
        self.path = config
        self.programs = bank_patches(config)

    def class_clips(self, programs: tuple[int, ...], rate_hz: int) -> list[np.ndarray]:
        """The samples of the patches of ``programs`` (those the bank has) at ``rate_hz``, each patch once."""
        paths = sorted({self.programs[p] for p in programs if p in self.programs and self.programs[p].exists()})
        return [resampled(audio, source_hz, rate_hz) for path in paths for audio, source_hz in read_patch(path)]

    def clips_by_class(self, rate_hz: int) -> dict[str, list[np.ndarray]]:
        """``class_clips`` of every pitched class of the vocabulary that the bank plays."""
        clips = {klass.name: self.class_clips(klass.programs, rate_hz)
                 for klass in INSTRUMENT_CLASSES if klass.programs}
        return {name: found for name, found in clips.items() if found}
