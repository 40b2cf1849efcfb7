"""Daemon configuration: typed sections loaded from TOML.

The shipped defaults live in ``default_config.toml`` beside this module; a
user's file only needs the keys it changes. Unknown sections or keys are an
error, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bridge.drum_vocabulary import DRUM_NAMES

DEFAULT_CONFIG_PATH = Path(__file__).with_name("default_config.toml")


class ConfigError(ValueError):
    """A configuration file that cannot be used."""


@dataclass(frozen=True)
class MidiConfig:
    api: str = "auto"
    client_name: str = "mir-bridge"
    in_port: str = "midi_in"
    out_port: str = "midi_out"
    in_connect: str = ""
    out_connect: str = ""
    thru: bool = False
    melody_channel: int = 0
    queue_size: int = 4096


@dataclass(frozen=True)
class OscConfig:
    listen_host: str = "127.0.0.1"
    listen_port: int = 9000
    send_host: str = "127.0.0.1"
    send_port: int = 9001
    queue_size: int = 1024
    receive_buffer_bytes: int = 4194304
    error_rate_per_s: float = 50.0


@dataclass(frozen=True)
class AudioConfig:
    enabled: bool = True
    backend: str = "auto"
    device: str = ""
    sample_rate_hz: int = 0
    block_size: int = 256
    channels: int = 1
    ring_seconds: float = 4.0
    level_rate_hz: float = 10.0


@dataclass(frozen=True)
class ClockConfig:
    source: str = "auto"
    tempo_bpm: float = 120.0
    beats_per_bar: int = 4
    beat_unit: int = 4
    clock_window_ticks: int = 48


@dataclass(frozen=True)
class SchedulerConfig:
    max_pending: int = 4096


@dataclass(frozen=True)
class InpaintConfig:
    enabled: bool = True
    form_bars: int = 8
    context_bars: int = 4
    lookahead_ms: float = 150.0
    channel: int = 2
    gap_cc: int = 20
    seed: int = -1


VELOCITY_SOURCES = ("level", "activation")
# What a file's velocities from the levels are mapped against: each drum's loudest stroke in the whole file, or,
# as live, its loudest so far (``bridge transcribe-drums --velocity-reference``).
VELOCITY_REFERENCES = ("file", "running")


@dataclass(frozen=True)
class VelocitySettings:
    """Where drum velocities come from (``[drums] velocity``, ``velocity_curve_db``, ``velocity_memory_s``).

    ``source`` is "level" (how loud each stroke is: ``bridge.engines.drum_velocity.VelocityMeter``) or
    "activation" (1 + 126 times the network's activation); ``references`` (dBFS by drum name) are held from the
    start, as ``/drums/velocity_reference hold`` holds them (``[drums.velocity_references]``).
    """

    source: str = "level"
    curve_db: float = 40.0
    memory_s: float = 30.0
    references: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DrumsConfig:
    enabled: bool = True
    model: str = "drums"  # manifest entry: "drums" (12.5 ms of look-ahead, a snare 17.5) or "drums_lookahead" (20 ms)
    channel: int = 10
    threshold: float = 0.0
    thresholds: dict[str, float] = field(default_factory=dict)  # per class, over ``threshold``
    note_ms: float = 50.0
    peaks_per_s: float = 10.0  # /drum/peaks a second; 0 = none
    velocity: str = "level"  # "level" (how loud each stroke is, engines.drum_velocity) or "activation"
    velocity_curve_db: float = 40.0  # dB under the class's loudest recent stroke at which velocity falls tenfold
    velocity_memory_s: float = 30.0  # how long a stroke stays its class's loudest
    velocity_references: dict[str, float] = field(default_factory=dict)  # dBFS by drum, held from the start

    def __post_init__(self) -> None:
        for name, level in self.velocity_references.items():
            where = f"[drums.velocity_references] {name}"
            if name not in DRUM_NAMES:
                raise ConfigError(f"{where}: no such drum; known: {', '.join(DRUM_NAMES)}")
            if not -200.0 <= level <= 0.0:
                raise ConfigError(f"{where} must be from -200 to 0 (dBFS), got {level!r}")

    def velocity_settings(self) -> VelocitySettings:
        """The velocity keys as the drum engine takes them."""
        return VelocitySettings(self.velocity, self.velocity_curve_db, self.velocity_memory_s,
                                dict(self.velocity_references))


@dataclass(frozen=True)
class InstrumentsConfig:
    enabled: bool = True
    smoothing: float = 0.5
    on_threshold: float = 0.0  # 0: each class's tuned threshold (the model's manifest)
    off_threshold: float = 0.0  # 0: a share of each class's on-threshold (engines.instruments.OFF_SHARE)
    updates_per_s: float = 10.0
    silence_dbfs: float = -70.0


@dataclass(frozen=True)
class ModelsConfig:
    dir: str = ""
    provider: str = "auto"


@dataclass(frozen=True)
class Config:
    midi: MidiConfig = field(default_factory=MidiConfig)
    osc: OscConfig = field(default_factory=OscConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    clock: ClockConfig = field(default_factory=ClockConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    inpaint: InpaintConfig = field(default_factory=InpaintConfig)
    drums: DrumsConfig = field(default_factory=DrumsConfig)
    instruments: InstrumentsConfig = field(default_factory=InstrumentsConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)


_CHOICES = {
    ("midi", "api"): {"auto", "jack", "alsa"},
    ("clock", "source"): {"auto", "midi", "osc"},
    ("clock", "beat_unit"): {1, 2, 4, 8, 16},
    ("audio", "backend"): {"auto", "jack", "portaudio"},
    ("models", "provider"): {"auto", "cpu", "cuda"},
    ("drums", "velocity"): set(VELOCITY_SOURCES),
}


@dataclass(frozen=True)
class Range:
    """The values a numeric key takes: from ``low`` to ``high`` (None: no bound), ``low`` itself excluded when
    ``above``."""

    low: float | None = None
    high: float | None = None
    above: bool = False

    def admits(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.above else value < self.low):
            return False
        return self.high is None or value <= self.high

    def __str__(self) -> str:
        low = None if self.low is None else f"{'more than' if self.above else 'at least'} {self.low:g}"
        high = None if self.high is None else f"at most {self.high:g}"
        return " and ".join(part for part in (low, high) if part)


CHANNEL = Range(1, 16)
SHARE = Range(0.0, 0.99)  # an activation threshold; 0 = the tuned ones
POSITIVE = Range(0.0, above=True)
COUNT = Range(1)
PORT = Range(0, 65535)
# Values out of these ranges would stop the daemon later, or make a setting meaningless: they are refused here.
_RANGES = {
    ("midi", "melody_channel"): Range(0, 16), ("midi", "queue_size"): COUNT,
    ("osc", "listen_port"): PORT, ("osc", "send_port"): PORT, ("osc", "queue_size"): COUNT,
    ("osc", "receive_buffer_bytes"): Range(0), ("osc", "error_rate_per_s"): POSITIVE,
    ("audio", "sample_rate_hz"): Range(0, 384000), ("audio", "block_size"): Range(16, 16384),
    ("audio", "channels"): Range(1, 64), ("audio", "ring_seconds"): Range(0.5, 60.0), ("audio", "level_rate_hz"): POSITIVE,
    ("clock", "tempo_bpm"): Range(20.0, 400.0), ("clock", "beats_per_bar"): Range(1, 16),
    ("clock", "clock_window_ticks"): Range(2, 960),
    ("scheduler", "max_pending"): COUNT,
    ("inpaint", "form_bars"): Range(2, 64), ("inpaint", "context_bars"): COUNT, ("inpaint", "lookahead_ms"): Range(0.0),
    ("inpaint", "channel"): CHANNEL, ("inpaint", "gap_cc"): Range(0, 127), ("inpaint", "seed"): Range(-1),
    ("drums", "channel"): CHANNEL, ("drums", "threshold"): SHARE, ("drums", "note_ms"): POSITIVE,
    ("drums", "peaks_per_s"): Range(0.0, 100.0), ("drums", "velocity_curve_db"): Range(1.0, 200.0),
    ("drums", "velocity_memory_s"): Range(0.0, 3600.0, above=True),
    ("instruments", "smoothing"): Range(0.0, 1.0, above=True), ("instruments", "on_threshold"): SHARE,
    ("instruments", "off_threshold"): SHARE, ("instruments", "updates_per_s"): Range(0.0, 50.0, above=True),
    ("instruments", "silence_dbfs"): Range(-200.0, 0.0),
}


def _coerce(section: str, key: str, value: Any, default: Any) -> Any:
    where = f"[{section}] {key}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, got {value!r}")
        return value
    if isinstance(default, (int, float)):
        if isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{where} must be an integer, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        return _checked_number(where, (section, key), value if isinstance(default, int) else float(value))
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table, got {value!r}")
        return {name: _coerce(section, f"{key}.{name}", item, 0.0) for name, item in value.items()}
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {value!r}")
    allowed = _CHOICES.get((section, key))
    if allowed and value not in allowed:
        raise ConfigError(f"{where} must be one of {sorted(allowed)}, got {value!r}")
    return value


def _checked_number(where: str, section_key: tuple[str, str], value: float) -> float:
    allowed = _CHOICES.get(section_key)
    if allowed and value not in allowed:
        raise ConfigError(f"{where} must be one of {sorted(allowed)}, got {value!r}")
    bounds = _RANGES.get(section_key)
    if bounds and not bounds.admits(value):
        raise ConfigError(f"{where} must be {bounds}, got {value!r}")
    return value


def config_from_dict(data: dict[str, Any], base: Config | None = None) -> Config:
    """Overlay a parsed TOML mapping on ``base`` (the defaults when None)."""
    config = base or Config()
    sections = {f.name: f for f in fields(Config)}
    for section_name, values in data.items():
        if section_name not in sections:
            raise ConfigError(f"unknown section [{section_name}]; known: {sorted(sections)}")
        if not isinstance(values, dict):
            raise ConfigError(f"[{section_name}] must be a table")
        section = getattr(config, section_name)
        known = {f.name: getattr(section, f.name) for f in fields(section)}
        changes = {}
        for key, value in values.items():
            if key not in known:
                raise ConfigError(f"unknown key [{section_name}] {key}; known: {sorted(known)}")
            changes[key] = _coerce(section_name, key, value, known[key])
        config = replace(config, **{section_name: replace(section, **changes)})
    return config


def load_config(path: str | Path | None = None) -> Config:
    """Load the shipped defaults, then the user's file on top of them."""
    config = config_from_dict(tomllib.loads(DEFAULT_CONFIG_PATH.read_text()))
    if path is None:
        return config
    try:
        data = tomllib.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from exc
    return config_from_dict(data, config)
