"""The drum model card, written from the files the commands wrote.

Sources: ``cache/drums/drums.json`` (data); the run folder of each network of the live default, as its manifest
entry names them, and of the teachers it was distilled from (``drums_history.json``, and ``drums.pt`` for the
command); ``models_onnx/drums_tuning.json`` (written by ``export drums`` beside the model); ``runs/drums/`` (
``evaluation.json``, ``evaluation_clip.json`` and ``evaluation_recorded.json`` of ``python -m export evaluate drums
--methods model lookahead pfnmf adtlib``, and ``velocities.json`` of ``--methods model lookahead``);
``cache/drums-recorded/recorded.json`` (``python -m export data recorded-drums``);
``runs/drums-lookahead/drums_history.json`` for the look-ahead model (each network's training bullet is kept in
``models_onnx/drums_training.json`` for machines without its run folder); ``bench/results.json`` and
``bench/results_lookahead.json`` (``bridge bench``); and ``card_drums_history.md``, the experiments that chose the
live model, measured on earlier models and kept as written.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from bridge.bench import BENCH_SAMPLE_RATE_HZ, FILE_BLOCK_SAMPLES
from bridge.config import VelocitySettings
from bridge.drum_vocabulary import MAIN_CLASSES
from bridge.engines.drum_velocity import BEFORE_STROKE_S, CLASS_BANDS_HZ, SPREAD_DB
from bridge.models import MODELS_DIR
from export.evaluate_drums import OPENING_STROKES, markdown_kit_table, markdown_table, markdown_velocity_table
from export.figures_drums import FALSE_ONSETS_FIGURE_NAME, FIGURE_NAME
from export.provenance import BENCH_RESULTS, command_tail, kept_lines, parity_and_commit, read_json, training_line

BENCH_LOOKAHEAD = BENCH_RESULTS.with_name("results_lookahead.json")  # `[drums] model = "drums_lookahead"`
HISTORY = Path(__file__).with_name("card_drums_history.md")
TRAINING_RECORD = MODELS_DIR / "drums_training.json"  # the training bullets of earlier cards, by run folder name
TUNING = MODELS_DIR / "drums_tuning.json"  # `export drums` writes the live default's tuning beside it
KIT_SAMPLES_REPORT = "kit_samples.json"  # in the runs folder: `python -m export evaluate kit-samples -o ...`
KIT_SAMPLES_HEADING = "## Recordings the held-out kits share"
VELOCITY_REPORT = "velocities.json"  # in the runs folder: `python -m export evaluate drums --methods model lookahead`
DEFAULT_RUNS, DEFAULT_DATA = Path("runs/drums"), "cache/drums"  # train drums' default --out and --data
LATENCY_BUDGET_MS = 30.0  # onset to MIDI out, p99 (the budget)

SET_NOTES = {
    "test_alone": "drums alone, kits heard in training, unseen patterns",
    "test_mix": "drums under a band (melody, bass, chords from held-out folk tunes), seen kits",
    "test_unseen_kit": "drums alone, the held-out real kit (Black Pearl: AVL and Hydrogen samplings)",
    "test_unseen_kit_mix": "the held-out real kit under a band",
    "test_more_kits": "drums alone, three Hydrogen kits of the old format that no training build read: "
                      "Millo-Drums_v.1 (its author's Ludwig set; by his notes the training kits "
                      "Millo_MultiLayered2 and 3 are its second and third versions: a drum set the models heard, "
                      "recorded anew), rumpf_kit_z01 (sampled percussion, \"from analog samples\") and HardElectro1 "
                      "(synthesised, by the maker of the training kit ElectricEmpireKit)",
    "test_more_kits_mix": "those three kits under a band",
    "test_sonic_pi_kit": "drums alone, Sonic Pi's acoustic one-shots (one recordist's kit, a source no other kit "
                         "shares: soft and hard kick, snare, crash and toms; closed, pedal and open hi-hat; no ride, "
                         "so the grooves' ride strokes are silent and unlabelled)",
    "test_sonic_pi_kit_mix": "that kit under a band",
}
METHOD_NAMES = {"model": "`drums`", "lookahead": "`drums_lookahead`", "student": "student", "pfnmf": "PFNMF",
                "adtlib": "ADTLib"}


def hop_ms(entry: dict) -> float:
    """The analysis hop of the model ``entry``, in milliseconds."""
    return 1000 * entry["features"]["hop"] / entry["features"]["sample_rate_hz"]


def per_class(entry: dict, key: str) -> dict[str, float]:
    """A manifest figure given once for every class or once per class (``look_ahead_frames``, ``time_offset_s``), per
    class name."""
    value = entry[key]
    return dict(zip(entry["classes"], value if isinstance(value, list) else [value] * len(entry["classes"])))


def common_and_own(values: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The figure most classes share, and the classes that have one of their own."""
    counts = list(values.values())
    common = max(counts, key=counts.count)
    return common, {name: value for name, value in values.items() if value != common}


def own_phrase(own: dict[str, float], text: Callable[[float], str], template: str) -> str:
    """The classes with a figure of their own, each written by ``text`` into ``template`` (e.g. ``", the {name}'s
    {value}"``); "" for none."""
    return "".join(template.format(name=name, value=text(value)) for name, value in own.items())


