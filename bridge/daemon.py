"""The daemon: transports in, musical clock, engines, transports out.

The live path, in the order data flows:

1. ``MidiPorts`` (its reader thread) / ``OscReceiver`` / ``AudioInput`` callbacks timestamp what
   arrives and put it on bounded queues (or the audio ring buffer);
2. ``_midi_loop`` decodes MIDI, drives the ``MusicalClock`` and records notes
   on the bar grid (``MelodyHistory``); ``_osc_loop`` dispatches OSC routes;
   the ``AnalysisThread`` runs the audio engines;
3. ``_bar_loop`` emits bar lines from the clock;
4. ``MidiScheduler`` and ``OscSender`` send what the engines produce.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path

import numpy as np

from bridge import __version__
from bridge.analysis import AnalysisThread, LevelMeter
from bridge.clock import MusicalClock
from bridge.config import Config
from bridge.counters import Counters, DroppingQueue
from bridge.engines.drums import GM_NOTE_OF_CLASS, DrumEngine, DrumModel, DrumOnset
from bridge.engines.inpaint import InpaintEngine, InpaintError, InpaintModel
from bridge.engines.instruments import InstrumentEngine, InstrumentModel, InstrumentUpdate, engine_settings
from bridge.events import BarLine, RawMidi, RawOsc
from bridge.instrument_vocabulary import Families
from bridge.io.audio import AudioInput, AudioUnavailable, make_audio_input
from bridge.io.jack_server import JackWatch
from bridge.io.midi import MidiPorts, MidiUnavailable
from bridge.io.osc import OscReceiver, OscSender
from bridge.midi_messages import MidiDecodeError, MidiMessage, decode
from bridge.models import ModelUnavailable, models_directory
from bridge.osc_api import input_routes
from bridge.osc_dispatch import OscDispatcher
from bridge.reporting import ErrorReporter
from bridge.scheduler import MidiScheduler
from bridge.score import PITCH_HIGH, PITCH_LOW, MelodyHistory

log = logging.getLogger("bridge")

# Never dropped from a burst, so they work during a flood of other messages, and handled ahead of the rest of
# their batch in arrival order. A (un)subscribe says where replies go, so it keeps its place before a ping read
# in the same batch: handled after it, the pong went to the old address.
URGENT_OSC_PREFIXES = (b"/bridge/ping\x00", b"/bridge/status\x00", b"/bridge/panic\x00", b"/bridge/subscribe\x00",
                       b"/bridge/unsubscribe\x00")
DROP_COUNTERS = ("osc_dropped_queue", "osc_dropped_kernel", "midi_in_dropped", "scheduler_dropped",
                 "midi_out_dropped", "audio_overflows", "audio_samples_missed")
EVENT_COUNTERS = ("midi_in", "midi_out", "osc_received", "osc_handled", "osc_sent", "errors", "errors_suppressed",
                  "jack_xruns", "audio_frames_skipped", "audio_frames_repeated", "drum_onsets")


class Daemon:
    """mir-bridge's live process.

    Parameters
    ----------
    config : Config
        Ports, devices, clock and model settings.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.counters = Counters()
        for name in DROP_COUNTERS + EVENT_COUNTERS:
            self.counters.set(name, 0)  # always reported, even before the first event
        self.reporter = ErrorReporter(self.counters, config.osc.error_rate_per_s)
        self.clock = MusicalClock(config.clock.tempo_bpm, config.clock.beats_per_bar, config.clock.beat_unit,
                                  config.clock.clock_window_ticks, config.clock.source, time.monotonic())
        self.melody = MelodyHistory(self.clock.state().beats_per_bar)
        self.osc_out = OscSender(config.osc.send_host, config.osc.send_port, self.counters)
        self.reporter.connect(lambda source, message: self.osc_out.send("/bridge/error", source, message))
        self.dispatcher = OscDispatcher(input_routes(self), lambda message: self.reporter.error("osc", message))
        self._midi_queue: DroppingQueue[RawMidi] = DroppingQueue(config.midi.queue_size, self.counters, "midi_in_dropped")
        self.osc_in = OscReceiver(config.osc.listen_host, config.osc.listen_port, self._on_osc_batch, self.counters,
                                  config.osc.receive_buffer_bytes)
        self.midi = MidiPorts(config.midi, self._on_raw_midi)
        self.scheduler = MidiScheduler(self.midi.send, self.counters, config.scheduler.max_pending,
                                       lambda: self.midi.lead_s)
        self.audio: AudioInput | None = None
        self.level = LevelMeter(lambda rms, peak: self.osc_out.send("/bridge/audio/level", rms, peak),
                                config.audio.level_rate_hz)
        self.analysis = AnalysisThread(lambda: self.audio, [self.level], self.counters, self.reporter)
        self.bar_listeners: list = []
        self.inpaint: InpaintEngine | None = None
        self.drums: DrumEngine | None = None
        self.instruments: InstrumentEngine | None = None
        self._instruments_active: np.ndarray = np.zeros(0, bool)
        self._families = Families((), ())  # of the instrument model, once it loads
        self._jack_watch: JackWatch | None = None
        self._jack_lost = False
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._midi_loop, name="midi-events", daemon=True),
            threading.Thread(target=self._bar_loop, name="bar-lines", daemon=True),
        ]
        self.started_s = time.monotonic()

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        """Open every transport that can be opened; report the others and go on without them."""
        log.info("mir-bridge %s: OSC in %s:%d, out %s:%d", __version__, *self.osc_in.address,
                 self.config.osc.send_host, self.config.osc.send_port)
        self.scheduler.start()
        self.analysis.start()
        for thread in self._threads:
            thread.start()
        self._open_midi()  # before the JACK watch's client exists: see JackWatch._run
        if self.midi.api == "jack" or self.config.midi.api == "jack":
            self._jack_watch = JackWatch(self._on_jack_down, self._on_jack_up, lambda: self.counters.add("jack_xruns"))
            self._jack_watch.start()
        self._open_audio()
        self._load_models()
        self.osc_in.start()  # last: a ping answered means every transport is open

    def stop(self) -> None:
        """All notes off, then close everything."""
        self._stop.set()
        self.scheduler.stop()
        self.analysis.stop()
        if self._jack_lost:
            # Once a JACK server of this process has died, libjack can block for good while
            # closing even new clients; the server drops them when the process exits.
            time.sleep(0.05)  # two periods or more: JACK delivers the notes-off just sent
            self.midi.abandon()
            if self.audio is not None:
                self.audio.abandon()
        else:
            if self._jack_watch is not None:
                self._jack_watch.stop()
            self.midi.close()
            if self.audio is not None:
                self.audio.close()
        self.osc_in.stop()
        for thread in self._threads:
            thread.join(timeout=2)
        self.osc_out.close()

    def run_forever(self) -> None:
        while not self._stop.wait(0.5):
            pass

    def _open_midi(self) -> None:
        try:
            self.midi.open()
        except MidiUnavailable as exc:
            self.reporter.error("midi", f"{exc}; running without MIDI")

    def _open_audio(self) -> None:
        if not self.config.audio.enabled:
            return
        audio = make_audio_input(self.config.audio, self.counters, f"{self.config.midi.client_name}-audio")
        try:
            audio.open()
        except AudioUnavailable as exc:
            self.reporter.error("audio", f"{exc}; running without audio input")
            return
        if audio.problem:
            self.reporter.error("audio", audio.problem)
        self.audio = audio

    def _load_models(self) -> None:
        """Start the engines whose models load; report the others and run without them."""
        directory = models_directory(self.config.models.dir)
        self._load_drums(directory)
        self._load_instruments(directory)
        settings = self.config.inpaint
        if not settings.enabled:
            return
        try:
            model = InpaintModel(directory, self.config.models.provider)
            model.warm_up()
        except (ModelUnavailable, KeyError, OSError, ValueError) as exc:
            self.reporter.error("model", f"inpainting is off: {exc}")
            return
        self.inpaint = InpaintEngine(
            model, self.melody, self.clock,
            play=lambda notes, state: self.scheduler.schedule_grid_notes(notes, state, settings.channel),
            send=self.osc_out.send, report=lambda message: self.reporter.error("inpaint", message),
            form_bars=settings.form_bars, context_bars=settings.context_bars,
            lookahead_s=settings.lookahead_ms / 1000.0, seed=settings.seed)
        self.bar_listeners.append(self.inpaint.on_bar)
        log.info("inpainting: %d-bar form, %d bars of context, channel %d", settings.form_bars,
                 settings.context_bars, settings.channel)

    def _load_drums(self, directory: Path) -> None:
        settings = self.config.drums
        if not settings.enabled:
            return
        try:
            model = DrumModel(directory, self.config.models.provider, settings.model)
        except (ModelUnavailable, KeyError, OSError, ValueError, TypeError) as exc:
            self.reporter.error("model", f"drum transcription is off: {exc}")
            return
        on_peaks, peak_frames = None, 1
        if settings.peaks_per_s > 0:  # the meters of /drum/peaks
            on_peaks, peak_frames = self._on_drum_peaks, model.stream_spec.frames_between(settings.peaks_per_s)
        self.drums = DrumEngine(model, self._on_drum_onset, on_peaks=on_peaks, peak_frames=peak_frames,
                                velocity=settings.velocity_settings())
        overrides = ([(None, settings.threshold)] if settings.threshold else []) + list(settings.thresholds.items())
        for name, value in overrides:
            self._set_threshold("drums", value, name, "[drums] thresholds" if name else "[drums] threshold")
        self.analysis.engines.append(self.drums)
        thresholds = ", ".join(f"{name} {value:.2f}" for name, value in self.drums.thresholds().items())
        held = ", ".join(f"{name} {level:.1f} dBFS" for name, level in self.drums.velocity_references().items())
        velocities = ("from the strokes' levels (%g dB a tenfold, 127 at the loudest of the last %g s once a few "
                      "are heard%s)"
                      % (settings.velocity_curve_db, settings.velocity_memory_s, f"; held: {held}" if held else "")
                      if settings.velocity == "level" else "from the activations")
        log.info("drum transcription: model %s (look-ahead up to %.1f ms, %d phase(s) a hop), thresholds %s, "
                 "velocities %s, channel %d", settings.model, 1000 * model.look_ahead_s, model.phases, thresholds,
                 velocities, settings.channel)

    def _load_instruments(self, directory: Path) -> None:
        settings = self.config.instruments
        if not settings.enabled:
            return
        try:
            model = InstrumentModel(directory, self.config.models.provider)
        except (ModelUnavailable, KeyError, OSError, ValueError, TypeError) as exc:
            self.reporter.error("model", f"instrument activity is off: {exc}")
            return
        self.instruments = InstrumentEngine(model, self._on_instrument_update, **engine_settings(settings, model))
        self.analysis.engines.append(self.instruments)
        self._families = Families.of(model.classes)
        self.osc_out.send("/instrument/classes", *model.classes)
        self.osc_out.send("/instrument/families", *self._families.names)
        log.info("instrument activity: %d classes, %.1f updates a second; on-thresholds %s", len(model.classes),
                 1.0 / (self.instruments.update_frames * model.spec.hop_s),
                 ", ".join(f"{name} {value:.2f}" for name, value in self.instruments.thresholds().items()))

    def _on_instrument_update(self, update: InstrumentUpdate) -> None:
        """Analysis thread: activity (of classes and families) ten times a second, per-class values of the active
        ones, clip tags once a second."""
        classes = self.instruments.model.classes
        self.osc_out.send("/instrument/activity", *(float(v) for v in update.activity))
        self.osc_out.send("/instrument/family_activity", *(float(v) for v in self._families.activity(update.activity)))
        for name, value, active, was in zip(classes, update.activity, update.active, self._instruments_active):
            if active or was:
                self.osc_out.send(f"/instrument/{name}", float(value) if active else 0.0)
        self._instruments_active = update.active
        if update.clip is not None:
            self.osc_out.send("/instrument/clip", *(float(v) for v in update.clip))
            top = int(update.clip.argmax())
            self.osc_out.send("/instrument/attention", classes[top], *(float(w) for w in update.attention[top]))

    def _on_drum_onset(self, onset: DrumOnset) -> None:
        """Analysis thread: the note goes out now; OSC carries the onset's time in the audio stream."""
        now = time.monotonic()
        self.counters.add("drum_onsets")
        self.scheduler.schedule_note(GM_NOTE_OF_CLASS[onset.name], onset.velocity, now,
                                     now + self.config.drums.note_ms / 1000.0, self.config.drums.channel)
        self.osc_out.send("/drum/onset", onset.name, onset.velocity / 127.0, onset.time_s)
        self.osc_out.send(f"/drum/{onset.name}", onset.velocity / 127.0)

    def _on_drum_peaks(self, peaks: np.ndarray) -> None:
        """Analysis thread: the meters of a sound check, in the class order of /drum/onset's names."""
        self.osc_out.send("/drum/peaks", *(round(float(p), 3) for p in peaks))

    def _on_jack_down(self, reason: str) -> None:
        self._jack_lost = True
        self.reporter.error("jack", f"JACK server went away ({reason}); MIDI and audio wait for it to return")
        self.osc_out.send("/bridge/jack", "down")
        # Ports first: a send through a port of a dead server can block for good, holding the GIL.
        # The notes-off then count as midi_out_dropped: there is no server left to take them.
        self.midi.abandon()
        self.scheduler.all_notes_off()
        if self.audio is not None and self.audio.backend == "jack":
            self.audio.abandon()
            self.audio = None

    def _on_jack_up(self) -> None:
        self._open_midi()
        if self.audio is None:
            self._open_audio()
        log.info("JACK server is back; ports reopened")
        self.osc_out.send("/bridge/jack", "up")

    # -- status --------------------------------------------------------------------------
    def status(self) -> dict[str, float | int]:
        """Counters plus the clock and audio state, as sent on ``/bridge/status``."""
        self.counters.set("osc_dropped_kernel", self.osc_in.kernel_drops())
        audio = self.audio
        if audio is not None:
            audio.count()
        counts: dict[str, float | int] = self.counters.snapshot()
        midi = self.midi.counts()  # counted by the JACK callbacks, outside the counters
        counts["midi_in_dropped"] = int(counts["midi_in_dropped"]) + midi.received_dropped
        counts["midi_out_late"] = midi.late_events
        counts["dropped_total"] = sum(int(counts.get(name, 0)) for name in DROP_COUNTERS)
        state = self.clock.state()
        counts["tempo_bpm"] = round(state.tempo_bpm, 3)
        counts["clock_running"] = int(state.running)
        counts["midi_clock_ticks_lost"] = self.clock.ticks_lost
        counts["midi_open"] = int(self.midi.is_open)
        counts["audio_open"] = int(audio is not None and audio.active)
        counts["audio_rate_hz"] = audio.sample_rate_hz if audio else 0
        counts["audio_period_frames"] = audio.period_frames if audio else 0
        counts["audio_rms_dbfs"] = round(self.level.rms_dbfs, 2)
        if self.drums is not None:
            counts.update({f"drums_threshold_{name}": value for name, value in self.drums.thresholds().items()})
            counts["drums_velocity_from_level"] = int(self.drums.velocity_source == "level")
            counts["drums_velocity_curve_db"] = self.drums.velocities.curve_db
            counts.update({f"drums_velocity_reference_{name}": level
                           for name, level in self.drums.velocity_references().items()})
        if self.instruments is not None:
            counts.update({f"instruments_threshold_{name}": value
                           for name, value in self.instruments.thresholds().items()})
        counts["uptime_s"] = round(time.monotonic() - self.started_s, 3)
        return counts

    # -- OSC -----------------------------------------------------------------------------
    def _on_osc_batch(self, batch: list[RawOsc]) -> None:
        """The OSC thread: the batch's urgent messages first, then the others in arrival order, less the
        oldest of them beyond ``queue_size`` (a ping or a panic does not wait behind a flood)."""
        urgent: list[RawOsc] = []
        others: list[RawOsc] = []
        for raw in batch:
            (urgent if raw.datagram.startswith(URGENT_OSC_PREFIXES) else others).append(raw)
        stale = max(0, len(others) - self.config.osc.queue_size)
        if stale:
            self.counters.add("osc_dropped_queue", stale)
        for raw in urgent + others[stale:]:
            self._dispatch_osc(raw)

    def _dispatch_osc(self, raw: RawOsc) -> None:
        try:
            self.counters.add("osc_handled", self.dispatcher.dispatch(raw))
        except Exception as exc:  # a handler bug must not stop the OSC surface
            log.exception("OSC handler failed")
            self.reporter.error("osc", f"internal error while handling a message: {exc!r}")

    def _reply(self, raw: RawOsc, reply_port: int | None, address: str, *args: object) -> None:
        if reply_port is None:
            self.osc_out.send(address, *args)
        else:
            self.osc_out.send_to((raw.sender[0], reply_port), address, *args)

    def on_ping(self, raw: RawOsc, reply_port: int | None = None) -> None:
        self._reply(raw, reply_port, "/bridge/pong")

    def on_status(self, raw: RawOsc, reply_port: int | None = None) -> None:
        pairs: list[object] = []
        for name, value in self.status().items():
            pairs += [name, value]
        self._reply(raw, reply_port, "/bridge/status", *pairs)

    def on_subscribe(self, raw: RawOsc, port: int) -> None:
        self.osc_out.subscribe(raw.sender[0], port)
        log.info("OSC subscriber %s:%d", raw.sender[0], port)
        if self.instruments is not None:  # the class and family orders of the activity vectors, for the new listener
            self.osc_out.send_to((raw.sender[0], port), "/instrument/classes", *self.instruments.model.classes)
            self.osc_out.send_to((raw.sender[0], port), "/instrument/families", *self._families.names)

    def on_unsubscribe(self, raw: RawOsc, port: int) -> None:
        self.osc_out.unsubscribe(raw.sender[0], port)

    def on_tempo(self, raw: RawOsc, bpm: float) -> None:
        if not self.clock.set_tempo(bpm, raw.time_s):
            self.reporter.error("clock", f"/bridge/tempo {bpm} ignored: MIDI clock drives the tempo")

    def on_meter(self, raw: RawOsc, beats: int, unit: int) -> None:
        if unit not in (1, 2, 4, 8, 16):
            self.reporter.error("osc", f"/bridge/meter unit must be a power of two up to 16, got {unit}")
            return
        self.clock.set_meter(beats, unit)
        self.melody.set_bar_beats(self.clock.state().beats_per_bar)

    def on_transport(self, raw: RawOsc, command: str) -> None:
        if not self.clock.transport(command, raw.time_s):
            self.reporter.error("clock", f"/bridge/transport {command} ignored: the clock source is MIDI")
        elif command == "stop":
            self.scheduler.all_notes_off()

    def on_position(self, raw: RawOsc, bar: int, beat: float) -> None:
        if not self.clock.set_position(bar, beat, raw.time_s):
            self.reporter.error("clock", "/bridge/transport/position ignored: the clock source is MIDI")

    def on_panic(self, raw: RawOsc) -> None:
        self.scheduler.all_notes_off()

    def on_inpaint_gap(self, raw: RawOsc | None, start: int, bars: int) -> None:
        if self.inpaint is None:
            self.reporter.error("inpaint", "inpainting is off (see the model error at start-up)")
            return
        try:
            self.inpaint.request_gap(start, bars)
        except InpaintError as exc:
            self.reporter.error("inpaint", str(exc))

    def on_drums_threshold(self, raw: RawOsc, value: float, name: str | None = None) -> None:
        self._set_threshold("drums", value, name, "/drums/threshold")

    def on_drums_velocity(self, raw: RawOsc, source: str, curve_db: float | None = None) -> None:
        if self._running_engine("drums", "/drums/velocity") is None:
            return
        self.drums.set_velocity(source, curve_db)  # the route has checked both
        log.info("drum velocities from the %s (%g dB a tenfold)", source, self.drums.velocities.curve_db)

    def on_drums_velocity_reference(self, raw: RawOsc, command: str, name: str | None = None) -> None:
        address = "/drums/velocity_reference"
        if self._running_engine("drums", address) is None:
            return
        try:
            if command == "adapt":
                self.drums.adapt_velocity_references(name)
                log.info("drum velocities of %s against its loudest stroke lately", name or "every drum")
                return
            held = self.drums.hold_velocity_references(name)
        except ValueError as exc:  # a drum this model lacks
            self.reporter.error("drums", f"{address}: {exc}")
            return
        if not held:
            memory_s = self.drums.velocities.memory_s
            self.reporter.error("drums", f"{address} hold: no {name or 'drum'} stroke in the last {memory_s:g} s "
                                         "to hold; the references stay as they were")
            return
        levels = ", ".join(f"{drum} {level:.1f} dBFS" for drum, level in held.items())
        log.info("drum velocity references held: %s", levels)

    def on_instruments_threshold(self, raw: RawOsc, value: float, name: str | None = None) -> None:
        self._set_threshold("instruments", value, name, "/instruments/threshold")

    def _running_engine(self, engine_name: str, origin: str) -> DrumEngine | InstrumentEngine | None:
        """The drum or instrument engine (``engine_name``); None, reported as coming from ``origin``, where it is
        off."""
        engine = getattr(self, engine_name)
        if engine is None:
            self.reporter.error(engine_name, f"{origin}: the {engine_name} engine is off (see the model error at start-up)")
        return engine

    def _set_threshold(self, engine_name: str, value: float, name: str | None, origin: str) -> None:
        """Set a threshold of the drum or instrument engine (``engine_name``), for every class or class ``name``;
        a bad value or name, or an engine that is off, is reported as coming from ``origin``."""
        engine = self._running_engine(engine_name, origin)
        if engine is None:
            return
        try:
            engine.set_threshold(value, name)
        except ValueError as exc:
            self.reporter.error(engine_name, f"{origin}: {exc}")
            return
        log.info("%s threshold of %s: %.2f", engine_name, name or "every class", value)

    def on_inpaint_attribute(self, raw: RawOsc, name: str, value: float) -> None:
        if self.inpaint is not None:
            self.inpaint.set_attribute(name, value)

    # -- MIDI ----------------------------------------------------------------------------
    def _on_raw_midi(self, raw: RawMidi) -> None:
        """The MIDI input's reader thread: count and queue, nothing else."""
        self.counters.add("midi_in")
        self._midi_queue.put(raw)

    def _midi_loop(self) -> None:
        while not self._stop.is_set():
            raw = self._midi_queue.get(timeout_s=0.2)
            if raw is None:
                continue
            try:
                self._handle_midi(decode(raw.data), raw)
            except MidiDecodeError as exc:
                self.reporter.error("midi", str(exc))
            except Exception as exc:  # a handler bug must not stop MIDI input
                log.exception("MIDI handler failed")
                self.reporter.error("midi", f"internal error while handling {raw.data[:8]}: {exc!r}")

    def _handle_midi(self, message: MidiMessage, raw: RawMidi) -> None:
        kind = message.kind
        if kind == "clock":
            self.clock.midi_tick(raw.time_s)
        elif kind == "start":
            self.clock.midi_start(raw.time_s)
        elif kind == "continue":
            self.clock.midi_continue(raw.time_s)
        elif kind == "stop":
            self.clock.midi_stop(raw.time_s)
            self.scheduler.all_notes_off()
        elif kind == "song_position":
            self.clock.midi_song_position(message.data[0] | message.data[1] << 7)
        elif kind in ("note_on", "note_off"):
            self._handle_note(message, raw)
        elif kind == "control_change" and message.data[0] == self.config.inpaint.gap_cc and message.data[1] > 0:
            state = self.clock.state()
            bar = int(state.beats_at(raw.time_s) // state.beats_per_bar)
            self.on_inpaint_gap(None, (bar + 1) % self.config.inpaint.form_bars, message.data[1])
        elif kind == "sysex":
            self.reporter.error("midi", f"sysex of {len(message.data)} bytes ignored: mir-bridge takes no sysex")

    def _handle_note(self, message: MidiMessage, raw: RawMidi) -> None:
        if self.config.midi.thru:
            self.midi.send(raw.data)
            self.counters.add("midi_out")
        wanted = self.config.midi.melody_channel
        if wanted and message.channel != wanted:
            return
        pitch, velocity = message.data
        beats = self.clock.state().beats_at(raw.time_s)
        if message.kind == "note_off":
            self.melody.note_off(pitch, beats)
            return
        heard = self.melody.note_on(pitch, velocity, beats)
        if heard.folded:
            self.reporter.error("midi", f"note {pitch} is outside the melody range {PITCH_LOW}-{PITCH_HIGH}; "
                                        f"folded to {heard.pitch}")
        self.osc_out.send("/bridge/note", heard.pitch, velocity, heard.bar, heard.tick)

    # -- bar lines -----------------------------------------------------------------------
    def _bar_loop(self) -> None:
        last_bar: int | None = None
        while not self._stop.is_set():
            state = self.clock.state()
            if not state.running:
                last_bar = None
                self.clock.wait_for_change(0.2)
                continue
            now = time.monotonic()
            bar = math.floor(state.beats_at(now) / state.beats_per_bar + 1e-9)
            if bar != last_bar and bar >= 0:
                last_bar = bar
                self._emit_bar(BarLine(bar, state.time_at(bar * state.beats_per_bar)), state.tempo_bpm)
            next_s = state.time_at((bar + 1) * state.beats_per_bar)
            self.clock.wait_for_change(min(max(next_s - time.monotonic(), 0.0005), 0.2))

    def _emit_bar(self, line: BarLine, tempo_bpm: float) -> None:
        self.osc_out.send("/bridge/bar", line.bar, float(tempo_bpm))
        for listener in self.bar_listeners:
            listener(line)
