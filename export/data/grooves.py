"""Generated drum performances: grooves in several styles, with fills, ghost notes, swing and human timing.

A groove is drawn bar by bar from per-step probabilities of each style, so one
seed gives one performance; the split into train, valid and test is by seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STYLES = ("rock", "funk", "jazz", "latin", "metal", "electronic")
# Not a style but a drill: each drum on its own random clock, so that no drum can be told from what
# usually sounds with it (in grooves the hi-hat nearly always comes with the kick and the snare).
SCATTERED = "scattered"
SCATTERED_SHARE = 0.25
SCATTERED_NOTES = (36, 36, 38, 38, 37, 40, 42, 42, 44, 46, 41, 43, 45, 47, 48, 50, 49, 57, 52, 55, 51, 51, 53, 56, 39, 54)

KICK, SNARE, SIDE_STICK = 36, 38, 37
CLOSED_HAT, PEDAL_HAT, OPEN_HAT = 42, 44, 46
TOMS = (50, 48, 47, 45, 43, 41)  # high to low
CRASH, RIDE, RIDE_BELL, CHINA, SPLASH = 49, 51, 53, 52, 55
COWBELL, CLAP, TAMBOURINE = 56, 39, 54  # percussion outside the classes: distractors


@dataclass(frozen=True)
class DrumHit:
    """One drum stroke: time in seconds, GM note, MIDI velocity 1-127."""

    time_s: float
    note: int
    velocity: int


def _steps(pattern: str) -> np.ndarray:
    """Per-step probabilities from a string: '0'-'9' are 0.0-0.9, 'x' is 1."""
    return np.array([1.0 if c == "x" else int(c) / 10 for c in pattern.replace(" ", "")])


# Per style: (steps per bar, {voice: probabilities}); voices are resolved to notes in _bar_hits.
PATTERNS: dict[str, tuple[int, dict[str, np.ndarray]]] = {
    "rock": (16, {"kick": _steps("x002 0020 x030 0010"), "snare": _steps("0101 x010 0101 x011"),
                  "hat": _steps("x0x0 x0x0 x0x0 x0x0"), "ghost_hat": _steps("0303 0303 0303 0303")}),
    "funk": (16, {"kick": _steps("x030 0050 0x30 0040"), "snare": _steps("0303 x033 0303 x033"),
                  "hat": _steps("xxxx xxxx xxxx xxxx"), "ghost_hat": _steps("0000 0000 0000 0000")}),
    "jazz": (12, {"kick": _steps("100 100 100 100"), "snare": _steps("002 012 002 012"),
                  "ride": _steps("x00 x0x x00 x0x"), "pedal": _steps("000 x00 000 x00")}),
    "latin": (16, {"kick": _steps("x00x 00x0 x00x 00x0"), "side": _steps("x00x 00x0 00x0 x000"),
                   "hat": _steps("x0x0 x0x0 x0x0 x0x0"), "cowbell": _steps("x0x0 x0x0 x0x0 x0x0")}),
    "metal": (16, {"kick": _steps("xxxx xxxx xxxx xxxx"), "snare": _steps("0000 x000 0000 x000"),
                   "hat": _steps("x0x0 x0x0 x0x0 x0x0"), "ghost_hat": _steps("0000 0000 0000 0000")}),
    "electronic": (16, {"kick": _steps("x000 x000 x000 x000"), "snare": _steps("0000 x000 0000 x001"),
                        "hat": _steps("0x0x 0x0x 0x0x 0x0x"), "ghost_hat": _steps("3030 3030 3030 3030")}),
}


@dataclass
class GrooveFeel:
    """The choices that hold for a whole performance."""

    style: str
    tempo_bpm: float
    swing: float  # 0.5 straight .. 0.67 triplet feel, for off-beat steps
    timing_ms: float  # standard deviation of human timing
    ride_instead_of_hat: bool
    open_hat_p: float
    ghost_p: float
    fill_every: int  # bars


def draw_feel(rng: np.random.Generator, style: str | None = None, tempo_bpm: float | None = None,
              scattered_share: float = SCATTERED_SHARE) -> GrooveFeel:
    """A random feel; ``style`` and ``tempo_bpm`` may be fixed (e.g. to match an accompaniment).

    ``scattered_share`` of the performances are the scattered drill; 0 draws grooves only.
    """
    if style is None and scattered_share > 0 and rng.random() < scattered_share:
        style = SCATTERED
    style = style or str(rng.choice(STYLES))
    low, high = {"metal": (100, 200), "jazz": (60, 200), "electronic": (90, 140)}.get(style, (60, 180))
    return GrooveFeel(
        style=style, tempo_bpm=float(tempo_bpm or rng.uniform(low, high)),
        swing=float(rng.choice([0.5, 0.5, rng.uniform(0.54, 0.67)])) if style != "metal" else 0.5,
        timing_ms=float(rng.uniform(2, 14)), ride_instead_of_hat=bool(rng.random() < 0.2),
        open_hat_p=float(rng.uniform(0, 0.3)), ghost_p=float(rng.uniform(0, 0.4)),
        fill_every=int(rng.choice([2, 4, 4, 8])))


def _step_time(step: int, steps: int, bar_s: float, swing: float) -> float:
    """Onset of a grid step within the bar, with swing on the off-beat half of each beat pair."""
    per_beat = steps // 4
    beat, sub = divmod(step, per_beat)
    beat_s = bar_s / 4
    if per_beat == 4 and sub % 2 == 1:  # sixteenth off-beats: swing the pair
        return beat * beat_s + (sub - 1) * beat_s / 4 + swing * beat_s / 2
    return beat * beat_s + sub * beat_s / per_beat


def _bar_hits(feel: GrooveFeel, rng: np.random.Generator, fill: bool, after_fill: bool) -> list[tuple[int, int, int]]:
    """(step, note, velocity) of one bar."""
    steps, voices = PATTERNS[feel.style]
    hits: list[tuple[int, int, int]] = []
    fill_from = steps // 2 if fill else steps
    for voice, probabilities in voices.items():
        jitter = probabilities + rng.uniform(-0.15, 0.15, steps) * (probabilities < 1)
        played = rng.random(steps) < np.clip(jitter, 0, 1)
        for step in np.flatnonzero(played):
            accent = step % (steps // 4) == 0
            if voice == "kick" and step < fill_from:
                hits.append((step, KICK, int(rng.integers(85, 128))))
            elif voice == "snare" and step < fill_from:
                strong = probabilities[step] >= 1
                velocity = rng.integers(90, 128) if strong else rng.integers(20, 60)
                if strong or rng.random() < feel.ghost_p * 2:
                    hits.append((step, SNARE, int(velocity)))
            elif voice in ("hat", "ghost_hat"):
                if voice == "ghost_hat" and rng.random() > feel.ghost_p * 2:
                    continue
                note = RIDE if feel.ride_instead_of_hat else (OPEN_HAT if rng.random() < feel.open_hat_p / 4 else CLOSED_HAT)
                base = (95, 128) if accent else (55, 100)
                hits.append((step, note, int(rng.integers(*base)) if voice == "hat" else int(rng.integers(30, 70))))
            elif voice == "ride":
                hits.append((step, RIDE_BELL if rng.random() < 0.05 else RIDE, int(rng.integers(60, 110))))
            elif voice == "pedal":
                hits.append((step, PEDAL_HAT, int(rng.integers(50, 100))))
            elif voice == "side":
                hits.append((step, SIDE_STICK, int(rng.integers(60, 110))))
            elif voice == "cowbell" and rng.random() < 0.3:
                hits.append((step, COWBELL, int(rng.integers(50, 100))))
    if fill:
        toms = list(rng.choice(TOMS, size=3, replace=False))
        toms.sort(reverse=True)
        for i, step in enumerate(range(fill_from, steps, int(rng.choice([1, 2])))):
            note = SNARE if rng.random() < 0.3 else int(toms[min(2, 3 * i * 2 // steps)])
            hits.append((step, note, int(rng.integers(70, 128))))
    if after_fill or (rng.random() < 0.05):
        hits.append((0, int(rng.choice([CRASH, CRASH, CHINA, SPLASH])), int(rng.integers(90, 128))))
        hits.append((0, KICK, int(rng.integers(100, 128))))
    if feel.style == "electronic" and rng.random() < 0.3:
        hits.append((steps // 4, CLAP, int(rng.integers(80, 120))))
    return hits


def scattered_hits(rng: np.random.Generator, duration_s: float, start_s: float) -> list[DrumHit]:
    """One to five drums, each on its own random (Poisson) clock at 0.3-4 strokes a second, any velocity."""
    hits = []
    notes = rng.choice(SCATTERED_NOTES, size=int(rng.integers(1, 6)), replace=False)
    for note in notes:
        rate = rng.uniform(0.3, 4.0)
        times = np.cumsum(rng.exponential(1.0 / rate, int(rate * duration_s * 2) + 4)) + start_s
        hits += [DrumHit(float(t), int(note), int(rng.integers(15, 128))) for t in times if 0.0 <= t < duration_s - 0.05]
    return hits


def generate(seed: int, duration_s: float, style: str | None = None, tempo_bpm: float | None = None,
             start_s: float = 0.0, scattered_share: float = SCATTERED_SHARE) -> tuple[list[DrumHit], GrooveFeel]:
    """A performance of about ``duration_s`` seconds, hits sorted by time.

    Parameters
    ----------
    seed : int
        One seed, one performance (the data split is by seed).
    style, tempo_bpm : optional
        Fixed instead of drawn.
    start_s : float
        Time of the first bar line.
    scattered_share : float
        Share of scattered drills among the performances (0: grooves only, as a band's drummer plays).
    """
    rng = np.random.default_rng(seed)
    feel = draw_feel(rng, style, tempo_bpm, scattered_share)
    if feel.style == SCATTERED:
        return sorted(scattered_hits(rng, duration_s, max(0.0, start_s)), key=lambda h: h.time_s), feel
    bar_s = 240.0 / feel.tempo_bpm
    steps = PATTERNS[feel.style][0]
    hits: list[DrumHit] = []
    n_bars = int(np.ceil((duration_s - start_s) / bar_s))
    fill_bar = False
    for bar in range(n_bars):
        after_fill = fill_bar
        fill_bar = (bar + 1) % feel.fill_every == 0 and rng.random() < 0.6
        struck: set[tuple[int, int]] = set()
        for step, note, velocity in _bar_hits(feel, rng, fill_bar, after_fill or bar == 0):
            time_s = start_s + bar * bar_s + _step_time(step, steps, bar_s, feel.swing)
            time_s += rng.normal(0, feel.timing_ms / 1000)  # drawn for every hit, so the others stay as they were
            # One stroke per drum and step: a voice's jitter or the crash's kick on the one can add a second.
            if 0.0 <= time_s < duration_s - 0.05 and (step, note) not in struck:
                struck.add((step, note))
                hits.append(DrumHit(float(time_s), note, max(1, min(127, velocity))))
    return sorted(hits, key=lambda h: h.time_s), feel