def look_ahead_hops(entry: dict) -> tuple[float, dict[str, float]]:
    """How many hops the model ``entry`` listens past an onset before it names it: most classes', and the classes
    that have their own."""
    return common_and_own(per_class(entry, "look_ahead_frames"))


def look_ahead_text(entry: dict) -> str:
    """``12.5 ms``, and the classes that listen longer or shorter: ``12.5 ms (17.5 ms for the snare)``."""
    (hops, own), hop = look_ahead_hops(entry), hop_ms(entry)
    return f"{ms_text(hops * hop)} ms" + own_phrase(own, lambda own_hops: f"{ms_text(own_hops * hop)} ms",
                                                    " ({value} for the {name})")


def time_offset_text(entry: dict) -> str:
    """How far back the onsets of the model ``entry`` are shifted: ``10.7 ms``, or ``10.7 ms, the snare's 15.7 ms``."""
    common, own = common_and_own(per_class(entry, "time_offset_s"))
    return f"{common * 1000:.1f} ms" + own_phrase(own, lambda seconds: f"{seconds * 1000:.1f} ms",
                                                  ", the {name}'s {value}")


def ms_text(value: float) -> str:
    """Milliseconds to the nearest half: a 220-sample hop at 22.05 kHz is 9.98 ms, and 1.25 hops read 12.5."""
    return f"{round(value * 2) / 2:g}"


def heard_phrase(entry: dict) -> str:
    """The contract's sentence on the look-ahead of the model ``entry``: how much of a stroke it hears, and at
    several phases (``phases`` in the manifest) how much the first phase to name it has heard."""
    (frames, own), hop = look_ahead_hops(entry), hop_ms(entry)
    delay = frames * hop

    def others(spread: float) -> str:
        return own_phrase(own, lambda hops: f"{ms_text(hops * hop)}-{ms_text(hops * hop + spread)} ms",
                          ", {value} of a {name} stroke")

    phases = entry.get("phases", 1)
    return (f"Look-ahead {frames:g} hops ({ms_text(delay)} ms)"
            + own_phrase(own, lambda hops: f"{hops:g} hops ({ms_text(hops * hop)} ms)", ", the {name}'s {value}")
            + f": trained to name each stroke in the first frame that ends more than {ms_text(delay)} ms after it "
            f"begins (and the next), the model has heard {ms_text(delay)}-{ms_text(delay + hop)} ms of a stroke before "
            f"it names it{others(hop)}"
            + (f"; at its {phases} phases, {hop / phases:.1f} ms apart, the first phase to reach that frame has heard "
               f"{ms_text(delay)}-{ms_text(delay + hop / phases)} ms of a stroke{others(hop / phases)}"
               if phases > 1 else "") + ".")


def phases_phrase(entry: dict) -> str:
    """The contract's sentence on the phases the daemon runs the model ``entry`` at; "" for one."""
    phases = entry.get("phases", 1)
    if phases == 1:
        return ""
    return (f"The daemon runs the network at {phases} phases: on log-mel frames every {hop_ms(entry) / phases:.1f} "
            f"ms, each phase on every {'other' if phases == 2 else f'{phases}th'} frame with states of its own (the "
            "manifest's `phases`), so that whichever phase first hears enough of a stroke names it, at "
            f"{'twice' if phases == 2 else f'{phases} times'} the compute of one phase. ")


def _thresholds(entry: dict) -> str:
    return ", ".join(f"{n} {t}" for n, t in zip(entry["classes"], entry["thresholds"]))


def training_command(folder: Path, default_out: Path) -> tuple[str, str]:
    """The ``train drums`` command that trained the network in ``folder``, read from its last checkpoint, and what
    its targets were."""
    import torch

    from export.train_drums import DrumTrainConfig, saved_teachers

    config = torch.load(folder / "drums.pt", weights_only=False)["config"]
    teachers = saved_teachers(config)
    off_onsets = bool(teachers) and config.get("teach_off_onsets") == "True"
    targets = ("each model on its own targets" if not teachers else
               "the onset frames at their label, the other frames half the teachers' averaged probability"
               if off_onsets else "half of each target the teachers' averaged probability, half the label")
    own = ast.literal_eval(config.get("class_look_ahead", "{}"))  # saved as its repr
    return (f"train drums --steps {config['steps']} --look-ahead {float(config['look_ahead']):g}"
            + "".join(f" --look-ahead {name}={hops:g}" for name, hops in own.items())
            + (f" --target-frames {config['target_frames']}" if config.get("target_frames", "2") != "2" else "")
            + (f" --data {config['data']}" if config.get("data", DEFAULT_DATA) != DEFAULT_DATA else "")
            + (f" --teachers {' '.join(map(str, teachers))}" if teachers else "")
            + (" --teach-off-onsets" if off_onsets else "")
            + command_tail(config, DrumTrainConfig, folder, default_out)), targets


def training_lines(folders: list[Path], record_path: Path) -> list[str]:
    """The training bullet of each network in ``folders``: from its run folder where this machine has it, else
    from ``record_path``, where every ``card drums`` keeps the bullets it wrote."""
    written = {}
    for folder in folders:
        if history := read_json(folder / "drums_history.json"):
            command, targets = training_command(folder, DEFAULT_RUNS)
            written[folder.name] = training_line(command, history, f" ({targets})")
    return kept_lines(record_path, written, [folder.name for folder in folders])


