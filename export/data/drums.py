"""``python -m export data drums``: rendered drum performances with exact onset labels.

Splits are by pattern seed; the real kit named in ``HELD_OUT_KITS`` is heard
only in the ``test_unseen_kit*`` sets, the kits of ``MORE_HELD_OUT_KITS`` only in
``test_more_kits*``, Sonic Pi's kit (``SONIC_PI_KIT``) only in ``test_sonic_pi_kit*``. A quarter
of the training performances are scattered drills (``grooves.scattered_hits``); the test sets are grooves. Train and valid are cached as log-mel
features (``bridge.features``, the live front end) with onset times; the test
sets are written as WAV files with annotation files beside them, the format
``python -m export evaluate drums`` reads.

Layout of ``OUT``::

    kits/                     one-shot samples of every kit (cache)
    train.npz, valid.npz      features, per-track offsets, onsets and kits
    test_alone/ test_mix/ test_unseen_kit/ test_unseen_kit_mix/ test_more_kits/ test_more_kits_mix/
    test_sonic_pi_kit/ test_sonic_pi_kit_mix/
                              *.wav + *.txt (time, label and MIDI velocity of each stroke), and kits.json
                              (the kit of each track)
    drums.json                counts and settings
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from multiprocessing import Pool
from pathlib import Path

import librosa
import numpy as np
from scipy import signal
from scipy.io import wavfile
from tqdm import tqdm

from bridge.drum_vocabulary import DRUM_CLASSES, class_of_gm_note, label_of_gm_note
from bridge.features import DRUM_FEATURES, FeatureSpec, log_mel
from export.data.accompaniment import render_accompaniment
from export.data.audio_effects import recording_chain
from export.data.drum_kits import (HELD_OUT_KITS, MORE_HELD_OUT_KITS, SONIC_PI_KIT, SampleKit, attack_aligned,
                                   kits_for, kits_without, load_kits, mixed_kit)
from export.data.folk import load_splits
from export.data.grooves import CLOSED_HAT, OPEN_HAT, PEDAL_HAT, SCATTERED_SHARE, TOMS, DrumHit, generate
from export.data.synth_kits import synth_kit
from export.evaluate_drums import KITS_FILE

SAMPLE_RATE_HZ = DRUM_FEATURES.sample_rate_hz
TEST_SAMPLE_RATE_HZ = 44100
FOLK_CACHE = Path("cache/folk/folk.npz")
BAND_SPLITS = ("train", "valid", "test")  # the folk splits accompaniment comes from
SNARE = 38
WIRE_TRIGGERS = (35, 36) + TOMS  # the drums whose strokes set a snare's wires ringing (``snare_wires``)


@dataclass(frozen=True)
class DrumSetPlan:
    """What one split holds."""

    name: str
    tracks: int
    duration_s: float
    seed_base: int
    with_band: float  # share of tracks with accompaniment
    kit_role: str  # whose kits it plays: one of ``drum_kits.KIT_ROLES`` (``drum_kits.kits_for``)
    band_split: str  # folk split the accompaniment comes from
    scattered_share: float  # share of scattered drills (a training device; the tests are grooves)
    mixed_kit_share: float = 0.0  # share of tracks on a kit mixed from several (``drum_kits.mixed_kit``)
    synth_kit_share: float = 0.0  # share of tracks on a drum machine of their own (``synth_kits.synth_kit``)
    class_tuning_st: float = 0.0  # each drum class tuned apart, by up to this many semitones (``render_drums``)
    snare_buzz_share: float = 0.0  # share of tracks whose snare wires ring under the kick and toms (``snare_wires``)


def default_plans(scale: float = 1.0, mixed_kits: float = 0.0, synth_kits: float = 0.0,
                  class_tuning: float = 0.0, snare_buzz: float = 0.0, snare_buzz_tests: bool = False
                  ) -> list[DrumSetPlan]:
    """The splits of a full build; ``scale`` shrinks every count (tests use a tiny one), ``mixed_kits`` and
    ``synth_kits`` are the shares of training and unlabeled tracks on mixed kits and on synthesised drum machines,
    ``class_tuning`` the semitones by which their drum classes are tuned apart, ``snare_buzz`` the share of them
    whose snare wires ring under the kick and toms (validation and tests play the kits of this machine, whole and
    as sampled). ``snare_buzz_tests``: the test sets' wires ring under every kick and tom stroke, their tracks
    otherwise the same, stroke by stroke (a check of how a model bears it)."""
    def n(count: int) -> int:
        return max(2, int(round(count * scale)))
    drill = SCATTERED_SHARE
    plans = [DrumSetPlan("train", n(4800), 8.0, 0, 0.5, "training", "train", drill, mixed_kits, synth_kits,
                         class_tuning, snare_buzz),
             DrumSetPlan("valid", n(480), 8.0, 1_000_000, 0.5, "training", "valid", drill),
             DrumSetPlan("unlabeled", n(1200), 8.0, 3_000_000, 1.0, "training", "train", drill, mixed_kits, synth_kits,
                         class_tuning, snare_buzz),
             DrumSetPlan("test_alone", n(30), 20.0, 2_000_000, 0.0, "training", "test", 0.0),
             DrumSetPlan("test_mix", n(30), 20.0, 2_100_000, 1.0, "training", "test", 0.0),
             DrumSetPlan("test_unseen_kit", n(30), 20.0, 2_200_000, 0.0, "held_out", "test", 0.0),
             DrumSetPlan("test_unseen_kit_mix", n(30), 20.0, 2_300_000, 1.0, "held_out", "test", 0.0),
             DrumSetPlan("test_more_kits", n(30), 20.0, 2_400_000, 0.0, "more_held_out", "test", 0.0),
             DrumSetPlan("test_more_kits_mix", n(30), 20.0, 2_500_000, 1.0, "more_held_out", "test", 0.0),
             DrumSetPlan("test_sonic_pi_kit", n(30), 20.0, 2_600_000, 0.0, "sonic_pi", "test", 0.0),
             DrumSetPlan("test_sonic_pi_kit_mix", n(30), 20.0, 2_700_000, 1.0, "sonic_pi", "test", 0.0)]
    if snare_buzz_tests:
        plans = [replace(plan, snare_buzz_share=1.0) if plan.name.startswith("test") else plan for plan in plans]
    return plans


def _pitched(shot: np.ndarray, factor: float) -> np.ndarray:
    """Resample a one-shot by ``factor`` (tuning the drum up when > 1)."""
    if abs(factor - 1.0) < 1e-3:
        return shot
    positions = np.arange(0, len(shot) - 1, factor)
    return np.interp(positions, np.arange(len(shot)), shot).astype(np.float32)


def snare_wires(kit: SampleKit, rng: np.random.Generator) -> np.ndarray | None:
    """What the kit's snare wires sound when a kick or tom stroke sets them ringing, peak 1 (None: no snare).

    On a real kit the snare's wires answer the kick and the toms: a soft rattle with no stick attack, in every
    microphone. One-shots are recorded a drum at a time and rarely hold it. The kit's own snare one-shot,
    high-passed at 1.5-4 kHz (the wires, not the head), its attack blunted by a 4-12 ms rise and its ring cut
    short (decay time 40-150 ms).
    """
    shot = kit.one_shot(SNARE, 64, rng)
    if shot is None:
        return None
    sr = kit.sample_rate_hz
    cutoff_hz = min(rng.uniform(1500, 4000), 0.45 * sr)
    wires = signal.sosfilt(signal.butter(2, cutoff_hz / (sr / 2), "highpass", output="sos"), shot)
    t = np.arange(len(wires)) / sr
    wires *= np.minimum(1.0, t / rng.uniform(0.004, 0.012)) * np.exp(-t / rng.uniform(0.04, 0.15))
    return (wires / (float(np.max(np.abs(wires))) or 1.0)).astype(np.float32)


def render_drums(hits: list[DrumHit], kit: SampleKit, rng: np.random.Generator, n_samples: int,
                 class_tuning_st: float = 0.0, snare_buzz: bool = False) -> np.ndarray:
    """Mix the kit's one-shots at the hits: per-class levels, a velocity curve, tuning and hi-hat choke; with
    ``class_tuning_st``, each class (and the percussion outside them) also tuned by its own random amount of up to
    that many semitones, so that a kit's drums are no longer tuned as one; with ``snare_buzz``, the snare's wires
    ring under each kick and tom stroke (``snare_wires``), -30..-14 dB below its peak and 1-4 ms after it,
    unlabelled."""
    sr = kit.sample_rate_hz
    out = np.zeros(n_samples + int(2.5 * sr), np.float32)
    class_gain = 10 ** (rng.uniform(-6, 6, len(DRUM_CLASSES) + 1) / 20)
    curve = rng.uniform(0.3, 1.2)
    tuning = 2 ** (rng.uniform(-2, 2) / 12) if rng.random() < 0.5 else 1.0
    class_tuning = 2 ** (rng.uniform(-class_tuning_st, class_tuning_st, len(DRUM_CLASSES) + 1) / 12) \
        if class_tuning_st else np.ones(len(DRUM_CLASSES) + 1)
    hat_times = [h.time_s for h in hits if h.note in (CLOSED_HAT, PEDAL_HAT, OPEN_HAT)]
    wires = snare_wires(kit, rng) if snare_buzz else None
    if wires is not None:
        wire_level, wire_delay = 10 ** (rng.uniform(-30, -14) / 20), int(rng.uniform(0.001, 0.004) * sr)
    for hit in hits:
        shot = kit.one_shot(hit.note, hit.velocity, rng)
        if shot is None:
            continue
        index = class_of_gm_note(hit.note)
        slot = -1 if index is None else index  # of class_gain and class_tuning: the last for other percussion
        shot = _pitched(shot, tuning * class_tuning[slot])
        if hit.note == OPEN_HAT:  # the next hi-hat stroke chokes an open hat
            later = [t for t in hat_times if t > hit.time_s + 1e-4]
            if later:
                keep = int((later[0] - hit.time_s) * sr)
                shot = shot[: keep + 220].copy()
                fade = min(len(shot), 220)
                shot[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
        gain = class_gain[slot] * (hit.velocity / 127) ** curve
        start = int(hit.time_s * sr)
        shot = shot[: len(out) - start]  # tuned down, a one-shot can outlast the tail room
        out[start:start + len(shot)] += gain * shot
        if wires is not None and hit.note in WIRE_TRIGGERS:
            ring = wires[: len(out) - start - wire_delay]
            out[start + wire_delay:start + wire_delay + len(ring)] += gain * float(np.max(np.abs(shot))) * wire_level * ring
    return out[:n_samples]


def labelled_hits(hits: list[DrumHit], kit: SampleKit) -> list[DrumHit]:
    """The hits the kit can sound and that belong to a class: those are the onset labels."""
    return [h for h in hits if h.note in kit.layers and class_of_gm_note(h.note) is not None]


def make_track(seed: int, kit: SampleKit, duration_s: float, band: tuple[np.ndarray, float] | None,
               scattered_share: float = SCATTERED_SHARE, class_tuning_st: float = 0.0, snare_buzz: bool = False
               ) -> tuple[np.ndarray, list[DrumHit]]:
    """One rendered track at ``SAMPLE_RATE_HZ``: drums (with accompaniment if ``band``), recording chain applied.

    ``band`` is (audio, tempo in BPM) of an accompaniment clip; the drums follow its tempo and bar lines;
    ``class_tuning_st`` and ``snare_buzz`` as ``render_drums`` takes them.
    """
    rng = np.random.default_rng(seed)
    n_samples = int(duration_s * SAMPLE_RATE_HZ)
    if band is None:
        hits, _ = generate(seed, duration_s, scattered_share=scattered_share)
        mix = render_drums(hits, kit, rng, n_samples, class_tuning_st, snare_buzz)
    else:
        band_audio, tempo_bpm = band
        bar_s = 240.0 / tempo_bpm
        offset_s = rng.uniform(0, max(0.0, len(band_audio) / SAMPLE_RATE_HZ - duration_s))
        start_s = np.ceil(offset_s / bar_s) * bar_s - offset_s - bar_s
        hits, _ = generate(seed, duration_s, tempo_bpm=tempo_bpm, start_s=float(start_s), scattered_share=scattered_share)
        drums = render_drums(hits, kit, rng, n_samples, class_tuning_st, snare_buzz)
        segment = band_audio[int(offset_s * SAMPLE_RATE_HZ):][:n_samples]
        segment = np.pad(segment, (0, n_samples - len(segment)))
        ratio = 10 ** (rng.uniform(-8, 6) / 20) * (np.std(drums) or 1.0) / (np.std(segment) or 1.0)
        mix = drums + ratio * segment
    return recording_chain(mix, rng, SAMPLE_RATE_HZ), labelled_hits(hits, kit)


def write_annotated(directory: Path, name: str, audio: np.ndarray, hits: list[DrumHit]) -> None:
    """``name.wav`` (16-bit, 44.1 kHz) and ``name.txt`` with one ``time<TAB>label<TAB>velocity`` line per onset
    (the stroke's MIDI velocity, 1-127: a third column that readers of ``time<TAB>label`` files pass over; the
    hi-hat's labels tell closed, pedal and open apart: ``label_of_gm_note``)."""
    upsampled = librosa.resample(audio, orig_sr=SAMPLE_RATE_HZ, target_sr=TEST_SAMPLE_RATE_HZ)
    peak = max(1.0, float(np.max(np.abs(upsampled))))
    wavfile.write(directory / f"{name}.wav", TEST_SAMPLE_RATE_HZ, np.round(upsampled / peak * 32767).astype(np.int16))
    lines = [f"{h.time_s:.4f}\t{label_of_gm_note(h.note)}\t{h.velocity}" for h in hits]
    (directory / f"{name}.txt").write_text("\n".join(lines) + "\n")


# Worker state: the kits and accompaniment pools are loaded once per process.
_KITS: list[SampleKit] = []
_BANDS: dict[str, list[tuple[np.ndarray, float]]] = {}
_SPEC = DRUM_FEATURES


def _init_worker(kits: list[SampleKit], bands: dict[str, list[tuple[np.ndarray, float]]], spec: FeatureSpec) -> None:
    global _KITS, _BANDS, _SPEC
    _KITS, _BANDS, _SPEC = kits, bands, spec


def track_name(plan: DrumSetPlan, index: int) -> str:
    """The file name (without suffix) of a test set's track."""
    return f"{plan.name}_{index:04d}"


def _track_job(job: tuple[DrumSetPlan, int, str | None]) -> tuple[np.ndarray, list[DrumHit], str]:
    plan, index, out_dir = job
    seed = plan.seed_base + index
    rng = np.random.default_rng(seed + 7)
    kits = kits_for(_KITS, plan.kit_role)
    kit = kits[int(rng.integers(len(kits)))]
    pool = _BANDS.get(plan.band_split, [])
    band = pool[int(rng.integers(len(pool)))] if pool and rng.random() < plan.with_band else None
    if plan.mixed_kit_share and rng.random() < plan.mixed_kit_share:
        kit = mixed_kit(kits, rng)
    if plan.synth_kit_share and rng.random() < plan.synth_kit_share:
        kit = synth_kit(rng, SAMPLE_RATE_HZ)
    snare_buzz = bool(plan.snare_buzz_share) and rng.random() < plan.snare_buzz_share
    audio, hits = make_track(seed, kit, plan.duration_s, band, plan.scattered_share, plan.class_tuning_st, snare_buzz)
    if out_dir is not None:
        write_annotated(Path(out_dir), track_name(plan, index), audio, hits)
        return np.zeros((0, _SPEC.n_mels), np.float16), hits, kit.name
    return log_mel(audio, SAMPLE_RATE_HZ, _SPEC).astype(np.float16), hits, kit.name


def _band_job(job: tuple[np.ndarray, int, float]) -> tuple[np.ndarray, float]:
    tokens, seed, duration_s = job
    tempo_bpm = float(np.random.default_rng(seed).uniform(70, 180))
    bars = int(np.ceil(duration_s * tempo_bpm / 240)) + 1
    looped = np.concatenate([tokens] * (bars // len(tokens) + 1))[:bars]
    return render_accompaniment(looped, tempo_bpm, seed, SAMPLE_RATE_HZ), tempo_bpm


def build_bands(folk: Path, counts: dict[str, int], duration_s: float, workers: int, seed: int
                ) -> dict[str, list[tuple[np.ndarray, float]]]:
    """Accompaniment clips per folk split (train tunes for train, test tunes for the tests)."""
    splits = load_splits(folk)
    bands = {}
    for split, count in counts.items():
        number = BAND_SPLITS.index(split)  # the clips of a split do not depend on which others are built
        rng = np.random.default_rng([seed, number])
        tunes = splits[split]
        jobs = [(tunes[int(rng.integers(len(tunes)))], seed * 1_000_000 + number * 10_000 + i, duration_s)
                for i in range(count)]
        with Pool(workers) as pool:
            bands[split] = list(tqdm(pool.imap(_band_job, jobs), total=count, desc=f"accompaniment ({split})"))
    return bands


def save_features(path: Path, results: list[tuple[np.ndarray, list[DrumHit], str]]) -> None:
    """Features stacked, per-track frame offsets, and onsets as (track, class, time_s) rows."""
    offsets = np.cumsum([0] + [len(r[0]) for r in results])
    onsets = [(t, class_of_gm_note(h.note), h.time_s) for t, r in enumerate(results) for h in r[1]]
    np.savez(path, features=np.concatenate([r[0] for r in results]), offsets=offsets,
             onsets=np.array(onsets, dtype=np.float64).reshape(-1, 3), kits=np.array([r[2] for r in results]))


def load_features(path: Path) -> tuple[list[np.ndarray], list[list[np.ndarray]]]:
    """Per track: features (frames, n_mels) float32 and, per class, the onset times in seconds."""
    data = np.load(path)
    features, offsets, onsets = data["features"], data["offsets"], data["onsets"]
    tracks = [features[a:b].astype(np.float32) for a, b in zip(offsets[:-1], offsets[1:])]
    per_track = [[np.sort(onsets[(onsets[:, 0] == t) & (onsets[:, 1] == c), 2]) for c in range(len(DRUM_CLASSES))]
                 for t in range(len(tracks))]
    return tracks, per_track


def feature_spec(data: Path) -> FeatureSpec:
    """The log-mel settings a build's features were computed with (``drums.json``)."""
    return FeatureSpec(**json.loads((data / "drums.json").read_text())["features"])


def require_feature_spec(data: Path, spec: FeatureSpec, user: str) -> None:
    """Raise ValueError unless the build ``data`` has the log-mel frames ``spec`` that ``user`` (e.g. "PFNMF
    transcribes") works on."""
    found = feature_spec(data)
    if found != spec:
        raise ValueError(f"{user} log-mel frames {spec}; the build {data} has {found}")


def existing_build(out: Path, only: tuple[str, ...], plans: list[DrumSetPlan], spec: FeatureSpec, seed: int,
                   without_kits: tuple[str, ...] = (), align_attacks: bool = False) -> dict | None:
    """The summary (``drums.json``) of the build in ``out`` that the splits ``only`` are to join, or None where
    ``out`` holds no build (they start one: e.g. the test sets alone, to evaluate the shipped models).

    Raises
    ------
    ValueError
        A split of ``only`` is none of ``plans``, or the build has other features, another seed, other kits
        left out or its one-shots aligned otherwise (the new splits would not match it).
    """
    unknown = set(only) - {plan.name for plan in plans}
    if unknown:
        raise ValueError(f"no split {', '.join(sorted(unknown))}: the splits are {', '.join(p.name for p in plans)}")
    if not (out / "drums.json").is_file():
        return None
    summary = json.loads((out / "drums.json").read_text())
    left_out, aligned = summary.get("kits_left_out", []), summary.get("attacks_aligned", False)
    if (summary["features"] != spec.as_dict() or summary["seed"] != seed or left_out != sorted(without_kits)
            or aligned != align_attacks):
        raise ValueError(f"{out} was built with seed {summary['seed']}, features {summary['features']}, the kits "
                         f"{left_out or 'none'} left out and attacks {'' if aligned else 'not '}aligned; "
                         f"the splits {', '.join(only)} would not match it")
    return summary


def build(out: Path, scale: float = 1.0, workers: int = 2, seed: int = 0, folk: Path = FOLK_CACHE,
          csound_kits: bool = False, mixed_kits: float = 0.0, hop: int | None = None,
          only: tuple[str, ...] = (), without_kits: tuple[str, ...] = (), synth_kits: float = 0.0,
          align_attacks: bool = False, class_tuning: float = 0.0, snare_buzz: float = 0.0,
          snare_buzz_tests: bool = False, lmms_kits: bool = False) -> Path:
    """Render every split of ``default_plans(scale, mixed_kits, synth_kits, class_tuning, snare_buzz,
    snare_buzz_tests)`` into ``out`` (with ``csound_kits``, from csound's GM kits too; with ``lmms_kits``, from the
    kits of LMMS's one-shots too, training kits), the features with a hop of ``hop`` samples (default
    ``DRUM_FEATURES``'); returns the path of ``drums.json``. ``only``: render just these splits and add them to
    the build ``out`` holds, with its settings, or start one with them (every track is a function of its split's
    seed, so a split comes out the same either way). ``without_kits``: kit names (as ``drums.json`` lists them)
    that no split plays. ``align_attacks``: every one-shot of the sampled kits starts at its attack
    (``drum_kits.from_attack``), so that labels fall where the strokes are heard, as a recording's annotations do,
    not up to 18 ms before.

    Raises
    ------
    ValueError
        A kit of ``without_kits`` is none of this machine's, or a split is left without kits.
    """
    spec = replace(DRUM_FEATURES, hop=hop or DRUM_FEATURES.hop)
    plans = default_plans(scale, mixed_kits, synth_kits, class_tuning, snare_buzz, snare_buzz_tests)
    order = [plan.name for plan in plans]  # of the splits in drums.json, however many builds added them
    band_counts = {"train": max(4, int(360 * scale)), "valid": max(2, int(45 * scale)), "test": max(2, int(30 * scale))}
    held_out = {"held_out_kits": list(HELD_OUT_KITS), "more_held_out_kits": list(MORE_HELD_OUT_KITS),
                "sonic_pi_kits": [SONIC_PI_KIT]}  # a build that --only adds to takes today's lists
    summary: dict = {"seed": seed, "sample_rate_hz": SAMPLE_RATE_HZ, "features": spec.as_dict(), "kits": [],
                     **held_out, "accompaniment_clips": band_counts, "attacks_aligned": align_attacks, "splits": {}}
    if only:
        summary = {**(existing_build(out, only, plans, spec, seed, without_kits, align_attacks) or summary), **held_out}
        plans = [plan for plan in plans if plan.name in only]
        band_counts = {split: count for split, count in band_counts.items() if any(p.band_split == split for p in plans)}
    out.mkdir(parents=True, exist_ok=True)
    kits = load_kits(out / "kits", SAMPLE_RATE_HZ, progress=tqdm, csound=csound_kits, lmms=lmms_kits)
    kits = kits_without(kits, without_kits)
    if align_attacks:
        kits = [attack_aligned(kit) for kit in kits]
    summary["kits"] = [k.name for k in kits]
    summary["kits_left_out"] = sorted(without_kits)
    for plan in plans:
        if not kits_for(kits, plan.kit_role):
            raise ValueError(f"no {plan.kit_role} kits on this machine for the split {plan.name}")
    bands = build_bands(folk, band_counts, 24.0, workers, seed)
    with Pool(workers, initializer=_init_worker, initargs=(kits, bands, spec)) as pool:
        for plan in plans:
            directory = out / plan.name if plan.name.startswith("test") else None
            if directory is not None:
                directory.mkdir(exist_ok=True)
            jobs = [(plan, i, str(directory) if directory else None) for i in range(plan.tracks)]
            results = list(tqdm(pool.imap(_track_job, jobs, chunksize=4), total=len(jobs), desc=plan.name))
            if directory is None:
                save_features(out / f"{plan.name}.npz", results)
            else:  # which kit each track plays, for the evaluation's scores per kit
                (directory / KITS_FILE).write_text(json.dumps({track_name(plan, i): kit for i, (_, _, kit)
                                                               in enumerate(results)}, indent=1) + "\n")
            onsets = {c.name: sum(class_of_gm_note(h.note) == i for r in results for h in r[1])
                      for i, c in enumerate(DRUM_CLASSES)}
            summary["splits"][plan.name] = {"tracks": plan.tracks, "duration_s": plan.duration_s,
                                            "with_accompaniment": plan.with_band, "scattered_share": plan.scattered_share,
                                            "mixed_kit_share": plan.mixed_kit_share,
                                            "synth_kit_share": plan.synth_kit_share,
                                            "class_tuning_st": plan.class_tuning_st,
                                            "snare_buzz_share": plan.snare_buzz_share,
                                            "onsets": onsets,
                                            "kits_used": sorted({r[2] for r in results})}
    summary["splits"] = {name: summary["splits"][name] for name in order if name in summary["splits"]}
    path = out / "drums.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    return path


def bundle_excerpt(wav: Path, out: Path, seconds: float = 12.0) -> Path:
    """The first ``seconds`` of a held-out render and its annotations, at 22.05 kHz, for ``bridge/data``.

    The bench and the JACK tests play it (``bridge/data/drums_heldout.wav``).
    """
    audio, _ = librosa.load(wav, sr=SAMPLE_RATE_HZ, duration=seconds)
    wavfile.write(out, SAMPLE_RATE_HZ, np.round(np.clip(audio, -1, 1) * 32767).astype(np.int16))
    lines = [line for line in wav.with_suffix(".txt").read_text().splitlines()
             if line.strip() and float(line.split()[0]) < seconds - 0.05]
    out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    return out
