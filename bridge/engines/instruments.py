"""Rolling instrument activity and attention-pooled clip tags of the incoming audio.

Every ``update_frames`` new log-mel frames (100 ms by default) the activity CNN
looks at the last second; its probabilities are smoothed (exponential moving
average) and gated with hysteresis, so visuals do not flicker: a class turns on
above its own threshold (tuned on validation, in the manifest) and off below
``OFF_SHARE`` of it. Once a second the embedding of the second just completed
joins a ring of the last ten, and the attention model tags those ten seconds as
a clip and tells which seconds it listened to. Silence (below ``silence_dbfs``)
reports no activity without running the model.

Example
-------
>>> engine = InstrumentEngine(InstrumentModel(), on_update=print)
>>> engine.process(block, 48000, time.monotonic())  # prints an InstrumentUpdate ten times a second
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from bridge.config import InstrumentsConfig
from bridge.engines.class_thresholds import set_class_threshold, thresholds_by_name
from bridge.features import FeatureSpec, LogMelStream
from bridge.models import MODELS_DIR, load_manifest_entry, load_session, sigmoid

CLIP_SECONDS = 10
OFF_SHARE = 0.6  # a class turns off below this share of its on-threshold (0.3 for 0.5)
UNTUNED_THRESHOLD = 0.5  # the on-threshold of every class where the manifest has none (a model exported before tuning)


def hysteresis(active: np.ndarray, activity: np.ndarray, on_threshold: np.ndarray | float,
               off_threshold: np.ndarray | float) -> np.ndarray:
    """Active classes after an update: an active class stays on down to ``off_threshold``, an inactive one
    turns on only at ``on_threshold``."""
    return np.where(active, activity >= off_threshold, activity >= on_threshold)


class InstrumentModel:
    """The activity and attention graphs of ``models_onnx/``."""

    def __init__(self, directory: Path = MODELS_DIR, provider: str = "auto") -> None:
        entry = load_manifest_entry("instruments", directory)
        self.activity = load_session(directory / entry["files"]["activity"], provider)
        self.attention = load_session(directory / entry["files"]["attention"], provider)
        self.spec = FeatureSpec(**entry["features"])
        self.classes: tuple[str, ...] = tuple(entry["classes"])
        self.frames_per_window: int = int(entry["frames_per_window"])
        # Per class, the on-threshold of best F1 on validation (``python -m export tune instruments``).
        self.thresholds = np.asarray(entry.get("thresholds", [UNTUNED_THRESHOLD] * len(self.classes)), np.float32)
        # ONNX Runtime's first run allocates: done here, before the daemon answers, not on the first window.
        _, embedding = self.window(np.zeros((self.frames_per_window, self.spec.n_mels), np.float32))
        self.clip(embedding[None])

    def window(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities (classes,) and embedding (128,) of one window (frames_per_window, n_mels)."""
        logits, embedding = self.activity.run(None, {"windows": frames[None].astype(np.float32)})
        return sigmoid(logits[0]), embedding[0]

    def clip(self, embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Clip probabilities (classes,) and attention (classes, N) of N <= 10 instance embeddings (N, 128)."""
        logits, attention = self.attention.run(None, {"embeddings": embeddings[None].astype(np.float32)})
        return sigmoid(logits[0]), attention[0]


@dataclass(frozen=True)
class InstrumentUpdate:
    """What the engine reports ten times a second (``clip`` and ``attention`` once a second, else None)."""

    time_s: float  # stream time of the window's end, seconds
    activity: np.ndarray  # smoothed probabilities (classes,)
    active: np.ndarray  # bool (classes,), after hysteresis
    clip: np.ndarray | None = None  # clip probabilities over the last (up to) ten seconds
    attention: np.ndarray | None = None  # (classes, N) weights over those seconds, oldest first


class InstrumentEngine:
    """Audio blocks in, ``InstrumentUpdate`` callbacks out (an ``AudioEngine`` of the analysis thread).

    Parameters
    ----------
    smoothing : float
        Weight of the newest probabilities in the moving average (1 = no smoothing).
    on_threshold, off_threshold : float, optional
        Hysteresis, one value for every class: a class turns active above ``on_threshold`` and inactive below
        ``off_threshold``. By default each class turns on above its tuned threshold (``model.thresholds``)
        and off below ``OFF_SHARE`` of its on-threshold.
    update_frames : int
        Frames between two updates (5 frames of 20 ms: 10 updates a second).
    """

    name = "instruments"

    def __init__(self, model: InstrumentModel, on_update: Callable[[InstrumentUpdate], None], smoothing: float = 0.5,
                 on_threshold: float | None = None, off_threshold: float | None = None, update_frames: int = 5,
                 silence_dbfs: float = -70.0) -> None:
        self.model = model
        self.on_update = on_update
        self.smoothing = smoothing
        n = len(model.classes)
        self.on_threshold = model.thresholds.copy() if on_threshold is None else np.full(n, on_threshold, np.float32)
        self.off_threshold = OFF_SHARE * self.on_threshold if off_threshold is None else np.full(n, off_threshold, np.float32)
        self.update_frames = update_frames
        self._silence_power = 10 ** (silence_dbfs / 10)
        self.features = LogMelStream(model.spec)
        self.reset()

    def set_threshold(self, value: float, name: str | None = None) -> None:
        """The on-threshold (``/instruments/threshold``) of every class, or of class ``name`` only; its
        off-threshold follows at ``OFF_SHARE`` of it.

        Raises
        ------
        ValueError
            ``value`` is not between 0 and 1 (exclusive), or the model has no class ``name``.
        """
        set_class_threshold(self.on_threshold, self.model.classes, value, name, "instrument")
        set_class_threshold(self.off_threshold, self.model.classes, OFF_SHARE * value, name, "instrument")

    def thresholds(self) -> dict[str, float]:
        """The current on-threshold of each class, by name."""
        return thresholds_by_name(self.on_threshold, self.model.classes)

    def reset(self) -> None:
        n = len(self.model.classes)
        self.features.reset()
        self._frames = np.zeros((0, self.model.spec.n_mels), np.float32)
        self._since_update = 0
        self._since_instance = 0
        self._power = deque(maxlen=self.model.frames_per_window)
        self._embeddings: deque[np.ndarray] = deque(maxlen=CLIP_SECONDS)
        self.activity = np.zeros(n, np.float32)
        self.active = np.zeros(n, bool)
        self.frames_processed = 0

    def samples_wanted(self, sample_rate_hz: int) -> int:
        """Input samples that complete the next feature frame: the analysis thread sleeps until they are in."""
        return self.features.samples_wanted(sample_rate_hz)

    def process(self, samples: np.ndarray, sample_rate_hz: int, time_s: float) -> None:
        frames = self.features.process(samples, sample_rate_hz)
        block_power = float(np.mean(np.square(samples, dtype=np.float64))) if len(samples) else 0.0
        window = self.model.frames_per_window
        start = 0
        while start < len(frames):  # an update every update_frames frames, however large the block
            take = max(1, min(len(frames) - start, self.update_frames - self._since_update))
            self._frames = np.concatenate((self._frames, frames[start:start + take]))[-window:]
            self._power.extend([block_power] * take)  # the silence gate looks at the window's loudest block
            self._since_update += take
            self._since_instance += take
            self.frames_processed += take
            start += take
            if self._since_update >= self.update_frames:
                self._since_update = 0
                if len(self._frames) == window:
                    self._update()

    def _update(self) -> None:
        stream_s = self.frames_processed * self.model.spec.hop_s
        silent = max(self._power, default=0.0) < self._silence_power
        if silent:
            probabilities, embedding = np.zeros(len(self.model.classes), np.float32), None
        else:
            probabilities, embedding = self.model.window(self._frames)
        self.activity = (self.smoothing * probabilities + (1 - self.smoothing) * self.activity).astype(np.float32)
        self.active = hysteresis(self.active, self.activity, self.on_threshold, self.off_threshold)
        clip = attention = None
        if self._since_instance >= self.model.frames_per_window:
            self._since_instance = 0
            if embedding is not None:
                self._embeddings.append(embedding)
            if self._embeddings and not silent:
                clip, attention = self.model.clip(np.stack(self._embeddings))
        self.on_update(InstrumentUpdate(stream_s, self.activity.copy(), self.active.copy(), clip, attention))


def engine_settings(settings: InstrumentsConfig, model: InstrumentModel) -> dict:
    """``InstrumentEngine``'s keyword arguments from the ``[instruments]`` section of the config (live and offline)."""
    return {"smoothing": settings.smoothing, "on_threshold": settings.on_threshold or None,
            "off_threshold": settings.off_threshold or None, "silence_dbfs": settings.silence_dbfs,
            "update_frames": model.spec.frames_between(settings.updates_per_s)}


def detect(audio: np.ndarray, sample_rate_hz: int, model: InstrumentModel, block: int = 4096, **settings
           ) -> list[InstrumentUpdate]:
    """Stream a whole signal through an ``InstrumentEngine``; every update, in order."""
    updates: list[InstrumentUpdate] = []
    engine = InstrumentEngine(model, updates.append, **settings)
    for start in range(0, len(audio), block):
        engine.process(audio[start:start + block], sample_rate_hz, start / sample_rate_hz)
    return updates