def teachers_lines(entry: dict) -> list[str]:
    """What the live networks were distilled from, before the bullets that train the teachers, if they were."""
    teachers = entry.get("teachers", [])
    if not teachers:
        return []
    return [f"The live networks were distilled from the {len(teachers)} networks of these run folders, averaged in one graph",
            "(`train drums --teachers`: each network's bullet says how its targets mix their probability with the",
            "label; the history at the end of this card tells how they were chosen). The teachers' training comes first:", ""]


def networks_phrase(count: int) -> str:
    """What the live model is: one causal CNN, or ``count`` seeds of it averaged in one graph."""
    if count == 1:
        return "A causal CNN"
    number = {2: "two", 3: "three", 4: "four"}.get(count, str(count))
    return (f"{number.capitalize()} causal CNNs (one recipe trained from {number} seeds, fused into one graph that "
            "averages their logits)")


def verdict(evaluation: dict) -> list[str]:
    """One line per held-out set: the mean F of kick, snare, hi-hat of every method, read from the numbers."""
    lines = []
    for name, entry in evaluation.items():
        scores = ", ".join(f"{METHOD_NAMES.get(m, m)} {s['f_main']:.3f}" for m, s in entry["methods"].items()
                           if s["f_main"] is not None)
        lines.append(f"- {name}: {scores}")
    return lines


def clip_section(clip: dict) -> list[str]:
    """The bundled clip's table, with recall and precision per main class and method."""
    if not clip:
        return []
    lines = ["On the bundled clip (`evaluate drums --data DIR --methods model lookahead -o "
             "runs/drums/evaluation_clip.json`, DIR holding `bridge/data/drums_heldout.wav` and `.txt`; 12 s of a rock "
             "groove on the held-out real kit, the clip `bridge bench` plays over JACK):", "",
             markdown_table(clip).rstrip(), ""]
    for method, scores in next(iter(clip.values()))["methods"].items():
        per_class = scores["classes"]
        recall = ", ".join(f"{c} {per_class[c]['r']:.2f}" for c in MAIN_CLASSES)
        precision = ", ".join(f"{c} {per_class[c]['p']:.2f}" for c in MAIN_CLASSES)
        lines.append(f"- {METHOD_NAMES.get(method, method)}: recall {recall}; precision {precision}")
    return lines + [""]


def groups_phrase(near: dict[str, int], top: int | None = None) -> str:
    """``kick+ride 25, snare 4``: onsets by the strokes they fall on, the largest groups first (``top`` of them)."""
    return ", ".join(f"{k} {v}" for k, v in sorted(near.items(), key=lambda kv: -kv[1])[:top])


def unscored_phrase(name: str, near: dict[str, int]) -> str:
    """``hihat 32 (kick+ride 25, snare 4, none 3)``: a class's unscored onsets, by the strokes they fall on."""
    return f"{name} {sum(near.values())} ({groups_phrase(near)})"


def false_alarm_table(evaluation: dict, method: str = "model", top: int = 2) -> list[str]:
    """Per set, the false alarms of ``method`` in kick, snare and hi-hat (``evaluate drums``' ``false_alarms``):
    how many, and the ``top`` groups of annotated strokes they fall on."""
    rows = []
    for name, entry in evaluation.items():
        alarms = entry["methods"].get(method, {}).get("false_alarms")
        if alarms is None:
            continue
        cells = []
        for drum in MAIN_CLASSES:
            near = alarms.get(drum, {})
            cells.append(f"{sum(near.values())}" + (f" ({groups_phrase(near, top)})" if near else ""))
        rows.append(f"| {name} | " + " | ".join(cells) + " |")
    if not rows:
        return []
    lines = [f"The false alarms of {METHOD_NAMES.get(method, method)} in the three main classes, over each set, with the",
             "annotated strokes the most of them fall on (within 50 ms; \"none\": no stroke there):", "",
             "| set | " + " | ".join(f"false {drum.replace('hihat', 'hi-hat')}" for drum in MAIN_CLASSES) + " |",
             "|---|" + "---|" * len(MAIN_CLASSES), *rows, ""]
    if (MODELS_DIR / FALSE_ONSETS_FIGURE_NAME).exists():
        lines += ["The hi-hat is the most frequent stroke, so counts alone favour it. The figure",
                  "(`--figures`) divides by the strokes: for every class, the onsets the live default puts where no",
                  "stroke of their class is (its false alarms, and the onsets in classes a track lacks), per annotated",
                  "stroke of each class within 50 ms of them, over all the sets.", "",
                  f"![False onsets per annotated stroke]({FALSE_ONSETS_FIGURE_NAME})", ""]
    return lines


