"""Drum kits as one-shot samples with velocity layers, from the Debian soundfonts, Hydrogen and Sonic Pi.

Every kit, whatever its source, becomes a ``SampleKit``: for each GM drum note
a list of velocity layers, each a mono one-shot at the render rate. General
MIDI kits are rendered once, note by note and velocity by velocity, through
FluidSynth; the AVL kits (multi-sampled real drum sets) likewise on channel 1;
Hydrogen kits are read from their ``drumkit.xml``; Sonic Pi's acoustic drum
one-shots by the table ``SONIC_PI_ONE_SHOTS``, LMMS's drum one-shots (only on
request) by ``LMMS_ONE_SHOTS``. Performances are then mixed
from these samples with numpy, which is fast and gives exact onset labels.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

import librosa
import mido
import numpy as np

from bridge.drum_vocabulary import DRUM_CLASSES, class_of_gm_note
from export.data.render import render_midi

SF2 = Path("/usr/share/sounds/sf2")
SF3 = Path("/usr/share/sounds/sf3")
HYDROGEN = Path("/usr/share/hydrogen/data/drumkits")
SONIC_PI_SAMPLES = Path("/usr/share/sonic-pi/samples")  # Debian package sonic-pi-samples

# (soundfont, drum programs on channel 10) of the General MIDI soundfonts.
GM_KITS = ((SF2 / "FluidR3_GM.sf2", (0, 8, 16, 24, 25, 32, 40)),
           (SF2 / "TimGM6mb.sf2", (0, 16, 24, 25, 32, 40)),
           (SF3 / "MuseScore_General.sf3", (0, 8, 16, 24, 25, 32, 40)))
# csound-soundfont's GM bank: only with ``data drums --csound-kits``; with them the held-out real kit scored
# lower (see the drum card), so the default build leaves them out.
CSOUND_KITS = ((SF2 / "sf_GMbank.sf2", (0, 8, 16, 24, 25, 32, 40)),)
AVL_KITS = (SF2 / "Black_Pearl_4_LV2.sf2", SF2 / "Red_Zeppelin_4_LV2.sf2")
NOT_DRUM_KITS = ("Gimme A Hand 1.0", "circAfrique v4")  # hand percussion only
HELD_OUT_KITS = ("avl:Black_Pearl_4_LV2", "hydrogen:The Black Pearl 1.0")  # one real kit, both samplings
# Three more kits, Hydrogen's old format (``hydrogen_kit``), held out of every split but the ``test_more_kits``
# sets: they test the models on two sampled acoustic kits and an electronic one. By their authors'
# notes, the training kits Millo_MultiLayered2 and 3 are the second and third versions of Millo-Drums_v.1's Ludwig
# set (a drum set the models heard, recorded anew), and HardElectro1 comes from the maker of the training kit
# ElectricEmpireKit.
MORE_HELD_OUT_KITS = ("hydrogen:Millo-Drums_v.1", "hydrogen:rumpf_kit_z01_h2", "hydrogen:HardElectro1")
# Sonic Pi's acoustic drum one-shots, all uploaded by one recordist (menegass, CC0): a real kit from a source no
# other kit shares, with soft and hard strokes and closed, pedal and open hi-hats, heard only in the
# ``test_sonic_pi_kit`` sets. File stem -> (GM notes it sounds, lowest and highest velocity 0-1). Left out: its
# splashes, which swell for 150 ms before their peak (no stroke's onset), and the kick, cowbell and roll
# of other uploaders.
SONIC_PI_KIT = "sonic_pi:menegass"
SONIC_PI_ONE_SHOTS = {
    "drum_bass_soft": ((35, 36), 0.0, 0.55), "drum_bass_hard": ((35, 36), 0.55, 1.0),
    "drum_snare_soft": ((38, 40), 0.0, 0.55), "drum_snare_hard": ((38, 40), 0.55, 1.0),
    "drum_cymbal_closed": ((42,), 0.0, 1.0), "drum_cymbal_pedal": ((44,), 0.0, 1.0), "drum_cymbal_open": ((46,), 0.0, 1.0),
    "drum_cymbal_soft": ((49, 57), 0.0, 0.55), "drum_cymbal_hard": ((49, 57), 0.55, 1.0),
    "drum_tom_lo_soft": ((41, 43), 0.0, 0.55), "drum_tom_lo_hard": ((41, 43), 0.55, 1.0),
    "drum_tom_mid_soft": ((45, 47), 0.0, 0.55), "drum_tom_mid_hard": ((45, 47), 0.55, 1.0),
    "drum_tom_hi_soft": ((48, 50), 0.0, 0.55), "drum_tom_hi_hard": ((48, 50), 0.55, 1.0),
}
LMMS_DRUMS = Path("/usr/share/lmms/samples/drums")  # Debian package lmms-common
# LMMS's drum one-shots (one file a sound, most of them produced rather than played), by the GM notes they sound.
# They are no drum set: kit k of ``LMMS_KIT_COUNT`` plays the k-th file of every list (cyclically).
LMMS_ONE_SHOTS = {
    (35, 36): ("bassdrum_acoustic01", "kick01", "bassdrum01", "kick_soft01", "bassdrum_acoustic02", "kick02",
               "bassdrum02", "kick_hard01", "kick03", "bassdrum03", "kick_soft02", "kick04", "bassdrum04",
               "kick_long01", "kick_hiphop01", "kick_distorted01", "kick_hardcore01"),
    (38, 40): ("snare_acoustic01", "snare01", "snare_muffled01", "snare02", "snare03", "snare_hiphop01", "snare04",
               "snare_muffled02", "snare05", "snare_short01", "snare06", "snare_hiphop02", "snare07",
               "snare_electro01", "snare_harsh01", "nasty_snare01"),
    (37,): ("sidestick01", "rim01", "snare_rim01", "nasty_rim01"),
    (42,): ("hihat_closed01", "hihat_closed02", "hihat_closed03", "hihat_closed04", "hihat_closed05"),
    (44,): ("hihat_foot_pedal01",),
    (46,): ("hihat_opened01", "hihat_opened02", "hihat_opened03"),
    (49, 57): ("crash01", "crash02"),
    (51, 59): ("ride01", "ride02"),
    (41, 43): ("tom_low01", "tom05", "tom04"),
    (45, 47): ("tom_mid01", "tom03"),
    (48, 50): ("tom_hi01", "tom01", "tom02"),
}
LMMS_KIT_COUNT = 4
HELD_OUT_ROLES = {"held_out": HELD_OUT_KITS, "more_held_out": MORE_HELD_OUT_KITS,
                  "sonic_pi": (SONIC_PI_KIT,)}  # the kits only tests hear
KIT_ROLES = ("training", *HELD_OUT_ROLES)

RENDERED_NOTES = (35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 55, 56, 57, 59)
RENDERED_VELOCITIES = (25, 45, 65, 85, 105, 127)
ONE_SHOT_S = 2.5
SILENCE_DB = -60.0
# The start of a one-shot's attack: its first sample within this of its peak. Sample kits begin 0 to 18 ms
# before it (Millo-Drums_v.1's kick 18 ms, tested), FluidSynth's renders about 5 ms (checked once, by hand).
ATTACK_DB = -40.0

# Hydrogen instruments whose samples are gestures of several strokes, not one: a snare roll (strokes 50-150 ms
# apart), a hi-hat or cymbal choke (the stroke, then the hand or foot that stops it 50-60 ms later). Merged into
# a drum's layers, each would sound several onsets under one label; no GM note plays them, so no kit gets them.
HYDROGEN_GESTURES = r"roll|choke|flam|drag"
# Hydrogen instrument names to GM notes; first match wins, so specific names come first.
HYDROGEN_NAMES = (
    (r"side ?stick|stick|rim ?click", 37), (r"clap", 39), (r"cowbell", 56), (r"tambourine", 54),
    (r"kick|bass ?drum|bassdrum", 36), (r"rimshot", 40), (r"snare", 38),
    (r"pedal", 44), (r"(hat|hh).*(open|op\b|semi|swish)|open ?hh|(open|semi).*(hat|hh)", 46),
    (r"hat|hh", 42), (r"floor|tom ?low|low ?tom|tom 3", 43), (r"tom ?mid|mid(dle)? ?tom|tom 2", 47),
    (r"tom", 50), (r"china", 52), (r"splash", 55), (r"crash", 49), (r"bell", 53), (r"ride", 51),
)


@dataclass
class SampleKit:
    """One-shot samples of a drum kit.

    Attributes
    ----------
    name : str
        ``source:kit``, e.g. ``hydrogen:BJA_Pacific`` or ``fluidsynth:TimGM6mb:25``.
    real : bool
        Recordings of an acoustic kit (AVL, acoustic Hydrogen kits and Sonic Pi's).
    layers : dict
        GM note -> list of (lowest velocity 0-1, highest velocity 0-1, float32 samples).
    """

    name: str
    real: bool
    sample_rate_hz: int
    layers: dict[int, list[tuple[float, float, np.ndarray]]] = field(default_factory=dict)

    def shots_by_class(self) -> dict[int, list[np.ndarray]]:
        """Every velocity layer of every note a drum class counts, by class index (``DRUM_CLASSES``)."""
        found: dict[int, list[np.ndarray]] = {}
        for note, layers in self.layers.items():
            index = class_of_gm_note(note)
            if index is not None:
                found.setdefault(index, []).extend(shot for _, _, shot in layers)
        return found

    def one_shot(self, note: int, velocity: int, rng: np.random.Generator) -> np.ndarray | None:
        """The sample for ``note`` at MIDI ``velocity``: a random layer among those that cover it."""
        layers = self.layers.get(note)
        if not layers:
            return None
        v = velocity / 127
        covering = [layer for layer in layers if layer[0] <= v <= layer[1] + 1e-6]
        candidates = covering or [min(layers, key=lambda layer: abs((layer[0] + layer[1]) / 2 - v))]
        return candidates[int(rng.integers(len(candidates)))][2]


def mixed_kit(kits: list[SampleKit], rng: np.random.Generator) -> SampleKit:
    """A kit of strangers: each drum class's notes from a random kit of ``kits``, other percussion from the first.

    Each training kit always pairs its kick with its own snare and hi-hat; mixed kits pair them anew, so that a
    class cannot be told by the kit it comes with. Only with ``data drums --mixed-kits``: trained on them, the
    model did not gain on the held-out kit (see the drum card).
    """
    donors = [kits[int(i)] for i in rng.integers(len(kits), size=len(DRUM_CLASSES) + 1)]
    layers = {}
    for note in sorted({n for kit in donors for n in kit.layers}):
        index = class_of_gm_note(note)
        donor = donors[0 if index is None else index + 1]
        if note in donor.layers:
            layers[note] = donor.layers[note]
    return SampleKit("mixed", all(k.real for k in donors), donors[0].sample_rate_hz, layers)


def trim(audio: np.ndarray) -> np.ndarray:
    """Cut trailing silence below ``SILENCE_DB`` of the peak, with a 10 ms fade."""
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak == 0.0:
        return audio[:0]
    loud = np.flatnonzero(np.abs(audio) > peak * 10 ** (SILENCE_DB / 20))
    end = int(loud[-1]) + 1
    audio = audio[:end].copy()
    fade = min(len(audio), 220)
    audio[-fade:] *= np.linspace(1, 0, fade, dtype=np.float32)
    return audio


def from_attack(audio: np.ndarray) -> np.ndarray:
    """``audio`` from its first sample within ``ATTACK_DB`` of its peak: the silence or noise before the attack
    cut, so that a stroke's label (the time its one-shot starts) is the time it is heard."""
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if peak == 0.0:
        return audio
    return audio[int(np.argmax(np.abs(audio) >= peak * 10 ** (ATTACK_DB / 20))):]


def attack_aligned(kit: SampleKit) -> SampleKit:
    """``kit`` with every one-shot starting at its attack (``from_attack``), for ``data drums --align-attacks``."""
    layers = {note: [(low, high, from_attack(shot)) for low, high, shot in shots] for note, shots in kit.layers.items()}
    return SampleKit(kit.name, kit.real, kit.sample_rate_hz, layers)


def fluidsynth_kit(soundfont: Path, program: int, channel: int, name: str, real: bool,
                   sample_rate_hz: int) -> SampleKit:
    """Render every note of ``RENDERED_NOTES`` at each velocity of ``RENDERED_VELOCITIES``."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000),
                            mido.Message("program_change", channel=channel, program=program)])
    slot_ticks = int(ONE_SHOT_S * 2 * 480)  # 120 BPM: 960 ticks a second
    order = [(n, v) for n in RENDERED_NOTES for v in RENDERED_VELOCITIES]
    first = True
    for note, velocity in order:
        track.append(mido.Message("note_on", channel=channel, note=note, velocity=velocity, time=0 if first else slot_ticks - 48))
        track.append(mido.Message("note_off", channel=channel, note=note, time=48))
        first = False
    track.append(mido.MetaMessage("end_of_track", time=slot_ticks))
    midi.tracks.append(track)
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "kit.mid"
        midi.save(path)
        audio = render_midi(path, sample_rate_hz, soundfont, gain=1.0)
    slot = int(ONE_SHOT_S * sample_rate_hz)
    kit = SampleKit(name, real, sample_rate_hz)
    peak = float(np.max(np.abs(audio))) or 1.0
    edges = np.concatenate(([0.0], (np.array(RENDERED_VELOCITIES[:-1]) + np.array(RENDERED_VELOCITIES[1:])) / 254, [1.0]))
    for i, (note, velocity) in enumerate(order):
        shot = trim(audio[i * slot:(i + 1) * slot] / peak)
        if len(shot) > 0.01 * sample_rate_hz:
            j = RENDERED_VELOCITIES.index(velocity)
            kit.layers.setdefault(note, []).append((float(edges[j]), float(edges[j + 1]), shot))
    return kit


def gm_note_of(instrument_name: str) -> int | None:
    """GM drum note for a Hydrogen instrument name, or None when it is none of the known drums or a gesture of
    several strokes (``HYDROGEN_GESTURES``)."""
    lowered = instrument_name.lower()
    if re.search(HYDROGEN_GESTURES, lowered):
        return None
    for pattern, note in HYDROGEN_NAMES:
        if re.search(pattern, lowered):
            return note
    return None


def hydrogen_kit(folder: Path, sample_rate_hz: int) -> SampleKit:
    """Read a Hydrogen ``drumkit.xml``: each instrument's velocity layers with their samples and gains (in the old
    format without layers, its one sample)."""
    root = ElementTree.parse(folder / "drumkit.xml").getroot()
    namespace = {"h": root.tag.split("}")[0][1:]} if root.tag.startswith("{") else {"h": ""}
    prefix = "h:" if namespace["h"] else ""
    electronic = re.search(r"electro|electric|varibreaks", folder.name.lower()) is not None
    kit = SampleKit(f"hydrogen:{folder.name}", not electronic, sample_rate_hz)
    for instrument in root.iter(f"{{{namespace['h']}}}instrument" if namespace["h"] else "instrument"):
        name = instrument.findtext(f"{prefix}name", default="", namespaces=namespace)
        note = gm_note_of(name)
        if note is None:
            continue
        gain = float(instrument.findtext(f"{prefix}gain", default="1", namespaces=namespace) or 1)
        # Hydrogen's old format has no layers: one sample per instrument, named on the instrument itself
        layers = list(instrument.iter(f"{{{namespace['h']}}}layer" if namespace["h"] else "layer")) or [instrument]
        for layer in layers:
            filename = layer.findtext(f"{prefix}filename", default="", namespaces=namespace)
            path = folder / filename
            if not filename or not path.is_file():
                continue
            audio, _ = librosa.load(path, sr=sample_rate_hz, mono=True)
            layer_gain = 1.0 if layer is instrument else float(
                layer.findtext(f"{prefix}gain", default="1", namespaces=namespace) or 1)
            shot = trim(audio.astype(np.float32) * gain * layer_gain)
            if len(shot):
                low = float(layer.findtext(f"{prefix}min", default="0", namespaces=namespace))
                high = float(layer.findtext(f"{prefix}max", default="1", namespaces=namespace))
                kit.layers.setdefault(note, []).append((low, high, shot[: int(ONE_SHOT_S * sample_rate_hz)]))
    return kit


def one_shot_file(path: Path, sample_rate_hz: int) -> np.ndarray:
    """A one-shot read from an audio file: mono at ``sample_rate_hz``, trailing silence trimmed, at most
    ``ONE_SHOT_S`` long."""
    audio, _ = librosa.load(path, sr=sample_rate_hz, mono=True)
    return trim(audio.astype(np.float32))[: int(ONE_SHOT_S * sample_rate_hz)]


def sonic_pi_kit(sample_rate_hz: int, samples: Path = SONIC_PI_SAMPLES) -> SampleKit:
    """Sonic Pi's acoustic kit (``SONIC_PI_ONE_SHOTS``): each file a velocity layer of the notes it sounds."""
    kit = SampleKit(SONIC_PI_KIT, True, sample_rate_hz)
    for stem, (notes, low, high) in SONIC_PI_ONE_SHOTS.items():
        shot = one_shot_file(samples / f"{stem}.flac", sample_rate_hz)
        for note in notes:
            kit.layers.setdefault(note, []).append((low, high, shot))
    return kit


