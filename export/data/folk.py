"""Folk melodies on the bar grid: music21's corpus and the Nottingham ABC files.

Pipeline (``python -m export data folk``):

1. parse every ABC file (in parallel, one file a task) and keep the tunes in
   4/4 or 2/2 with one time signature;
2. expand repeats, pad a pickup to a full bar, and encode the melody with
   ``bridge.score`` (24 ticks a bar); tunes with notes off the grid or outside
   the pitch range are left out, and counted;
3. split by tune into train/valid/test, matching titles across collections
   so a tune never sits on both sides;
4. only then transpose the training tunes (every shift that keeps them in range);
5. cache the result as ``folk.npz`` with the counts in ``folk.json``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bridge.score import N_PITCHES, PITCH_HIGH, PITCH_LOW, TICKS_PER_BEAT, Note, notes_to_tokens

CORPUS_COLLECTIONS = ("oneills1850", "ryansMammoth", "airdsAirs")
NOTTINGHAM_DIR = Path(__file__).parents[3] / "shared" / "data" / "nottingham"
ACCEPTED_METERS = ("4/4", "2/2")
BAR_TICKS = 24
SPLIT_FRACTIONS = {"train": 0.8, "valid": 0.1, "test": 0.1}
TRANSPOSITIONS = range(-6, 6)


@dataclass(frozen=True)
class Tune:
    """One encoded melody: ``tokens`` has shape ``(n_bars, 24)``."""

    title: str
    source: str
    tokens: np.ndarray


def title_key(title: str) -> str:
    """A title reduced so that the same tune matches across collections."""
    title = title.lower()
    title = re.sub(r"\(.*?\)|\[.*?\]", " ", title)
    title = re.sub(r"^(the|a|an)\s+|,\s*(the|a|an)$", "", title.strip())
    title = re.sub(r"\b(reel|jig|hornpipe|polka|march|air|no\.?\s*\d+)\b", " ", title)
    return re.sub(r"[^a-z0-9]+", "", title)


def encode_score(score, source: str) -> tuple[Tune | None, str]:
    """Encode a music21 score; return (tune, "") or (None, why it was left out)."""
    meters = {ts.ratioString for ts in score.recurse().getElementsByClass("TimeSignature")}
    if len(meters) != 1 or next(iter(meters)) not in ACCEPTED_METERS:
        return None, "meter"
    part = score.parts[0] if score.parts else score
    try:
        melody = part.expandRepeats()
    except Exception:  # music21 raises several types on inconsistent repeat marks
        return None, "repeats"
    measures = list(melody.getElementsByClass("Measure"))
    if not measures:
        return None, "empty"
    bar_quarters = 4.0
    pickup = bar_quarters - measures[0].duration.quarterLength if measures[0].duration.quarterLength < bar_quarters else 0
    notes = []
    for element in melody.stripTies().flatten().notes:
        if element.quarterLength == 0:
            continue  # chord symbols and grace notes
        start = (float(element.offset) + pickup) * TICKS_PER_BEAT
        length = float(element.quarterLength) * TICKS_PER_BEAT
        if abs(start - round(start)) > 1e-3 or abs(length - round(length)) > 1e-3:
            return None, "grid"
        pitch = max(p.midi for p in element.pitches)  # the top of a chord is the melody
        if not PITCH_LOW <= pitch <= PITCH_HIGH:
            return None, "range"
        notes.append(Note(pitch, int(round(start)), int(round(length))))
    if len(notes) < 4:
        return None, "empty"
    n_bars = -(-max(n.end_tick for n in notes) // BAR_TICKS)
    tokens = notes_to_tokens(notes, n_bars * BAR_TICKS).reshape(n_bars, BAR_TICKS)
    title = score.metadata.title if score.metadata and score.metadata.title else "untitled"
    return Tune(title, source, tokens), ""


def parse_file(path: str, source: str) -> tuple[list[Tune], Counter]:
    """All tunes of one ABC file (an opus) or MIDI file, and why the others were left out."""
    import warnings

    from music21 import converter

    kept, dropped = [], Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = converter.parse(path, format="abc" if path.endswith(".abc") else None)
    scores = parsed.scores if hasattr(parsed, "scores") else [parsed]
    for score in scores:
        tune, why = encode_score(score, source)
        if tune is None:
            dropped[why] += 1
        else:
            kept.append(tune)
    return kept, dropped


def default_sources() -> list[tuple[str, str]]:
    """(path, source name) of music21's folk collections and the Nottingham files."""
    from music21 import corpus

    sources = [(str(path), name) for name in CORPUS_COLLECTIONS for path in corpus.getComposer(name)]
    sources += [(str(path), "nottingham") for path in sorted(NOTTINGHAM_DIR.glob("*.abc"))]
    return sources