def recorded_section(evaluation: dict, data: dict) -> list[str]:
    """The card's part on the real recording: ``evaluation`` of ``evaluate drums`` on the two sets of ``data
    recorded-drums``, ``data`` its ``recorded.json``."""
    if not evaluation:
        return []
    alone, mix = evaluation.get("recorded_alone", {}), evaluation.get("recorded_mix", {})
    methods = " ".join(next(iter(evaluation.values()))["methods"])
    lines = ["## A real recording: the Amen break", "",
             "`python -m export data recorded-drums`, then `python -m export evaluate drums --data",
             "cache/drums-recorded/recorded_alone cache/drums-recorded/recorded_mix --methods "
             f"{methods} -o runs/drums/evaluation_recorded.json`",
             "(ADTLib's estimates written first by `export/adtlib_peer.py` on the two folders). The break that",
             "Gregory C. Coleman played on The Winstons' \"Amen, Brother\" (1969), from Debian's sonic-pi-samples:",
             "a drummer on a real kit, recorded, the one real drum performance whose strokes this project can know. Its",
             "labels are the break's drum notation on the file's 16th-note grid (`export/data/recorded_drums.py`), not",
             "any detector's onsets"]
    if data:
        check, counts = data["notation_check"], data["onsets"]
        lines[-1] += (f": {counts['KD']} kicks, {counts['SD']} snares, {counts['RD']} ride strokes and "
                      f"{counts['CY']} crash in {data['duration_s']:.2f} s ({data['tempo_bpm']:g} BPM). librosa's onset "
                      f"detector finds an onset within 30 ms of {check['share_within_30_ms']:.0%} of the "
                      f"{check['notated_times']} notated times (median {check['median_distance_ms']:.1f} ms away, "
                      f"the detector's own lag included), so grid and playing agree well inside the 50-ms window")
    lines[-1] += "."
    lines += ["The notation has no hi-hat (a pedal hi-hat on the beats, barely audible, is not written), so the hi-hat",
              "is not scored here and the means are over kick and snare. `recorded_mix` is the break under each of",
              "four recorded guitar parts with a recorded piano (sonic-pi-samples too), each part at the",
              "break's level: real instruments, summed, not a band that played together.", "",
              markdown_table(evaluation).rstrip(), ""]
    unscored = {m: s.get("unscored_onsets", {}) for m, s in alone.get("methods", {}).items()}
    if unscored:
        lines += ["Onsets in classes that the notation does not have, which the F-measure leaves out (the break alone): "
                  + "; ".join(f"{METHOD_NAMES.get(m, m)} " + (", ".join(unscored_phrase(n, near) for n, near in counts.items())
                                                                   or "none") for m, counts in unscored.items())
                  + " (in brackets, the notated strokes they fall on, within 50 ms).", ""]
    if "model" in alone.get("methods", {}) and "model" in mix.get("methods", {}):
        lines += [f"On this one recording the live default's mean F of kick and snare is "
                  f"{alone['methods']['model']['f_main']:.3f} alone and {mix['methods']['model']['f_main']:.3f} "
                  "under the recorded band, against the goals of 0.85 on real drum-only tracks (kick, snare and",
                  "hi-hat) and 0.60 on real full mixes. One break of "
                  f"{data['onsets']['KD'] + data['onsets']['SD'] if data else 'a few dozen'} kick and snare strokes is "
                  "a small test: one stroke more or less moves a class's F by about 0.03.", ""]
    return lines


def heard_lines(evaluation: dict, method: str = "model") -> list[str]:
    """The spread over the held-out sets of ``method``'s own latency (``heard_after_ms``), beside the clip's."""
    delays = {name: entry["methods"][method]["heard_after_ms"] for name, entry in evaluation.items()
              if "heard_after_ms" in entry["methods"].get(method, {})}
    if not delays:
        return []
    low, high = min(delays, key=lambda n: delays[n]["p99"]), max(delays, key=lambda n: delays[n]["p99"])
    return [f"The live default's own latency at p99 runs from {delays[low]['p99']:.1f} ms ({low}) to "
            f"{delays[high]['p99']:.1f} ms ({high}) over {sum(d['n'] for d in delays.values())} strokes found: "
            "longer than on the 12-s clip the bench plays (see Latency), whose few dozen strokes hold few slow ones; "
            "part of it is silence before the attack in some kits (above). The budget of "
            f"{LATENCY_BUDGET_MS:.0f} ms from onset to MIDI out at p99 holds on that clip, not on every kit and mix.", ""]


def kit_samples_section(report: dict) -> list[str]:
    """The card's section on the recordings that the held-out kits share with training kits (``evaluate
    kit-samples``), heading included; nothing before that command has run."""
    from export.kit_samples import COMPARED_S, MAX_LAG_S, report_table
    from export.soundfont_samples import SAME_AUDIO_CORRELATION

    if not report:
        return []
    lines = [KIT_SAMPLES_HEADING, "", f"`python -m export evaluate kit-samples -o runs/drums/{KIT_SAMPLES_REPORT}` "
             "compares the recordings of each held-out kit with every training kit's, drum class by class: a "
             "soundfont kit's own samples on the class's keys, a sampled kit's one-shots as `data drums` reads them; "
             f"two are one recording where they correlate at {SAME_AUDIO_CORRELATION} or more over their first "
             f"{COMPARED_S:g} s, at a lag of up to {MAX_LAG_S * 1000:g} ms. The one-shots of each class that a "
             "training kit also plays:", "", report_table(report), ""]
    sharing = {kit: {name: row for name, row in classes.items() if row["shared"]} for kit, classes in report.items()}
    shared = [kit for kit, classes in sharing.items() if classes]
    for kit in shared:
        sources = sorted(set().union(*(set(row["kits"]) for row in sharing[kit].values())))
        lines.append(f"- {kit}: " + ", ".join(f"{row['shared']} of its {row['one_shots']} {name} recordings"
                                             for name, row in sharing[kit].items())
                     + f" are recordings that {', '.join(sources)} plays in training.")
    clean = [kit for kit in report if kit not in shared]
    lines += ["", ("The sets of " + ", ".join(shared) + " measure, in those classes, in part recordings the models "
                   "heard in training. " if shared else "") + (f"{', '.join(clean)} share no recording with a training "
                                                                  "kit." if clean else ""), ""]
    return lines


