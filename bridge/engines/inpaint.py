"""Bar-by-bar inpainting, live and offline, on the shipped ONNX models.

``InpaintModel`` fills a gap from the bars around it. ``InpaintEngine`` runs it
in the daemon: a performer loops a form of N bars, asks for a gap with
``/inpaint/gap start bars`` (or the MIDI control), and just before the gap's
first downbeat the engine takes the bars played before it (past context) and
the bars after it from the previous pass of the loop (future context), fills
the gap and schedules the notes on the beat.

Documented fallbacks: with context on one side only, that side stands in for
both; a gap longer than the model's 4 bars is filled 4 bars at a time, each
chunk continuing from the one before; chords keep their top note and notes
out of range are folded by octaves (``bridge.score``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from bridge.clock import MusicalClock
from bridge.events import BarLine
from bridge.models import MODELS_DIR, load_manifest_entry, load_session
from bridge.score import N_PITCHES, REST, VOCAB_SIZE, MelodyHistory, tokens_to_notes

log = logging.getLogger("bridge.inpaint")

BAR_TICKS = 24


class InpaintError(ValueError):
    """A gap that cannot be filled, with the reason."""


class InpaintModel:
    """The encoder, latent RNN and decoder graphs.

    Parameters
    ----------
    directory : Path
        Where ``manifest.json`` and the ``.onnx`` files are.
    provider : str
        "auto", "cpu" or "cuda" (see ``bridge.models.choose_providers``).
    """

    def __init__(self, directory: Path = MODELS_DIR, provider: str = "auto") -> None:
        self.entry = load_manifest_entry("inpaint", directory)
        self._sessions = {name: load_session(directory / file, provider) for name, file in self.entry["files"].items()}
        self.max_gap_bars = int(self.entry["max_gap_bars"])
        self.attribute_dimensions: dict[str, int] = self.entry["attribute_dimensions"]
        self.attribute_ranges: dict[str, list[float]] = self.entry["attribute_ranges"]

    def warm_up(self) -> None:
        """Run every graph once: ONNX Runtime's first run allocates, and must not eat a live gap's look-ahead."""
        rests = np.full((2, BAR_TICKS), REST, np.int64)
        self.inpaint(rests[:1], rests[1:], self.max_gap_bars)

    def encode(self, bars: np.ndarray) -> np.ndarray:
        """``(N, 24)`` tokens -> ``(N, Z)`` latent means."""
        return self._sessions["encoder"].run(None, {"tokens": bars.astype(np.int64)})[0]

    def decode(self, latents: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """``(N, Z)`` -> ``(N, 24)`` tokens; greedy without ``rng``, sampled (Gumbel) with it."""
        shape = (len(latents), BAR_TICKS, VOCAB_SIZE)
        noise = np.zeros(shape, np.float32) if rng is None else rng.gumbel(size=shape).astype(np.float32)
        return self._sessions["decoder"].run(None, {"z": latents.astype(np.float32), "noise": noise})[0]

    def inpaint(self, past: np.ndarray, future: np.ndarray, gap_bars: int, rng: np.random.Generator | None = None,
                attributes: dict[str, float] | None = None) -> np.ndarray:
        """Fill ``gap_bars`` bars between ``past`` ``(P, 24)`` and ``future`` ``(F, 24)``.

        Raises
        ------
        InpaintError
            No context on either side, or a gap of no bars.
        """
        if gap_bars < 1:
            raise InpaintError(f"a gap needs at least one bar, got {gap_bars}")
        if len(past) == 0 and len(future) == 0:
            raise InpaintError("no context: play at least one bar before or after the gap")
        past_z = self.encode(past) if len(past) else None
        future_z = self.encode(future) if len(future) else None
        past_z = past_z if past_z is not None else future_z[:1]
        future_z = future_z if future_z is not None else past_z[-1:]
        filled = []
        while (remaining := gap_bars - sum(len(f) for f in filled)) > 0:
            chunk = min(self.max_gap_bars, remaining)
            gap_z = self._sessions["latent_rnn"].run(None, {"past": past_z[None], "future": future_z[None],
                                                            "gap_bars": np.array([remaining], np.int64)})[0][0, :chunk]
            gap_z = self._steer(gap_z, attributes or {})
            filled.append(self.decode(gap_z, rng))
            past_z = np.concatenate([past_z, gap_z])[-6:]
        return np.concatenate(filled)[:gap_bars]

    def _steer(self, latents: np.ndarray, attributes: dict[str, float]) -> np.ndarray:
        """Set each regularised dimension to its attribute's value, 0-1 across its held-out range."""
        latents = latents.copy()
        for name, value in attributes.items():
            low, high = self.attribute_ranges[name]
            latents[:, self.attribute_dimensions[name]] = low + value * (high - low)
        return latents