def lmms_kit(index: int, sample_rate_hz: int, samples: Path = LMMS_DRUMS) -> SampleKit:
    """LMMS kit ``index``: for each note of ``LMMS_ONE_SHOTS``, the ``index``-th file of its list (cyclically),
    one layer for every velocity."""
    kit = SampleKit(f"lmms:{index}", False, sample_rate_hz)
    for notes, stems in LMMS_ONE_SHOTS.items():
        shot = one_shot_file(samples / f"{stems[index % len(stems)]}.ogg", sample_rate_hz)
        for note in notes:
            kit.layers.setdefault(note, []).append((0.0, 1.0, shot))
    return kit


def kits_without(kits: list[SampleKit], names: tuple[str, ...]) -> list[SampleKit]:
    """``kits`` less the kits called ``names`` (an experiment's left-out kits).

    Raises
    ------
    ValueError
        A name is none of ``kits``'.
    """
    unknown = set(names) - {k.name for k in kits}
    if unknown:
        raise ValueError(f"no kit {', '.join(sorted(unknown))}: the kits are {', '.join(k.name for k in kits)}")
    return [k for k in kits if k.name not in names]


def kits_for(kits: list[SampleKit], role: str) -> list[SampleKit]:
    """The kits of ``role`` (one of ``KIT_ROLES``): "held_out" those of ``HELD_OUT_KITS`` (the unseen-kit tests),
    "more_held_out" those of ``MORE_HELD_OUT_KITS`` (the more-kits tests), "sonic_pi" Sonic Pi's kit, "training"
    every other."""
    if role not in KIT_ROLES:
        raise ValueError(f"unknown kit role {role!r}: one of {', '.join(KIT_ROLES)}")
    if role in HELD_OUT_ROLES:
        return [k for k in kits if k.name in HELD_OUT_ROLES[role]]
    return [k for k in kits if not any(k.name in names for names in HELD_OUT_ROLES.values())]