def band_text(name: str) -> str:
    """``CLASS_BANDS_HZ``'s band of a class in words, e.g. "kick below 400 Hz"."""
    low, high = CLASS_BANDS_HZ[name]
    if low is None:
        return f"{name} below {high:g} Hz"
    return f"{name} above {low:g} Hz" if high is None else f"{name} {low:g}-{high:g} Hz"


def velocities_section(report: dict, report_path: Path) -> list[str]:
    """The card's section on the notes' velocities from ``evaluate drums`` on the held-out renders (``report``,
    written to ``report_path``), heading included; nothing before that command has run."""
    if not report:
        return []
    settings = VelocitySettings()
    return ["## Velocities", "",
            "A note's velocity comes from how loud its stroke is, not from the network: the stroke's peak in its "
            "drum's band of the waveform (second-order Butterworth; " + ", ".join(band_text(n) for n in CLASS_BANDS_HZ)
            + f") from {BEFORE_STROKE_S * 1000:g} ms before it to the end of the frame that revealed it "
            "(`bridge/engines/drum_velocity.py`), "
            f"mapped by the General MIDI curve ({settings.curve_db:g} dB a tenfold) against a reference. Live, the "
            f"reference is the drum's loudest stroke of the last {settings.memory_s:g} s raised by {SPREAD_DB:g} dB "
            "/ (n + 1) while those are n strokes, or a level held after a sound check; offline (`transcribe-drums`), "
            "the file's loudest stroke of the drum.", "",
            f"`python -m export evaluate drums --methods model lookahead -o {report_path}`: the held-out renders "
            "carry each stroke's played velocity; per track and class, Spearman's correlation of the played "
            "velocities of the strokes found with the velocities live, against the track's loudest strokes and from "
            "the activations (the mean over the tracks with 4 or more), and how far the live velocities of each "
            f"drum's first {OPENING_STROKES} strokes lie from those against the track's loudest (mean absolute "
            "difference, in velocity steps):", "", markdown_velocity_table(report).rstrip(), ""]


def latency_line(name: str, bench: dict) -> list[str]:
    """The ``bridge bench`` figures of the drum model ``name``: onsets on time, latency against the budget, speed."""
    if "drums_onset_to_midi_ms" not in bench:
        return [f"- `{name}`: not measured yet."]
    d = bench["drums_onset_to_midi_ms"]
    budget = "within" if d["p99"] <= LATENCY_BUDGET_MS else "over"
    phase = bench.get("drums_within_50ms_offline_by_hop_phase")
    heard = bench.get("drums_onset_to_frame_end_offline_ms")
    block = bench.get("drums_live_block_samples", 480)  # a results file from before the bench recorded it
    return [f"- `{name}`: {d['within_50ms']:.1%} of the clip's {d['onsets']} kicks, snares and hi-hats within 50 ms"
            + (f" (offline, with the clip starting at {phase['phases']} offsets across one analysis hop: "
               f"{phase['min']:.1%} to {phase['max']:.1%}, mean {phase['mean']:.1%}; where the strokes fall within "
               "the hop decides which are found)" if phase else "")
            + "; "
            f"onset to MIDI out p50 {d['p50']:.1f} ms, p99 {d['p99']:.1f} ms ({budget} the budget), max "
            f"{d['max']:.1f} ms."
            + (f" The model's own latency, before any computing or transport: offline, at those offsets, the "
               f"frame that revealed each found stroke ended p50 {heard['p50']:.1f} ms, p99 {heard['p99']:.1f} ms "
               f"after it ({heard['n']} strokes); a stroke that crosses its threshold a frame late is a hop later."
               if heard else "")
            + f" Real-time factor on one thread: {bench.get('drums_realtime_factor')}x streaming a "
            f"file in {FILE_BLOCK_SAMPLES}-sample blocks, {bench.get('drums_realtime_factor_live_blocks')}x in the "
            f"{block}-sample blocks the analysis thread gets live, fed back to "
            "back."
            + (f" Fed those blocks at the live pace, one every "
               f"{1000 * block / BENCH_SAMPLE_RATE_HZ:.0f} ms with the thread "
               "asleep between and no other "
               f"engine running, it ran {bench['drums_realtime_factor_live_pace']}x: a block costs several times "
               "more after a sleep than in a loop." if "drums_realtime_factor_live_pace" in bench else "")
            + (f" While it transcribed the clip, the drum engine's own CPU time in the daemon was "
               f"{d['drums_engine_core_share']:.1%} of one core, a real-time factor of "
               f"{1 / max(d['drums_engine_core_share'], 1e-6):.0f}x." if "drums_engine_core_share" in d else "")
            + (f" The whole daemon (drums, instruments, level meter) used {d['daemon_core_share']:.0%}."
               if "daemon_core_share" in d else "")]


