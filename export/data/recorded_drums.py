"""``python -m export data recorded-drums``: a real drum recording, annotated from its published notation.

The one real drum performance this project can annotate: the Amen break (Gregory C. Coleman with The
Winstons, "Amen, Brother", 1969), four bars that drum notation has written down many times, as Sonic Pi's
sample package ships it (``loop_amen_full``, a CC0 upload to freesound: the four bars cut at the first
downbeat to exactly 4 bars of 140 BPM). The labels are that notation placed on the file's 16th-note grid:
kick, snare, ride on every eighth, one crash. They are not moved to any detector's onsets, so no
transcriber's opinion enters them; ``notation_check`` measures how far an onset detector's nearest onset
lies from each notated step, to show that grid and playing agree well inside the 50-ms window. The pedal
hi-hat that some descriptions hear on the beats, barely audible, is not in the notation and not annotated,
so the hi-hat is not scored on this track (the evaluation leaves out classes a track never has).

A second set puts the break under real recorded instruments: each of Sonic Pi's four guitar recordings
with its piano recording (CC0 uploads too), each part at the break's RMS level. They did not
play together; the mixes test what a band's attacks and sustain do to the transcription of real drums.

Layout of ``OUT``::

    recorded_alone/amen_break.wav + .txt
    recorded_mix/amen_break_under_<guitar>.wav + .txt
    recorded.json     sources, counts and the notation check
"""

from __future__ import annotations

import json
from pathlib import Path

import librosa
import numpy as np
from scipy.io import wavfile

from bridge.offline import read_audio
from export.data.drum_kits import SONIC_PI_SAMPLES
BREAK_FILE = "loop_amen_full.flac"
BARS = 4
STEPS_PER_BAR = 16
EIGHTHS = tuple(range(0, STEPS_PER_BAR, 2))
# The Amen break, 16th-note steps (0-15) of each of its four bars, by annotation label.
AMEN_BREAK: dict[str, tuple[tuple[int, ...], ...]] = {
    "KD": ((0, 2, 10, 11), (0, 2, 10, 11), (0, 2, 10), (2, 3, 10)),
    "SD": ((4, 7, 9, 12, 15), (4, 7, 9, 12, 15), (4, 7, 9, 14), (1, 4, 7, 9, 14)),
    "RD": (EIGHTHS, EIGHTHS, EIGHTHS, tuple(s for s in EIGHTHS if s != 10)),
    "CY": ((), (), (), (10,)),  # the crash on the "and" of three in the last bar, in place of the ride
}
GUITARS = ("guit_e_fifths", "guit_em9", "guit_e_slide", "guit_harmonics")
PIANO = "ambi_piano"
CHECK_WINDOW_S = 0.03  # a notated step counts as heard where a detected onset lies this close


def notated_onsets(duration_s: float) -> list[tuple[float, str]]:
    """``(time_s, label)`` of every stroke of ``AMEN_BREAK`` in a file of ``duration_s`` that holds its four bars
    exactly, sorted by time."""
    step_s = duration_s / (BARS * STEPS_PER_BAR)
    return sorted((step_s * (bar * STEPS_PER_BAR + step), label)
                  for label, bars in AMEN_BREAK.items() for bar, steps in enumerate(bars) for step in steps)


def notation_check(audio: np.ndarray, rate_hz: int, onsets: list[tuple[float, str]]) -> dict[str, float]:
    """How well the notated grid fits the playing: for each notated time, the distance to the nearest onset
    that librosa's detector finds. Returns the share of notated times within ``CHECK_WINDOW_S``, and the median
    and largest distance (ms) among those."""
    detected = librosa.onset.onset_detect(y=audio, sr=rate_hz, hop_length=128, units="time")
    times = np.unique([t for t, _ in onsets])
    distance_ms = np.array([np.min(np.abs(detected - t), initial=np.inf) for t in times]) * 1000
    close = distance_ms[distance_ms <= CHECK_WINDOW_S * 1000]
    spread = {"median_distance_ms": round(float(np.median(close)), 1),
              "max_distance_ms": round(float(close.max()), 1)} if len(close) else {}
    return {"notated_times": int(len(times)), "share_within_30_ms": round(len(close) / len(times), 3)} | spread


def write_track(directory: Path, name: str, audio: np.ndarray, rate_hz: int, onsets: list[tuple[float, str]]) -> None:
    """``name.wav`` (16-bit) and ``name.txt`` with one ``time<TAB>label`` line per onset, as ``evaluate drums``
    reads them."""
    directory.mkdir(parents=True, exist_ok=True)
    peak = max(1.0, float(np.max(np.abs(audio))))
    wavfile.write(directory / f"{name}.wav", rate_hz, np.round(audio / peak * 32767).astype(np.int16))
    (directory / f"{name}.txt").write_text("".join(f"{t:.4f}\t{label}\n" for t, label in onsets))


def at_level_of(part: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``part`` repeated or cut to the length of ``reference`` and scaled to its RMS level."""
    fitted = np.resize(part, len(reference))
    return fitted * np.sqrt(np.mean(reference ** 2) / max(float(np.mean(fitted ** 2)), 1e-12))


def band_parts(drums: np.ndarray, guitar: np.ndarray, piano: np.ndarray) -> dict[str, np.ndarray]:
    """The break and a band under it: the guitar and piano recordings repeated or cut to the break's length, each
    at its level. Their sum is a mix of ``recorded_mix``."""
    return {"drums": drums, "guitar": at_level_of(guitar, drums), "piano": at_level_of(piano, drums)}


def build(out: Path, samples: Path = SONIC_PI_SAMPLES) -> Path:
    """Write the annotated break alone and under the guitar and piano recordings to ``out``; returns the
    path of ``recorded.json``."""
    if not (samples / BREAK_FILE).exists():
        raise FileNotFoundError(f"{samples / BREAK_FILE} not found: install the Debian package sonic-pi-samples")
    drums, rate_hz = read_audio(samples / BREAK_FILE)
    onsets = notated_onsets(len(drums) / rate_hz)
    write_track(out / "recorded_alone", "amen_break", drums, rate_hz, onsets)
    piano = read_audio(samples / f"{PIANO}.flac")[0]
    for guitar in GUITARS:
        mix = sum(band_parts(drums, read_audio(samples / f"{guitar}.flac")[0], piano).values())
        write_track(out / "recorded_mix", f"amen_break_under_{guitar}", mix, rate_hz, onsets)
    labels = [label for _, label in onsets]
    summary = {"source": str(samples / BREAK_FILE), "duration_s": round(len(drums) / rate_hz, 3),
               "tempo_bpm": round(BARS * 4 * 60 / (len(drums) / rate_hz), 2),
               "onsets": {label: labels.count(label) for label in AMEN_BREAK},
               "mix_parts": [*GUITARS, PIANO], "notation_check": notation_check(drums, rate_hz, onsets)}
    path = out / "recorded.json"
    path.write_text(json.dumps(summary, indent=1) + "\n")
    return path
