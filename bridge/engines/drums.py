"""Streaming drum transcription: audio blocks in, drum onsets out, live and offline.

``DrumModel`` runs the causal CNN one batch of new frames at a time, carrying
its convolution states, so each frame is computed once; where a block holds a
single frame of a phase, as live blocks do, it runs with the states bound to
the session in place (``BoundStates``). A model may run at several phases: the
network, trained on frames a hop apart, then hears frames ``phases`` times as
often, each phase (every ``phases``-th frame) with states of its own, so that
whichever phase first hears enough of a stroke names it (the manifest's
``phases``). ``OnsetPicker`` fires when a class's activation crosses the
threshold upwards (no waiting for a peak: that would cost a frame of latency)
and then stays quiet for a refractory time. ``DrumEngine`` chains the log-mel
stream of ``bridge.features``, the model and the picker, gives each onset a
velocity from how loud its stroke was (``bridge.engines.drum_velocity``), and is
fed by the analysis thread or, for ``bridge transcribe-drums``, by a file.

Example
-------
>>> engine = DrumEngine(DrumModel(), on_onset=print)
>>> engine.process(block, 48000, time.monotonic())  # prints DrumOnset(...) as they are found
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import onnxruntime as ort

from bridge.config import VELOCITY_SOURCES, VelocitySettings
from bridge.drum_vocabulary import DRUM_CLASSES
from bridge.engines.class_thresholds import class_index, set_class_threshold, thresholds_by_name
from bridge.engines.drum_velocity import VelocityMeter, activation_velocity, velocity_of_level
from bridge.features import FeatureSpec, LogMelStream
from bridge.models import MODELS_DIR, ModelUnavailable, load_manifest_entry, load_session, sigmoid


@dataclass(frozen=True)
class DrumOnset:
    """One detected stroke.

    ``time_s`` is the onset's time in the stream (seconds of audio since the
    engine started or was reset); ``heard_s`` is the stream time of the last
    sample of the frame that revealed it, the earliest it could be known (its
    latency before any computing); ``detected_s`` is the clock time the
    engine's caller gave with the block that revealed it; ``level_db`` is the
    stroke's peak in its drum's band (dBFS, ``VelocityMeter``), whatever the
    velocities come from.
    """

    name: str
    class_index: int
    velocity: int  # 1-127
    activation: float  # 0-1
    time_s: float
    heard_s: float
    detected_s: float
    level_db: float


DEFAULT_DRUM_MODEL = "drums"
SILENCE_FRAMES = 64  # more than the model's receptive field (33 frames)


class DrumModel:
    """The exported causal CNN with its streaming states.

    Parameters
    ----------
    directory : Path
        Where ``manifest.json`` and the model file are.
    provider : str
        "auto", "cpu" or "cuda".
    name : str
        The model's manifest entry: "drums" (it hears at least 12.5 ms of each stroke, 17.5 ms of a snare, before
        it names it) or "drums_lookahead" (20 ms, so its onsets come that much after the stroke; both report the
        stroke's time).

    Attributes
    ----------
    spec : FeatureSpec
        The frames the network was trained on.
    phases : int
        How many phases a hop the network runs at (the manifest's ``phases``, 1 where it has none).
    stream_spec : FeatureSpec
        The frames the engine feeds it: ``spec`` with its hop divided by ``phases``.
    silent_states : list of np.ndarray
        The states that silence leaves in the network: every stream starts from them.
    """

    def __init__(self, directory: Path = MODELS_DIR, provider: str = "auto", name: str = DEFAULT_DRUM_MODEL) -> None:
        entry = load_manifest_entry(name, directory)
        self.session = load_session(directory / entry["files"]["model"], provider)
        self.spec = FeatureSpec(**entry["features"])
        self.classes: tuple[str, ...] = tuple(entry["classes"])
        self.thresholds = np.asarray(entry["thresholds"], np.float32)  # per class, tuned on validation
        # Per class: how long after a stroke its onset fires (the look-ahead and the median lateness on validation),
        # one figure for every class or one each.
        self.time_offset_s = np.broadcast_to(np.asarray(entry["time_offset_s"], np.float64), (len(self.classes),))
        # The most look-ahead of any class (a class may have its own: train drums --look-ahead DRUM=HOPS).
        self.look_ahead_s: float = float(np.max(entry.get("look_ahead_frames", 0))) * self.spec.hop_s
        self.phases = int(entry.get("phases", 1))
        try:
            self.stream_spec = self.spec.at_phases(self.phases)  # the frames the engine streams
        except ValueError as exc:
            raise ModelUnavailable(f"drum model {name}: {exc}") from None
        self._state_names = [i.name for i in self.session.get_inputs()[1:]]
        zero_states = [np.zeros([1, *i.shape[1:]], np.float32) for i in self.session.get_inputs()[1:]]
        # Zero states are zero activations inside the network, not what silence leaves there: after a
        # reset the first stroke came out as tom and crash. Silence it is, then, a receptive field of it.
        self.silent_states = self._run(np.zeros((SILENCE_FRAMES, self.spec.n_mels), np.float32), zero_states)[1]
        self._phase_states = [BoundStates(self.session, self.silent_states) for _ in range(self.phases)]
        self.reset()

    def reset(self) -> None:
        """Start a new stream, with silence before it (at every phase)."""
        for states in self._phase_states:
            states.replace(self.silent_states)
        self._next_phase = 0  # the phase of the next frame

    def _run(self, frames: np.ndarray, states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        feeds = {"features": frames[None].astype(np.float32), **dict(zip(self._state_names, states))}
        logits, *next_states = self.session.run(None, feeds)
        return sigmoid(logits[0]), next_states

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """Activations (frames, classes), 0-1, of new log-mel frames (frames, n_mels) of ``stream_spec``."""
        activations = np.zeros((len(frames), len(self.classes)), np.float32)
        for phase, states in enumerate(self._phase_states):
            rows = slice((phase - self._next_phase) % self.phases, None, self.phases)
            phase_frames = frames[rows]  # a phase may have none in a short block
            if len(phase_frames) == 1:  # live, a JACK period holds a frame or two
                activations[rows] = sigmoid(states.step(phase_frames[0]))
            elif len(phase_frames):
                activations[rows], next_states = self._run(phase_frames, states.arrays)
                states.replace(next_states)
        self._next_phase = (self._next_phase + len(frames)) % self.phases
        return activations


class BoundStates:
    """The streaming states of one phase of a ``DrumModel``, bound to the session in place for single frames.

    Two sets of state arrays take turns: a frame's run reads one and writes the next states into the other, so a
    live frame costs no feeds to build and no outputs to allocate: for a network this small, ``session.run``
    spent a good part of its time on them (``bridge bench``: the live blocks ran 48x real time, now 55x).

    Parameters
    ----------
    session : onnxruntime.InferenceSession
        The drum network: inputs ``features`` (1, frames, n_mels) and its states, outputs ``logits`` and the next
        states, in the same order.
    states : list of np.ndarray
        The states to start from (copied).
    """

    def __init__(self, session: ort.InferenceSession, states: list[np.ndarray]) -> None:
        inputs, outputs = session.get_inputs(), session.get_outputs()
        self._session = session
        self._frame = np.zeros((1, 1, inputs[0].shape[2]), np.float32)
        self._logits = np.zeros((1, 1, outputs[0].shape[2]), np.float32)
        self._sets = [[np.array(state, np.float32) for state in states] for _ in range(2)]
        # The values wrap the arrays without a copy; they are kept, as the arrays are, while the bindings use them.
        self._values = [[ort.OrtValue.ortvalue_from_numpy(state) for state in arrays] for arrays in self._sets]
        self._frame_value = frame = ort.OrtValue.ortvalue_from_numpy(self._frame)
        self._logits_value = logits = ort.OrtValue.ortvalue_from_numpy(self._logits)
        self._bindings = []
        for read in (0, 1):
            binding = session.io_binding()
            binding.bind_ortvalue_input(inputs[0].name, frame)
            binding.bind_ortvalue_output(outputs[0].name, logits)
            for name, value in zip((i.name for i in inputs[1:]), self._values[read]):
                binding.bind_ortvalue_input(name, value)
            for name, value in zip((o.name for o in outputs[1:]), self._values[1 - read]):
                binding.bind_ortvalue_output(name, value)
            self._bindings.append(binding)
        self._read = 0

    @property
    def arrays(self) -> list[np.ndarray]:
        """The current states."""
        return self._sets[self._read]

    def replace(self, states: list[np.ndarray]) -> None:
        """Make ``states`` the current states (copied in place)."""
        for array, state in zip(self.arrays, states):
            np.copyto(array, state)

    def step(self, frame: np.ndarray) -> np.ndarray:
        """The logits (1, classes) of one log-mel frame (n_mels,); the states move on by it."""
        self._frame[0, 0] = frame
        self._session.run_with_iobinding(self._bindings[self._read])
        self._read = 1 - self._read
        return self._logits[0].copy()


class OnsetPicker:
    """Upward threshold crossings per class, with a refractory time.

    Parameters
    ----------
    n_classes : int
        Columns of the activations.
    thresholds : float or array of float
        Activation (0-1) that fires an onset, one for all classes or one per class.
    hop_s : float
        Time between two frames of activations.
    refractory_s : float
        Minimum time between two onsets of one class.
    phases : int
        The activations of a model at several phases (``DrumModel.phases``): a frame crosses the threshold
        against the frame of its own phase before it, ``phases`` frames back.
    """

    def __init__(self, n_classes: int, thresholds: float | np.ndarray, hop_s: float, refractory_s: float = 0.04,
                 phases: int = 1) -> None:
        self.thresholds = np.broadcast_to(np.asarray(thresholds, np.float32), (n_classes,)).copy()
        self._refractory_frames = max(1, int(round(refractory_s / hop_s)))
        self._n_classes = n_classes
        self._phases = phases
        self.reset()

    def reset(self) -> None:
        self._previous = np.zeros((self._phases, self._n_classes), np.float32)  # the last frame of each phase
        self._quiet_until = np.zeros(self._n_classes, np.int64)
        self._frame = 0

    def skip(self, frames: int) -> None:
        """Frames that cannot hold an onset (digital silence): the clock runs on, nothing fires."""
        self._previous = np.zeros((self._phases, self._n_classes), np.float32)
        self._frame += frames

    def __call__(self, activations: np.ndarray) -> list[tuple[int, int, float]]:
        """(frame index in the stream, class, activation) of the onsets in new activations."""
        if len(activations) == 0:
            return []
        # The crossings of the whole block at once; only they (a few a second) are walked, in frame order,
        # for the refractory time. A Python step per frame cost about a tenth of a file's transcription.
        history = np.concatenate((self._previous, activations))
        crossed = (activations >= self.thresholds) & (history[:len(activations)] < self.thresholds)
        onsets = []
        for row, c in zip(*np.nonzero(crossed)):
            frame = self._frame + int(row)
            if frame >= self._quiet_until[c]:
                onsets.append((frame, int(c), float(activations[row, c])))
                self._quiet_until[c] = frame + self._refractory_frames
        self._previous = history[-self._phases:]
        self._frame += len(activations)
        return onsets


class PeakMeter:
    """The peak activation of each class over every stretch of ``frames`` frames: a sound check's meters, which
    show how far a drum's strokes rise against its threshold.

    Parameters
    ----------
    n_classes : int
        Columns of the activations.
    frames : int
        Frames in one stretch (at least 1).
    """

    def __init__(self, n_classes: int, frames: int) -> None:
        self.frames = max(1, frames)
        self._n_classes = n_classes
        self.reset()

    def reset(self) -> None:
        self._peak = np.zeros(self._n_classes, np.float32)
        self._count = 0

    def __call__(self, activations: np.ndarray) -> list[np.ndarray]:
        """The peaks (classes,) of the stretches that new activations (frames, classes) complete, in order."""
        peaks = []
        start = 0
        while start < len(activations):
            end = min(len(activations), start + self.frames - self._count)
            self._peak = np.maximum(self._peak, activations[start:end].max(axis=0))
            self._count += end - start
            start = end
            if self._count == self.frames:
                peaks.append(self._peak)
                self.reset()
        return peaks


class DrumEngine:
    """Audio blocks in, ``DrumOnset`` callbacks out (an ``AudioEngine`` of the analysis thread).

    Parameters
    ----------
    model : DrumModel
        The loaded model.
    on_onset : callable
        Called with each ``DrumOnset``, in order, on the caller's thread.
    threshold : float, optional
        One threshold for every class instead of the model's tuned ones.
    on_peaks : callable, optional
        Called on the caller's thread with the peak activation of every class (``PeakMeter``) each
        ``peak_frames`` frames; digital silence counts as activations of 0.
    peak_frames : int
        Frames between two calls of ``on_peaks`` (10: ten a second at a 10-ms hop).
    velocity : VelocitySettings
        Where the onsets' velocities come from: the strokes' levels (the default) or the activations, and the
        velocity references held from the start (those of drums the model has).

    Raises
    ------
    ValueError
        ``threshold`` is not between 0 and 1, or ``velocity`` names no source or a curve or memory of 0 or less.
    """

    name = "drums"

    def __init__(self, model: DrumModel, on_onset: Callable[[DrumOnset], None], threshold: float | None = None,
                 on_peaks: Callable[[np.ndarray], None] | None = None, peak_frames: int = 10,
                 velocity: VelocitySettings = VelocitySettings()) -> None:
        self.model = model
        self.on_onset = on_onset
        self.on_peaks = on_peaks
        self.velocities = VelocityMeter(model.stream_spec.sample_rate_hz, model.classes, velocity.curve_db,
                                        velocity.memory_s)
        self.velocities.hold_levels({model.classes.index(name): level for name, level in velocity.references.items()
                                     if name in model.classes})
        self.features = LogMelStream(model.stream_spec, on_samples=self.velocities.observe)
        self.picker = OnsetPicker(len(model.classes), model.thresholds, model.stream_spec.hop_s, phases=model.phases)
        self.meter = PeakMeter(len(model.classes), peak_frames)
        self.set_velocity(velocity.source)
        if threshold is not None:
            self.set_threshold(threshold)
        self.frames_processed = 0
        self._silent = False

    def set_threshold(self, value: float, name: str | None = None) -> None:
        """The activation that fires an onset (``/drums/threshold``): for every class, or for class ``name`` only.

        Raises
        ------
        ValueError
            ``value`` is not between 0 and 1 (exclusive), or the model has no class ``name``.
        """
        set_class_threshold(self.picker.thresholds, self.model.classes, value, name, "drum")

    def thresholds(self) -> dict[str, float]:
        """The current threshold of each class, by name."""
        return thresholds_by_name(self.picker.thresholds, self.model.classes)

    def set_velocity(self, source: str, curve_db: float | None = None) -> None:
        """Where the velocities come from from now on (``/drums/velocity``): "level" or "activation", and for
        "level" the decibels a tenfold (``curve_db``; unchanged when None).

        Raises
        ------
        ValueError
            ``source`` is neither, or ``curve_db`` is 0 or less.
        """
        if source not in VELOCITY_SOURCES:
            raise ValueError(f"no velocity source {source!r}: choose {' or '.join(VELOCITY_SOURCES)}")
        if curve_db is not None:
            self.velocities.set_curve(curve_db)
        self.velocity_source = source

    def hold_velocity_references(self, name: str | None = None) -> dict[str, float]:
        """Fix each drum's velocity reference (or drum ``name``'s alone) at its loudest stroke lately
        (``/drums/velocity_reference hold``, ``VelocityMeter.hold``); returns the references it fixed, dBFS by
        drum name (none for a drum with no stroke lately).

        Raises
        ------
        ValueError
            The model has no drum ``name``.
        """
        return self._by_name(self.velocities.hold(class_index(self.model.classes, name, "drum")))

    def adapt_velocity_references(self, name: str | None = None) -> None:
        """Let each drum's velocity reference (or drum ``name``'s alone) follow its loudest recent stroke again
        (``/drums/velocity_reference adapt``).

        Raises
        ------
        ValueError
            The model has no drum ``name``.
        """
        self.velocities.adapt(class_index(self.model.classes, name, "drum"))

    def velocity_references(self) -> dict[str, float]:
        """The velocity references held now, dBFS by drum name (none while they follow the strokes)."""
        return self._by_name(self.velocities.held())

    def _by_name(self, levels: dict[int, float]) -> dict[str, float]:
        return {self.model.classes[c]: round(level, 2) for c, level in levels.items()}

    def reset(self) -> None:
        self.features.reset()
        self.model.reset()
        self.picker.reset()
        self.meter.reset()
        self.velocities.reset()
        self.frames_processed = 0
        self._silent = False

    def samples_wanted(self, sample_rate_hz: int) -> int:
        """Input samples that complete the next feature frame: the analysis thread sleeps until they are in."""
        return self.features.samples_wanted(sample_rate_hz)

    def process(self, samples: np.ndarray, sample_rate_hz: int, time_s: float) -> None:
        frames = self.features.process(samples, sample_rate_hz)
        if not len(frames):
            return
        if not frames.any():
            # Digital silence: the model rests and starts over from silence, as every track began in training.
            if not self._silent:
                self.model.reset()
                self._silent = True
            self.picker.skip(len(frames))
            self._report_peaks(np.zeros((len(frames), len(self.model.classes)), np.float32))
            self.frames_processed += len(frames)
            return
        self._silent = False
        activations = self.model(frames)
        self._report_peaks(activations)
        for frame, c, activation in self.picker(activations):
            frame_hop_s = self.model.stream_spec.hop_s
            onset_s = stroke_time_s(frame, frame_hop_s, self.model.spec.hop_s) - self.model.time_offset_s[c]
            heard_s = (frame + 1) * frame_hop_s
            level_db, velocity = self.velocities(c, onset_s, heard_s)
            if self.velocity_source == "activation":
                velocity = activation_velocity(activation)
            self.on_onset(DrumOnset(self.model.classes[c], c, velocity, activation, max(0.0, onset_s), heard_s,
                                    time_s, level_db))
        self.frames_processed += len(frames)

    def _report_peaks(self, activations: np.ndarray) -> None:
        if self.on_peaks is not None:
            for peaks in self.meter(activations):
                self.on_peaks(peaks)


def transcribe(audio: np.ndarray, sample_rate_hz: int, model: DrumModel, threshold: float | None = None,
               block: int = 4096, class_thresholds: Mapping[str, float] | None = None,
               velocity: VelocitySettings = VelocitySettings()) -> list[DrumOnset]:
    """Stream a whole signal through a ``DrumEngine``, block by block as the daemon would.

    ``threshold`` replaces the tuned thresholds of every class, then ``class_thresholds`` (class name to
    threshold) those of single classes; a bad value or name raises ValueError, as ``DrumEngine.set_threshold``.
    ``velocity``: as ``DrumEngine`` takes it.
    """
    onsets: list[DrumOnset] = []
    engine = DrumEngine(model, onsets.append, threshold, velocity=velocity)
    for name, value in (class_thresholds or {}).items():
        engine.set_threshold(value, name)
    model.reset()
    for start in range(0, len(audio), block):
        engine.process(audio[start:start + block], sample_rate_hz, start / sample_rate_hz)
    tail = int(0.05 * sample_rate_hz)  # flush: let the last onsets cross the threshold
    engine.process(np.zeros(tail, np.float32), sample_rate_hz, len(audio) / sample_rate_hz)
    return onsets


def stroke_time_s(frame: int, frame_hop_s: float, hop_s: float) -> float:
    """Where the onset that ``frame`` (stream index, frames ``frame_hop_s`` apart) fires points, before the
    model's time offset: half a network hop (``hop_s``) before the frame's end. Tuning (``export drums``) measures
    the time offset from it, and the engine takes the offset back off it."""
    return (frame + 1) * frame_hop_s - hop_s / 2


GM_NOTE_OF_CLASS = {c.name: c.midi_note for c in DRUM_CLASSES}


def against_loudest_in_file(onsets: list[DrumOnset], curve_db: float) -> list[DrumOnset]:
    """The onsets with their velocities mapped against the loudest stroke of their drum among them all (a whole
    file's), by the General MIDI curve of ``curve_db``: live, the engine knows only the strokes so far, and a
    drum's first strokes come out loud until a louder one."""
    loudest: dict[int, float] = {}
    for onset in onsets:
        loudest[onset.class_index] = max(loudest.get(onset.class_index, -np.inf), onset.level_db)
    return [replace(onset, velocity=velocity_of_level(onset.level_db, loudest[onset.class_index], curve_db))
            for onset in onsets]