def kit_sources(csound: bool = False, lmms: bool = False) -> list[tuple[str, callable]]:
    """Every kit this machine has (with ``csound``, csound's GM kits too; with ``lmms``, the ``LMMS_KIT_COUNT`` kits
    of LMMS's one-shots): (name, loader taking the sample rate)."""
    sources = []
    for soundfont, programs in GM_KITS + (CSOUND_KITS if csound else ()):
        if soundfont.exists():
            for program in programs:
                sources.append((f"fluidsynth:{soundfont.stem}:{program}",
                                lambda sr, s=soundfont, p=program: fluidsynth_kit(s, p, 9, f"fluidsynth:{s.stem}:{p}", False, sr)))
    for soundfont in AVL_KITS:
        if soundfont.exists():
            sources.append((f"avl:{soundfont.stem}",
                            lambda sr, s=soundfont: fluidsynth_kit(s, 0, 0, f"avl:{s.stem}", True, sr)))
    if HYDROGEN.is_dir():
        for folder in sorted(HYDROGEN.iterdir()):
            if (folder / "drumkit.xml").is_file() and folder.name not in NOT_DRUM_KITS:
                sources.append((f"hydrogen:{folder.name}", lambda sr, f=folder: hydrogen_kit(f, sr)))
    if all((SONIC_PI_SAMPLES / f"{stem}.flac").is_file() for stem in SONIC_PI_ONE_SHOTS):
        sources.append((SONIC_PI_KIT, sonic_pi_kit))
    if lmms and all((LMMS_DRUMS / f"{stem}.ogg").is_file() for stems in LMMS_ONE_SHOTS.values() for stem in stems):
        sources += [(f"lmms:{k}", lambda sr, k=k: lmms_kit(k, sr)) for k in range(LMMS_KIT_COUNT)]
    return sources