def load_tunes(sources: list[tuple[str, str]], workers: int = 2) -> tuple[list[Tune], Counter]:
    tunes, dropped = [], Counter()
    with ProcessPoolExecutor(workers) as pool:
        futures = [pool.submit(parse_file, path, source) for path, source in sources]
        for future in tqdm(futures, desc="parsing ABC", unit="file"):
            kept, why = future.result()
            tunes += kept
            dropped += why
    return tunes, dropped


def load_tune_files(paths: list[Path], workers: int = 2) -> tuple[list[Tune], Counter]:
    """Tunes of ABC and MIDI files, or of every such file in the folders given."""
    files = []
    for path in paths:
        if path.is_dir():
            files += [p for p in sorted(path.rglob("*")) if p.suffix.lower() in (".abc", ".mid", ".midi")]
        else:
            files.append(path)
    return load_tunes([(str(p), p.parent.name) for p in files], workers)


def split_by_title(tunes: list[Tune], seed: int = 0) -> dict[str, list[Tune]]:
    """Train/valid/test by tune: every version of a title lands in the same split."""
    keys = sorted({title_key(t.title) or f"untitled-{i}" for i, t in enumerate(tunes)})
    order = np.random.default_rng(seed).permutation(len(keys))
    n_train = int(SPLIT_FRACTIONS["train"] * len(keys))
    n_valid = int(SPLIT_FRACTIONS["valid"] * len(keys))
    split_of = {}
    for rank, index in enumerate(order):
        split_of[keys[index]] = "train" if rank < n_train else "valid" if rank < n_train + n_valid else "test"
    splits: dict[str, list[Tune]] = {name: [] for name in SPLIT_FRACTIONS}
    for i, tune in enumerate(tunes):
        splits[split_of[title_key(tune.title) or f"untitled-{i}"]].append(tune)
    return splits


def transpose(tokens: np.ndarray, semitones: int) -> np.ndarray | None:
    """Tokens moved by ``semitones``; None if a note would leave the range."""
    is_pitch = tokens < N_PITCHES
    moved = np.where(is_pitch, tokens + semitones, tokens)
    if np.any(is_pitch & ((moved < 0) | (moved >= N_PITCHES))):
        return None
    return moved


def augment(tunes: list[Tune]) -> list[Tune]:
    """Every transposition in ``TRANSPOSITIONS`` that stays in range (training split only)."""
    out = []
    for tune in tunes:
        for shift in TRANSPOSITIONS:
            moved = transpose(tune.tokens, shift)
            if moved is not None:
                out.append(Tune(tune.title, tune.source, moved))
    return out


def save_splits(splits: dict[str, list[Tune]], directory: Path, counts: dict) -> Path:
    """``folk.npz``: per split, all bars stacked (``<split>_bars``) and each tune's first bar (``<split>_starts``)."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name, tunes in splits.items():
        bars = [t.tokens for t in tunes]
        arrays[f"{name}_bars"] = np.concatenate(bars).astype(np.int8) if bars else np.zeros((0, BAR_TICKS), np.int8)
        arrays[f"{name}_starts"] = np.cumsum([0] + [len(b) for b in bars]).astype(np.int64)
    path = directory / "folk.npz"
    np.savez_compressed(path, **arrays)
    (directory / "folk.json").write_text(json.dumps(counts, indent=2) + "\n")
    return path


def load_splits(path: Path) -> dict[str, list[np.ndarray]]:
    """Tunes per split, each an array ``(n_bars, 24)``, from ``folk.npz``."""
    data = np.load(path)
    splits = {}
    for name in SPLIT_FRACTIONS:
        bars, starts = data[f"{name}_bars"].astype(np.int64), data[f"{name}_starts"]
        splits[name] = [bars[a:b] for a, b in zip(starts[:-1], starts[1:])]
    return splits


def build(directory: Path, extra_dirs: list[Path] = (), seed: int = 0, workers: int = 2) -> Path:
    """Parse, filter, split, augment and cache; return the path of ``folk.npz``.

    ``extra_dirs``: folders of ABC or MIDI files added to the corpora.
    """
    tunes, dropped = load_tunes(default_sources(), workers)
    if extra_dirs:
        extra, extra_dropped = load_tune_files([Path(d) for d in extra_dirs], workers)
        tunes, dropped = tunes + extra, dropped + extra_dropped
    splits = split_by_title(tunes, seed)
    counts = {
        "tunes_kept": len(tunes), "tunes_dropped": dict(dropped),
        "tunes_by_source": dict(Counter(t.source for t in tunes)),
        "tunes": {name: len(ts) for name, ts in splits.items()},
        "bars": {name: int(sum(len(t.tokens) for t in ts)) for name, ts in splits.items()},
        "transpositions": list(TRANSPOSITIONS), "seed": seed,
    }
    splits["train"] = augment(splits["train"])
    counts["train_tunes_after_transposition"] = len(splits["train"])
    return save_splits(splits, directory, counts)