def bench_reports(with_lookahead: bool) -> tuple[dict, dict | None]:
    """``bench/results.json`` and, ``with_lookahead``, ``bench/results_lookahead.json``: the arguments of
    ``latency_section``."""
    return read_json(BENCH_RESULTS), read_json(BENCH_LOOKAHEAD) if with_lookahead else None


def latency_section(bench: dict, lookahead_bench: dict | None = None) -> list[str]:
    """The card's Latency section (heading included) from the ``bridge bench`` reports of the live default and,
    where it ships, of ``drums_lookahead``: all of it that the bench measures, so that ``card drums
    --only latency`` can rewrite it alone."""
    lines = ["## Latency", "",
             "`bridge bench -o bench/results.json` (and, with `--config FILE` where FILE sets `[drums] model =",
             "\"drums_lookahead\"`, `-o bench/results_lookahead.json`): the bundled clip played into the daemon over",
             "JACK (dummy driver, 48 kHz, 128-frame periods); time from each kick, snare and hi-hat onset to its drum",
             f"note on the daemon's MIDI out, against the budget of {LATENCY_BUDGET_MS:.0f} ms at p99"
             + machine_phrase(bench) + ":", ""]
    lines += latency_line("drums", bench)
    if lookahead_bench is not None:
        lines += latency_line("drums_lookahead", lookahead_bench)
    return lines + ["", "Live, the analysis thread wakes when the input holds the next frame's last sample, so every "
                    "frame is", "its own onnxruntime call and its own feature computation, where a file's blocks batch "
                    "nine.", ""]


def lookahead_section(entry: dict, evaluation: dict) -> list[str]:
    """The card's part on ``drums_lookahead``: its manifest ``entry`` and what it gains over the live default in
    ``evaluation`` (methods ``model`` and ``lookahead``)."""
    if not entry:
        return []
    lines = ["## The look-ahead model", "",
             f"`drums_lookahead.onnx` is the same network trained to name each stroke {look_ahead_hops(entry)[0]:g} "
             f"frames ({look_ahead_text(entry)}) after it begins, the most look-ahead the issue allows. Thresholds "
             f"tuned on validation: {_thresholds(entry)}; times shifted back by {time_offset_text(entry)}, "
             "so its onsets carry the time of the stroke. `bridge transcribe-drums --model drums_lookahead` uses it, "
             "and live, `[drums] model = \"drums_lookahead\"`. Trained with "
             "`--out runs/drums-lookahead` and exported with `python -m export export drums --runs runs/drums-lookahead "
             "--name drums_lookahead`."]
    gains = [e["methods"]["lookahead"]["f_main"] - e["methods"]["model"]["f_main"]
             for e in evaluation.values() if {"model", "lookahead"} <= set(e["methods"])]
    if gains:
        better = sum(gain > 0 for gain in gains)
        lines.append(f"Against the live default its mean F of kick, snare and hi-hat differs by {min(gains):+.3f} to "
                     f"{max(gains):+.3f} on the {len(gains)} held-out sets (the tables above): higher on {better}, "
                     f"lower on {len(gains) - better}.")
        lines.append("Precision and recall of kick, snare and hi-hat, each the mean over those sets: "
                     + "; ".join(f"{METHOD_NAMES.get(m, m)} precision {precision_recall_phrase(evaluation, m, 'p')}, "
                                 f"recall {precision_recall_phrase(evaluation, m, 'r')}" for m in ("lookahead", "model"))
                     + ".")
    return lines + [""]


def precision_recall_phrase(evaluation: dict, method: str, measure: str) -> str:
    """``0.925, 0.708, 0.873``: ``measure`` (``p`` or ``r``) of each main class for ``method``, averaged over the
    held-out sets where the class was scored."""
    means = []
    for drum in MAIN_CLASSES:
        values = [e["methods"][method]["classes"][drum][measure] for e in evaluation.values()
                  if drum in e["methods"].get(method, {}).get("classes", {})]
        means.append(f"{sum(values) / len(values):.3f}" if values else "-")
    return ", ".join(means)


def machine_phrase(bench: dict) -> str:
    """`` on <CPU> (<n> cores)`` of a bench result, or nothing where it names no machine: the p99 is the
    machine's as much as the model's."""
    machine = bench.get("machine", {})
    return f" on an {machine['cpu']} ({machine['cores']} cores)" if "cpu" in machine else ""


