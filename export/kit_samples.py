"""``python -m export evaluate kit-samples``: which one-shots of the held-out drum kits a training kit also plays.

Drum kits borrow recordings as soundfonts do. A held-out kit tests a kit the models never heard only where none
of its one-shots is a recording that a training kit plays. This takes the recordings of every kit that ``data
drums`` knows: a soundfont kit's own samples for the keys of each drum class (not its renders, which the
soundfont's filters change with velocity), a sampled kit's one-shots as ``data drums`` reads them (its kit cache).
Drum class by drum class, each one-shot of a held-out kit is compared with every training kit's of the same
class, at one sample rate: the same recording where the two correlate at ``SAME_AUDIO_CORRELATION`` or more over
their first ``COMPARED_S``, at a lag of up to ``MAX_LAG_S`` (kits trim their one-shots apart).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bridge.drum_vocabulary import DRUM_CLASSES, class_of_gm_note
from export.data.drum_kits import AVL_KITS, CSOUND_KITS, GM_KITS, HELD_OUT_ROLES, SampleKit, kits_for, load_kits
from export.soundfont_samples import SAME_AUDIO_CORRELATION, best_correlations, soundfont_presets, unit_spectra

COMPARED_S = 0.5
MAX_LAG_S = 0.01


def soundfont_of(kit_name: str) -> tuple[Path, int, int] | None:
    """(soundfont, bank, program) of a kit that a soundfont plays (``fluidsynth:FONT:PROGRAM`` on the drum channel,
    ``avl:FONT`` as its first preset), None for a sampled kit."""
    source, _, rest = kit_name.partition(":")
    if source == "fluidsynth":
        stem, _, program = rest.rpartition(":")
        fonts = {font.stem: font for font, _ in GM_KITS + CSOUND_KITS}
        return (fonts[stem], 128, int(program)) if stem in fonts else None
    if source == "avl":
        fonts = {font.stem: font for font in AVL_KITS}
        return (fonts[rest], 0, 0) if rest in fonts else None
    return None


def soundfont_one_shots(path: Path, bank: int, program: int, sample_rate_hz: int) -> dict[str, list[np.ndarray]]:
    """A soundfont kit's own samples by drum class name, on the keys the class counts, at ``sample_rate_hz``."""
    font = soundfont_presets(path)
    samples_by_class: dict[str, set[int]] = {}
    for low, high, sample in font.zones(program, bank):
        for note in range(low, high + 1):
            klass = class_of_gm_note(note)
            if klass is not None:
                samples_by_class.setdefault(DRUM_CLASSES[klass].name, set()).add(sample)
    found: dict[str, list[np.ndarray]] = {}
    for name, samples in samples_by_class.items():
        for sample in sorted(samples):
            found.setdefault(name, []).append(font.audio_at(sample, sample_rate_hz))
    return found


def class_one_shots(kit: SampleKit) -> dict[str, list[np.ndarray]]:
    """A kit's recordings by drum class name, at the kit's sample rate: a soundfont kit's own samples
    (``soundfont_one_shots``), else every velocity layer of every note the class counts."""
    source = soundfont_of(kit.name)
    if source is not None:
        return soundfont_one_shots(*source, kit.sample_rate_hz)
    return {DRUM_CLASSES[index].name: shots for index, shots in kit.shots_by_class().items()}


def shared_one_shots(held_out: list[SampleKit], training: list[SampleKit]) -> dict[str, dict[str, dict]]:
    """For each held-out kit and drum class, how many of its one-shots are recordings a training kit plays for
    that class, and which kits.

    Returns
    -------
    dict
        ``{kit: {class: {"one_shots": n, "shared": n, "kits": [training kit names]}}}``.
    """
    length = int(COMPARED_S * held_out[0].sample_rate_hz) if held_out else 0
    max_lag = int(MAX_LAG_S * held_out[0].sample_rate_hz) if held_out else 0
    known: dict[str, tuple[np.ndarray, list[str]]] = {}
    for klass in tqdm(DRUM_CLASSES, desc="training kits' recordings"):
        shots = [(kit.name, shot) for kit in training for shot in class_one_shots(kit).get(klass.name, [])]
        known[klass.name] = (unit_spectra([shot for _, shot in shots], length), [name for name, _ in shots])
    report = {}
    for kit in tqdm(held_out, desc="held-out kits"):
        report[kit.name] = {}
        for name, shots in class_one_shots(kit).items():
            spectra, owners = known[name]
            sources = [sorted({owners[i] for i in np.flatnonzero(best_correlations(row, spectra, max_lag)
                                                                  >= SAME_AUDIO_CORRELATION)})
                       for row in unit_spectra(shots, length)] if len(owners) else [[] for _ in shots]
            report[kit.name][name] = {"one_shots": len(shots), "shared": sum(bool(s) for s in sources),
                                      "kits": sorted(set().union(*sources))}
    return report


def kit_options(build: Path) -> dict[str, bool]:
    """The kits beyond the default ones that the ``data drums`` build ``build`` played, as ``load_kits`` takes
    them: csound's (``--csound-kits``) and LMMS's (``--lmms-kits``), read from its ``drums.json`` (none without)."""
    summary = build / "drums.json"
    names = json.loads(summary.read_text())["kits"] if summary.is_file() else []
    csound_prefixes = tuple(f"fluidsynth:{font.stem}:" for font, _ in CSOUND_KITS)
    return {"csound": any(name.startswith(csound_prefixes) for name in names),
            "lmms": any(name.startswith("lmms:") for name in names)}


def held_out_report(build: Path, sample_rate_hz: int) -> dict[str, dict[str, dict]]:
    """``shared_one_shots`` of every held-out kit (all the test roles) against the training kits of the ``data
    drums`` build ``build``, read from its kit cache (``kits/``), the kits of ``kit_options`` included."""
    kits = load_kits(build / "kits", sample_rate_hz, progress=tqdm, **kit_options(build))
    held_out = [kit for role in HELD_OUT_ROLES for kit in kits_for(kits, role)]
    return shared_one_shots(held_out, kits_for(kits, "training"))


def report_table(report: dict[str, dict[str, dict]]) -> str:
    """A Markdown table: for each held-out kit and class, one-shots shared of all, and the kits that share."""
    names = [klass.name for klass in DRUM_CLASSES]
    lines = ["| held-out kit | " + " | ".join(names) + " | shared with |", "|---|" + "---|" * (len(names) + 1)]
    for kit, classes in report.items():
        cells = [f"{classes[n]['shared']} of {classes[n]['one_shots']}" if n in classes else "-" for n in names]
        sharing = sorted(set().union(*(set(c["kits"]) for c in classes.values())))
        lines.append(f"| {kit} | " + " | ".join(cells) + f" | {', '.join(sharing) or 'none'} |")
    return "\n".join(lines)