def gap_context(bars: Callable[[int], np.ndarray | None], gap_start: int, gap_bars: int, context_bars: int,
                form_bars: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Past and future context of a gap at absolute bar ``gap_start``.

    ``bars(b)`` returns bar ``b``'s tokens, or None if it was never played.
    With ``form_bars`` the future comes from the previous pass of the loop;
    without it, from the bars after the gap (offline files).
    """
    past = [bars(b) for b in range(max(0, gap_start - context_bars), gap_start)]
    after = range(gap_start + gap_bars, gap_start + gap_bars + context_bars)
    if form_bars is not None:
        room = max(0, form_bars - gap_bars)
        after = [b - form_bars for b in list(after)[:room] if b - form_bars >= 0]
    future = [bars(b) for b in after]
    past = [b for b in past if b is not None]
    future = [b for b in future if b is not None]
    empty = np.zeros((0, BAR_TICKS), np.int64)
    return (np.stack(past) if past else empty), (np.stack(future) if future else empty)


def has_notes(tokens: np.ndarray) -> bool:
    return bool((tokens < N_PITCHES).any())


@dataclass
class GapRequest:
    form_start: int
    bars: int


class InpaintEngine:
    """The live engine: called on every bar line; fills requested gaps just before they start.

    Parameters
    ----------
    model : InpaintModel
    melody : MelodyHistory
        What the performer played.
    clock : MusicalClock
    play : callable
        ``play(notes, clock_state)`` schedules grid notes on MIDI out.
    send : callable
        ``send(address, *args)`` for OSC out.
    report : callable
        ``report(message)`` for errors.
    form_bars, context_bars, lookahead_s, seed :
        The loop's length, the context taken on each side, how long before the
        gap the model runs, and the sampling seed (negative: greedy).
    """

    def __init__(self, model: InpaintModel, melody: MelodyHistory, clock: MusicalClock, play: Callable,
                 send: Callable, report: Callable[[str], None], form_bars: int = 8, context_bars: int = 4,
                 lookahead_s: float = 0.15, seed: int = -1) -> None:
        self.model = model
        self._melody = melody
        self._clock = clock
        self._play = play
        self._send = send
        self._report = report
        self.form_bars = form_bars
        self.context_bars = context_bars
        self.lookahead_s = lookahead_s
        self._rng = np.random.default_rng(seed) if seed >= 0 else None
        self._lock = threading.Lock()
        self._request: GapRequest | None = None
        self.attributes: dict[str, float] = {}
        self.last_latency_ms = 0.0

    def request_gap(self, form_start: int, bars: int) -> None:
        """Fill form bars ``form_start .. form_start + bars - 1`` at their next occurrence.

        If that is the very next bar and there is still ``lookahead_s`` before it, it is armed at
        once; otherwise the bar line before the gap arms it (``on_bar``).
        """
        if not 0 <= form_start < self.form_bars:
            raise InpaintError(f"gap start {form_start} is outside the form of {self.form_bars} bars")
        if not 1 <= bars < self.form_bars:
            raise InpaintError(f"a gap of {bars} bars must leave at least one bar of the {self.form_bars}-bar form")
        state = self._clock.state()
        next_bar = int(state.beats_at(time.monotonic()) // state.beats_per_bar) + 1
        if state.running and next_bar % self.form_bars == form_start and self._arm(next_bar, bars):
            return
        with self._lock:
            self._request = GapRequest(form_start, bars)

    def set_attribute(self, name: str, value: float) -> None:
        if name not in self.model.attribute_dimensions:
            raise InpaintError(f"unknown attribute '{name}'; known: {', '.join(self.model.attribute_dimensions)}")
        self.attributes[name] = value

    def on_bar(self, line: BarLine) -> None:
        """Bar-line thread: if the requested gap starts at the next bar, fill it shortly before."""
        with self._lock:
            request = self._request
            if request is None or (line.bar + 1) % self.form_bars != request.form_start:
                return
            self._request = None
        self._arm(line.bar + 1, request.bars)

    def _arm(self, gap_start: int, gap_bars: int) -> bool:
        """Run the model ``lookahead_s`` before bar ``gap_start``; False if that moment has passed."""
        state = self._clock.state()
        delay_s = state.time_at(gap_start * state.beats_per_bar) - self.lookahead_s - time.monotonic()
        if delay_s < 0:
            return False
        timer = threading.Timer(delay_s, self._fill, (gap_start, gap_bars))
        timer.daemon = True
        timer.start()
        return True

    def _fill(self, gap_start: int, gap_bars: int) -> None:
        started = time.monotonic()
        state = self._clock.state()
        now_beats = state.beats_at(started)

        def bar(b: int) -> np.ndarray | None:
            tokens = self._melody.bar_tokens(b, now_beats=now_beats)
            return tokens if has_notes(tokens) else None

        past, future = gap_context(bar, gap_start, gap_bars, self.context_bars, self.form_bars)
        try:
            tokens = self.model.inpaint(past, future, gap_bars, self._rng, self.attributes)
        except InpaintError as exc:
            self._report(f"gap at bar {gap_start}: {exc}")
            return
        self.last_latency_ms = 1000 * (time.monotonic() - started)
        notes = tokens_to_notes(tokens.reshape(-1), start_tick=gap_start * BAR_TICKS, velocity=90)
        self._play(notes, state)
        flat: list[int] = []
        for note in notes:
            flat += [note.pitch, note.start_tick - gap_start * BAR_TICKS, note.duration_ticks]
        self._send("/inpaint/notes", gap_start, gap_bars, *flat)
        log.info("gap at bar %d (%d bars): %d notes, %.1f ms, context %d+%d bars",
                 gap_start, gap_bars, len(notes), self.last_latency_ms, len(past), len(future))