def model_card(entry: dict, runs: Path, data: Path, lookahead: dict | None = None) -> str:
    """The card of the live drum model ``entry`` (trained in ``runs`` on ``data``), and of ``lookahead``, the
    manifest entry of ``drums_lookahead``, whose run is ``runs``' sibling ``drums-lookahead``."""
    counts = read_json(data / "drums.json")
    tuning = read_json(TUNING)
    evaluation = read_json(runs / "evaluation.json")
    folders = [Path(p).parent for p in entry.get("networks", [runs / "drums_best.pt"])]
    lines = [
        "# Model card: causal drum transcription", "",
        f"{networks_phrase(len(folders))} on log-mel frames that turn incoming audio into drum onsets (kick, snare,",
        f"hi-hat, toms, crash, ride), frame by frame with {look_ahead_text(entry)} of look-ahead, for `bridge serve` (MIDI channel 10, `/drum/onset`),",
        (f"and a sibling with {look_ahead_text(lookahead)} of look-ahead" if lookahead else "and a sibling")
        + " (`drums_lookahead`). After Wu & Lerch, \"From labeled to",
        "unlabeled data - on the data challenge in automatic drum transcription\" (ISMIR 2018): synthetic labelled",
        "data, a PFNMF baseline and teacher.", "",
        "## Files and contract", "",
        f"`drums.onnx` ({(MODELS_DIR / entry['files']['model']).stat().st_size / 1e6:.2f} MB, "
        f"{entry['parameters']:,} parameters, opset {entry['opset']}). Input: log-mel frames of `bridge.features` "
        f"({entry['features']['sample_rate_hz']} Hz, FFT {entry['features']['n_fft']}, hop {entry['features']['hop']} "
        f"= {hop_ms(entry):.1f} ms, {entry['features']['n_mels']} mels; "
        "each frame ends at its last sample) plus five convolution states"
        + (" (the networks' side by side in channels)" if len(folders) > 1 else "") + "; output: logits per frame and class, and the",
        f"next states. Receptive field {entry['receptive_field_frames']} frames of the past. {phases_phrase(entry)}"
        f"{heard_phrase(entry)}",
        f"Onsets: upward crossings of a threshold per class ({_thresholds(entry)}; tuned on validation;",
        "`/drums/threshold` sets them live, for every class or one), 40 ms refractory time, times shifted back by",
        f"{time_offset_text(entry)} (the look-ahead and the median lateness on validation), so an onset "
        "carries the time of its stroke.",
        "A stream starts from the states that silence leaves in the network (zero states are not silence for it).", "",
        "## Data", "",
        "`python -m export data drums`: generated grooves (rock, funk, jazz, latin, metal, electronic; fills, ghost notes,",
        "swing, human timing, tempi 60-200) and, for a quarter of the tracks, scattered drills (each drum on its own",
        "random clock: in grooves the hi-hat nearly always sounds with the kick or the snare, and a model trained on",
        "grooves alone learns to fire them together), mixed from one-shot samples of every kit on this machine: the General MIDI",
        "drum kits of FluidR3, TimGM6mb and MuseScore General (programs on channel 10), the AVL kits (multi-sampled real",
        "kits) and the Hydrogen kits (velocity layers by `drumkit.xml`). Half the training tracks play under a band",
        "rendered from the folk tunes (random GM programs and soundfonts). A random recording chain follows: mic bleed,",
        "EQ, compression, saturation, room reverb, level changes, noise. Labels are exact, from the performance.",
        "Split by pattern seed; the accompaniment of the test sets comes from held-out tunes; one real kit (Black Pearl,",
        "both its AVL and its Hydrogen sampling; its recordist, Glen MacArthur, also recorded the training kit Red",
        "Zeppelin, another drum set with the same hi-hats, below) is held out of training and validation entirely; so are three more",
        "kits, heard only in the `test_more_kits` sets, Hydrogen kits of an older format that the builds of the",
        "first models did not read: two sampled acoustic kits and an electronic one. One of the acoustic two,",
        "Millo-Drums_v.1, is its author's Ludwig set, and by his notes two training kits (Millo_MultiLayered2 and 3)",
        "are its second and third versions: its scores are those of a drum set the models heard, recorded anew.", "",
        "Two fixes to the data came after earlier models had been trained on it. A groove strikes each drum once per",
        "grid step (from commit 5a6909d; before, a voice's random extra steps and the crash's kick on the one after a",
        "fill could add a second stroke of the same drum a few milliseconds after the first: a flam no drummer plays,",
        "and a label that no transcriber with a refractory time can match). And the kits leave out Hydrogen's gesture",
        "samples (from commit 94de3d7): the snare rolls of the training kits BJA_Pacific and Millo_MultiLayered3 had",
        "sounded a third and a half of their snare strokes as several strokes under one label, and the chokes of the",
        "held-out Black Pearl half its closed hi-hats and splashes, with a second, louder event 50-60 ms after the",
        "labelled one. The `drums` networks and `drums_lookahead` were trained on the build with both fixes (the",
        "counts below). Every figure on this card is on the current renders, except the history at its end.", "",
    ]
    if counts:
        lines += ["| split | tracks | seconds each | with band | kick | snare | hi-hat | tom | crash | ride |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for name, split in counts["splits"].items():
            o = split["onsets"]
            lines.append(f"| {name} | {split['tracks']} | {split['duration_s']:.0f} | {split['with_accompaniment']:.0%} | "
                         f"{o['kick']} | {o['snare']} | {o['hihat']} | {o['tom']} | {o['crash']} | {o['ride']} |")
        more, sonic_pi = counts.get("more_held_out_kits", []), counts.get("sonic_pi_kits", [])
        lines += ["", f"Kits: {len(counts['kits'])}, of which held out: {', '.join(counts['held_out_kits'])}"
                  + (f"; for the `test_more_kits` sets: {', '.join(more)}" if more else "")
                  + (f"; for the `test_sonic_pi_kit` sets: {', '.join(sonic_pi)}" if sonic_pi else "") + ".", ""]
    lines += kit_samples_section(read_json(runs / KIT_SAMPLES_REPORT))
    lines += ["## Training", ""]
    lines += teachers_lines(entry)
    teachers = [Path(folder) for folder in entry.get("teachers", [])]
    lines += training_lines(teachers + folders + ([runs.parent / "drums-lookahead"] if lookahead else []),
                            TRAINING_RECORD)
    lines += ["- `python -m export train pfnmf`: one template per class from the training kits' one-shots (80 mel bands),",
              "  10 free components, 40 KL-divergence updates, adaptive-median peak picking (delta tuned on validation).", ""]
    if tuning:
        first = f" --runs {folders[0]}" if folders[0] != DEFAULT_RUNS else ""
        ensemble = f" --ensemble {' '.join(map(str, folders[1:]))}" if len(folders) > 1 else ""
        valid = tuning.get("data", DEFAULT_DATA)
        valid_data = f" --data {valid}" if valid != DEFAULT_DATA else ""
        phases = f" --phases {entry['phases']}" if entry.get("phases", 1) > 1 else ""
        lines += [f"`python -m export export drums{first}{ensemble}{valid_data}{phases}` tunes the thresholds on validation"
                  + (f" (its renders again at a hop of {hop_ms(entry) / entry['phases']:.1f} ms: `python -m export data "
                     f"drums --only valid --hop {entry['features']['hop'] // entry['phases']} --out {valid}`)"
                     if phases else "") + ", per class: " + ", ".join(
            f"{n} {t} (F {tuning['valid_f'][n]:.3f})" for n, t in zip(tuning["valid_f"], tuning["thresholds"]))
            + f"; mean F of kick, snare, hi-hat {tuning['valid_f_main']:.3f}.", ""]
    lines += ["## Evaluation", ""]
    if evaluation:
        methods = " ".join(next(iter(evaluation.values()))["methods"])
        figure = f" --figures {MODELS_DIR.name}" if (MODELS_DIR / FIGURE_NAME).exists() else ""
        lines += [f"`python -m export evaluate drums --methods {methods} -o runs/drums/evaluation.json{figure}`:",
                  "mir_eval onset F-measure, 50 ms window, per class and track, averaged over the tracks where the class",
                  "occurs. `model` is the live default `drums.onnx`, `lookahead` is `drums_lookahead.onnx`; both are",
                  "streamed through `bridge.engines.drums` exactly as live. PFNMF runs offline on whole files; ADTLib (kick,",
                  "snare and hi-hat only; offline, bidirectional) runs from its shipped networks through",
                  "`export/adtlib_peer.py` in a TensorFlow virtual environment. The last column, for the streamed",
                  "models: the ms from each kick, snare and hi-hat they found to the end of the frame that revealed it",
                  "(p50 / p99 over the set), their own latency before any computing or transport. It counts from the",
                  "label, the time the one-shot starts, and in some kits the attack comes later (Millo-Drums_v.1's kick",
                  "sample starts with 18 ms of silence): there the figure is longer by as much.", "",
                  markdown_table(evaluation), ""]
        lines += [f"- {name}: {note}" for name, note in SET_NOTES.items() if name in evaluation] + [""]
        lines += heard_lines(evaluation)
        kit_table = markdown_kit_table(evaluation)
        if kit_table:
            lines += ["Per kit, in the sets of held-out kits (mean F of kick, snare, hi-hat; `evaluate drums` scores",
                      "each kit's tracks apart where the set's `kits.json` names them):", "", kit_table]
        lines += ["Mean F of kick, snare and hi-hat:", ""] + verdict(evaluation) + [""]
        lines += false_alarm_table(evaluation)
        if figure:
            lines += [f"![F-measure per set, class and method]({FIGURE_NAME})", ""]
    else:
        lines += ["Not evaluated yet.", ""]
    lines += clip_section(read_json(runs / "evaluation_clip.json"))
    lines += ["**Limits.** Every figure above is on rendered audio. The one real drum recording this project can",
              "annotate, the Amen break, is scored in the next section; one recording does not measure the goals set",
              "for real recordings (mean F 0.85 on drums alone, 0.60 in full mixes), and no real full mix with",
              "annotations is available. The held-out sampled acoustic kits (Black Pearl, rumpf_kit_z01 in",
              "`test_more_kits`, and Sonic Pi's kit in `test_sonic_pi_kit`, whose recordist no training kit shares)",
              "are the closest stand-in. Millo-Drums_v.1 is a lesser one: training heard other",
              "versions of its drum set (trained without them, `drums_lookahead`'s recipe scores 0.008-0.023 lower on",
              "it; the history below, on training without them).", ""]
    lines += recorded_section(read_json(runs / "evaluation_recorded.json"), read_json(data.parent / "drums-recorded" / "recorded.json"))
    lines += velocities_section(read_json(runs / VELOCITY_REPORT), runs / VELOCITY_REPORT)
    lines += lookahead_section(lookahead or {}, evaluation)
    lines += latency_section(*bench_reports(lookahead is not None))
    lines += [HISTORY.read_text().rstrip(), ""]
    return "\n".join(lines + parity_and_commit(entry))