def kit_cache_name(name: str, sample_rate_hz: int) -> str:
    """The file a kit is cached in: its name, the rate and a digest of the rules that read kits (the notes,
    velocities and lengths rendered, the Hydrogen names and gestures, Sonic Pi's table), so that a kit read by
    older rules is read again, never taken from the cache."""
    rules = repr((RENDERED_NOTES, RENDERED_VELOCITIES, ONE_SHOT_S, SILENCE_DB, HYDROGEN_NAMES, HYDROGEN_GESTURES,
                  SONIC_PI_ONE_SHOTS) + ((LMMS_ONE_SHOTS,) if name.startswith("lmms:") else ()))
    digest = hashlib.sha1(rules.encode()).hexdigest()[:8]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + f"_{sample_rate_hz}_{digest}.pkl"


def load_kits(cache: Path, sample_rate_hz: int, progress=None, csound: bool = False, lmms: bool = False
              ) -> list[SampleKit]:
    """All kits of ``kit_sources(csound, lmms)``, read from ``cache`` or built there once."""
    cache.mkdir(parents=True, exist_ok=True)
    kits = []
    for name, loader in (progress or (lambda x, **_: x))(kit_sources(csound, lmms), desc="drum kits"):
        path = cache / kit_cache_name(name, sample_rate_hz)
        kit = pickle.loads(path.read_bytes()) if path.exists() else None
        if kit is None or not kit.layers:  # an empty kit is read again: its samples may be installed since
            kit = loader(sample_rate_hz)
            path.write_bytes(pickle.dumps(kit))
        if kit.layers:
            kits.append(kit)
    return kits
