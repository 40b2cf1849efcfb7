"""``python -m export evaluate instruments``: activity (LRAP, AUC) and clip tagging (P, R, F1, AUC).

Data format: a folder of ``NAME.wav`` mixes, each with ``NAME.csv`` beside it:
a header ``time_s,<class>,<class>,...`` (class names of
``bridge.instrument_vocabulary``; others are ignored) and one row per second,
its start time and the activity of each class (0/1, or a confidence that is
thresholded at 0.5). Multitrack sets with stem activations (MedleyDB) convert
to it by taking each second's maximum.

Activity is scored per 1-s instance and after max pooling over 5 s, 10 s and
the whole track; clip tagging on non-overlapping 10-s windows. The shipped ONNX graph (several networks
averaged where ``export instruments --ensemble`` made it) is scored beside the checkpoints of the run
folder. Each activity model (and the shipped graph) also hears the bundled held-out trio (piano, electric
bass, drums) as the live engine would, and the report ranks the classes by their mean activity; where
the test folder is that of a ``data instruments`` build, the same trio of every
test song is heard too, with its electric bass and with its double bass. Where
``export/musicnn_peer.py`` has run on the folders, the musicnn front end
(its heads) is scored the same way, and musicnn's own MTT tags are scored on
the instruments both vocabularies have, beside the CNN and the musicnn head.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import librosa
import numpy as np
import torch
from sklearn.metrics import label_ranking_average_precision_score, precision_recall_fscore_support, roc_auc_score
from tqdm import tqdm

from bridge.demo import DEMO_DATA
from bridge.features import INSTRUMENT_FEATURES, log_mel
from bridge.instrument_vocabulary import INSTRUMENT_NAMES, Families
from bridge.models import MODELS_DIR, load_manifest_entry, load_session, sigmoid
from export.data.audio_effects import dropouts
from export.data.multitrack import SAMPLE_RATE_HZ, TRIO_BASSES, read_activity_csv, trio_mix
from export.models.instruments import pooling_model
from export.musicnn_front import MUSICNN_INPUT, SHARED_CLASSES, merge_classes, musicnn_file, onnx_latency_ms, tag_scores
from export.train_instruments import FRAMES_PER_S, POOLING_MODELS, load_activity, pooling_path

LEVELS_S = (1, 5, 10)
CLIP_S = 10
TRIO = DEMO_DATA / "instruments_trio.wav"  # piano, electric bass and drums of a test song; the drums stop at 8 s
TRIO_SPAN_S = (2.0, 8.0)  # windows ending here hold all three
UPDATES_PER_S = 10  # as the live engine


def pool_seconds(values: np.ndarray, seconds: int | None) -> np.ndarray:
    """Max over consecutive blocks of ``seconds`` (None: the whole track), shape (blocks, classes)."""
    if seconds is None:
        return values.max(axis=0, keepdims=True)
    n = len(values) // seconds
    return values[: n * seconds].reshape(n, seconds, -1).max(axis=1)


def ranking_scores(truth: np.ndarray, scores: np.ndarray, names: tuple[str, ...] = INSTRUMENT_NAMES) -> dict[str, float]:
    """LRAP over rows with an active class, macro AUC over classes (columns ``names``) with both outcomes."""
    rows = truth.sum(axis=1) > 0
    aucs = {name: float(roc_auc_score(truth[:, c], scores[:, c])) for c, name in enumerate(names)
            if 0 < truth[:, c].sum() < len(truth)}
    return {"lrap": round(float(label_ranking_average_precision_score(truth[rows], scores[rows])), 4) if rows.any() else None,
            "auc_macro": round(float(np.mean(list(aucs.values()))), 4) if aucs else None,
            "auc": {k: round(v, 4) for k, v in aucs.items()}, "instances": int(len(truth))}


def pooled_scores(truths: list[np.ndarray], scores: list[np.ndarray], seconds: int | None,
                  names: tuple[str, ...] = INSTRUMENT_NAMES) -> dict:
    """``ranking_scores`` of per-track labels and scores, each max-pooled over ``seconds`` (None: the track)."""
    return ranking_scores(np.concatenate([pool_seconds(t, seconds) for t in truths]),
                          np.concatenate([pool_seconds(p, seconds) for p in scores]), names)


def family_scores(tracks, probabilities: list[np.ndarray]) -> dict:
    """``ranking_scores`` of the families (``/instrument/family_activity``: a family is active when one of its
    classes is, and its activity is the largest of theirs), per second and per track."""
    families = Families.of(INSTRUMENT_NAMES)
    truths = [families.activity(t[1]) for t in tracks]
    scores = [families.activity(p) for p in probabilities]
    return {level: pooled_scores(truths, scores, seconds, families.names) for level, seconds in (("1s", 1), ("track", None))}


def second_windows(frames: np.ndarray, seconds: int | None = None) -> np.ndarray:
    """The first ``seconds`` (default: every whole second) of log-mel ``frames`` as 1-s windows, shape (seconds,
    50, n_mels)."""
    seconds = len(frames) // FRAMES_PER_S if seconds is None else seconds
    return frames[: seconds * FRAMES_PER_S].reshape(seconds, FRAMES_PER_S, -1)


def read_tracks(folders: list[Path], dropouts_per_s: float | None = None) -> list[tuple[np.ndarray, np.ndarray, Path]]:
    """(features, labels, path) of every annotated WAV: 1-s windows, shape (seconds, 50, n_mels).

    With ``dropouts_per_s``, each track first gets that many dropouts a second (``audio_effects.dropouts``,
    seeded by the track's place in the list): the clicks of a live input that misses cycles.
    """
    tracks = []
    for folder in folders:
        for wav in tqdm(sorted(Path(folder).glob("*.wav")), desc=f"features {Path(folder).name}"):
            csv = wav.with_suffix(".csv")
            if not csv.exists():
                continue
            audio, rate = librosa.load(wav, sr=None, mono=True)
            if dropouts_per_s is not None:
                audio = dropouts(audio, np.random.default_rng([7, len(tracks)]), int(rate), dropouts_per_s)
            frames = log_mel(audio, int(rate), INSTRUMENT_FEATURES)
            labels = (read_activity_csv(csv) >= 0.5).astype(np.float32)
            seconds = min(len(labels), len(frames) // FRAMES_PER_S)
            tracks.append((second_windows(frames, seconds), labels[:seconds], wav))
    return tracks


def musicnn_tracks(tracks) -> tuple[list, list[np.ndarray], list[str]] | None:
    """The tracks with musicnn's embeddings as features, shape (seconds, 1, 753), and its tags (seconds, 50) and
    tag names; None unless the peer has run on every track."""
    if not tracks or not all(musicnn_file(wav).exists() for _, _, wav in tracks):
        return None
    embedded, tags = [], []
    for _, labels, wav in tracks:
        saved = np.load(musicnn_file(wav))
        seconds = min(len(labels), len(saved["embedding"]))
        embedded.append((saved["embedding"][:seconds, None].astype(np.float32), labels[:seconds], wav))
        tags.append(saved["tags"][:seconds])
    return embedded, tags, [str(t) for t in saved["tag_names"]]


def shared_class_report(truths: list[np.ndarray], scores: dict[str, list[np.ndarray]]) -> dict:
    """ROC AUC per shared instrument, at 1 s and track level, for each method's per-track scores (seconds, shared)."""
    report: dict = {}
    for method, per_track in scores.items():
        report[method] = {}
        for level, seconds in (("1s", 1), ("track", None)):
            truth = np.concatenate([pool_seconds(t, seconds) for t in truths])
            score = np.concatenate([pool_seconds(p, seconds) for p in per_track])
            report[method][level] = {name: round(float(roc_auc_score(truth[:, k], score[:, k])), 4)
                                     for k, name in enumerate(SHARED_CLASSES) if 0 < truth[:, k].sum() < len(truth)}
    return report


def front_end_latency(runs: Path) -> dict:
    """One 1-s window through the shipped activity graph and through musicnn's ONNX port, one thread each."""
    entry = load_manifest_entry("instruments")
    latency = {"shipped": onnx_latency_ms(MODELS_DIR / entry["files"]["activity"],
                                      np.zeros((1, FRAMES_PER_S, INSTRUMENT_FEATURES.n_mels), np.float32))}
    if (runs / "musicnn.onnx").exists():
        latency["musicnn"] = onnx_latency_ms(runs / "musicnn.onnx", np.zeros((1, *MUSICNN_INPUT), np.float32))
    return latency


def activity_report(model: torch.nn.Module, tracks) -> tuple[dict, list[np.ndarray], list[np.ndarray]]:
    """Scores at 1 s, 5 s, 10 s and track level; per-track probabilities and embeddings."""
    probabilities, embeddings = [], []
    with torch.no_grad():
        for windows, _, _ in tracks:
            logits, embedding = model(torch.from_numpy(windows.astype(np.float32)))
            probabilities.append(torch.sigmoid(logits).numpy())
            embeddings.append(embedding.numpy())
    return level_scores(tracks, probabilities), probabilities, embeddings


def level_scores(tracks, probabilities: list[np.ndarray]) -> dict:
    """Scores of per-track probabilities at 1 s, 5 s, 10 s and track level, and the false activity per second."""
    truths = [t[1] for t in tracks]
    report = {"track" if seconds is None else f"{seconds}s": pooled_scores(truths, probabilities, seconds)
              for seconds in (*LEVELS_S, None)}
    truth, scores = np.concatenate(truths), np.concatenate(probabilities)
    report["1s"]["false_on"] = false_on(truth, scores)
    return report


def span_windows(audio: np.ndarray, rate: int) -> np.ndarray:
    """The 1-s windows of a trio that end within its 2-8 s, one every 0.1 s as the live engine updates."""
    frames = log_mel(audio, rate, INSTRUMENT_FEATURES)
    ends = [end for end in range(FRAMES_PER_S, len(frames) + 1, FRAMES_PER_S // UPDATES_PER_S)
            if TRIO_SPAN_S[0] <= end / FRAMES_PER_S < TRIO_SPAN_S[1]]
    return np.stack([frames[end - FRAMES_PER_S:end] for end in ends])


def trio_windows() -> np.ndarray:
    """``span_windows`` of the bundled trio."""
    audio, rate = librosa.load(TRIO, sr=None, mono=True)
    return span_windows(audio, int(rate))


def held_out_trios(stems_path: Path) -> dict[str, list[np.ndarray]]:
    """``span_windows`` of the trio of every song of a ``stems_test.npz`` (``trio_mix``), per bass of
    ``TRIO_BASSES``: the bundled trio's check over all the held-out songs."""
    stems = np.load(stems_path)["stems"]
    return {bass: [span_windows(trio_mix(song, bass)[0], SAMPLE_RATE_HZ) for song in stems] for bass in TRIO_BASSES}


Probabilities = Callable[[np.ndarray], np.ndarray]  # 1-s windows (N, frames, mels) to activity (N, classes)


def checkpoint_probabilities(model: torch.nn.Module) -> Probabilities:
    """An activity checkpoint's probabilities of a batch of windows."""
    def probabilities(windows: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.sigmoid(model(torch.from_numpy(windows))[0]).numpy()
    return probabilities


def graph_probabilities(model_path: Path, batch: int = 512) -> Probabilities:
    """An ONNX activity graph's probabilities of a batch of windows, run by onnxruntime ``batch`` at a time."""
    session = load_session(model_path, "cpu")

    def probabilities(windows: np.ndarray) -> np.ndarray:
        logits = [session.run(None, {"windows": windows[i:i + batch].astype(np.float32)})[0]
                  for i in range(0, len(windows), batch)]
        return sigmoid(np.concatenate(logits))
    return probabilities


def shipped_probabilities() -> Probabilities:
    """The probabilities of the activity graph that ships in ``models_onnx``, as the live engine runs it."""
    return graph_probabilities(MODELS_DIR / load_manifest_entry("instruments")["files"]["activity"])


def trio_report(probabilities: Probabilities, windows: np.ndarray, bass: str = "electric_bass") -> dict:
    """Mean activity of every class over a trio's ``span_windows``, highest first, and the rank of each of the
    trio's instruments (the issue asks for the top three)."""
    mean = probabilities(windows).mean(axis=0)
    order = [INSTRUMENT_NAMES[i] for i in np.argsort(-mean)]
    return {"mean_activity": {name: round(float(mean[INSTRUMENT_NAMES.index(name)]), 3) for name in order},
            "rank": {name: order.index(name) + 1 for name in ("piano", bass, "drums")}}


def trios_report(probabilities: Probabilities, trios: dict[str, list[np.ndarray]]) -> dict:
    """Per bass of ``held_out_trios``: how many trios have their three instruments as the three most active
    classes, how many do with the two bass classes taken as one (their higher mean activity), and the
    piano's rank in each."""
    report = {}
    for bass, songs in trios.items():
        ranks = [trio_report(probabilities, windows, bass) for windows in songs]
        as_one = []
        for trio in ranks:
            activity = dict(trio["mean_activity"])
            activity["bass"] = max(activity.pop(name) for name in TRIO_BASSES)
            order = sorted(activity, key=activity.get, reverse=True)
            as_one.append(set(order[:3]) == {"piano", "bass", "drums"})
        report[bass] = {"trios": len(ranks), "top_three": sum(max(t["rank"].values()) == 3 for t in ranks),
                        "top_three_basses_as_one": sum(as_one), "piano_ranks": [t["rank"]["piano"] for t in ranks]}
    return report


def false_on(truth: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Per class, the share of the seconds it does not play in that it scores 0.5 or more: what a visual that
    follows the class shows by mistake."""
    silent = truth < 0.5
    return {name: round(float(np.mean(probabilities[silent[:, c], c] >= 0.5)), 4)
            for c, name in enumerate(INSTRUMENT_NAMES) if silent[:, c].any()}


def clips(tracks, embeddings: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping 10-s clips: instance embeddings (clips, 10, 128) and clip labels (clips, classes)."""
    xs, ys = [], []
    for (_, labels, _), embedding in zip(tracks, embeddings):
        for start in range(0, len(labels) - CLIP_S + 1, CLIP_S):
            xs.append(embedding[start:start + CLIP_S])
            ys.append(labels[start:start + CLIP_S].max(axis=0))
    return np.stack(xs), np.stack(ys)


def tagging_scores(truth: np.ndarray, probabilities: np.ndarray) -> dict:
    """Per-class precision, recall and F1 at 0.5, their macro means, and the ranking scores."""
    predicted = probabilities >= 0.5
    p, r, f, support = precision_recall_fscore_support(truth, predicted, average=None, zero_division=0)
    per_class = {name: {"p": round(float(p[c]), 4), "r": round(float(r[c]), 4), "f1": round(float(f[c]), 4),
                        "clips": int(support[c])} for c, name in enumerate(INSTRUMENT_NAMES) if support[c]}
    present = [c for c in range(len(INSTRUMENT_NAMES)) if support[c]]
    return {"f1_macro": round(float(np.mean(f[present])), 4), "p_macro": round(float(np.mean(p[present])), 4),
            "r_macro": round(float(np.mean(r[present])), 4), **ranking_scores(truth, probabilities), "classes": per_class}


def tagging_report(pooling: dict, x: np.ndarray, y: np.ndarray) -> tuple[dict, np.ndarray]:
    """Every pooling head and the random forest on the clips; also the attention weights (clips, classes, 10)."""
    report, attention = {}, None
    for name in POOLING_MODELS:
        model = pooling_model(name, len(INSTRUMENT_NAMES))
        model.load_state_dict(pooling["heads"][name]["model"])
        model.eval()
        with torch.no_grad():
            logits, weights = model(torch.from_numpy(x))
        report[name] = tagging_scores(y, torch.sigmoid(logits).numpy())
        if weights is not None:
            attention = weights.numpy()
    forest = np.stack([p[:, 1] if p.shape[1] > 1 else np.zeros(len(x)) for p in pooling["forest"].predict_proba(x.mean(axis=1))], axis=1)
    report["random_forest"] = tagging_scores(y, forest)
    return report, attention


def confusion(truth: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Row i, column j: of the instances with a false positive of class i, the share with a false negative of j."""
    predicted = probabilities >= 0.5
    false_positive = predicted & (truth < 0.5)
    false_negative = ~predicted & (truth >= 0.5)
    matrix = np.zeros((truth.shape[1], truth.shape[1]))
    for i in range(truth.shape[1]):
        rows = false_positive[:, i]
        if rows.any():
            matrix[i] = false_negative[rows].mean(axis=0)
    return matrix


def tagging_section(runs: Path, front_end: str, tracks, embeddings: list[np.ndarray]
                    ) -> tuple[dict, np.ndarray, np.ndarray] | None:
    """Clip tagging by the pooling heads on ``front_end``'s embeddings, the attention weights and the clip labels;
    None when the heads are not trained."""
    path = pooling_path(runs, front_end)
    if not path.exists():
        return None
    x, y = clips(tracks, embeddings)
    report, attention = tagging_report(torch.load(path, weights_only=False), x, y)
    report["clips"] = int(len(x))
    return report, attention, y


def evaluate(folders: list[Path], runs: Path, figures: Path | None = None, dropouts_per_s: float | None = None,
             trio_stems: Path | None = None) -> dict:
    """The full report; with ``figures``, also the confusion and attention PNGs there. With ``dropouts_per_s``,
    on the tracks with that many dropouts a second, and without musicnn (its files hold the clean tracks). With
    ``trio_stems`` (a ``stems_test.npz``), the trios of every held-out song too (``held_out_trios``)."""
    tracks = read_tracks(folders, dropouts_per_s)
    report: dict = {"tracks": len(tracks), "seconds": int(sum(len(t[1]) for t in tracks)), "activity": {},
                    "dropouts_per_s": dropouts_per_s}
    outputs = {}
    trio = trio_windows()
    trios = held_out_trios(trio_stems) if trio_stems is not None else None
    for kind in ("fc", "cnn", "crnn"):
        path = runs / f"activity_{kind}.pt"
        if path.exists():
            model = load_activity(path)
            report["activity"][kind], probabilities, embeddings = activity_report(model, tracks)
            heard = checkpoint_probabilities(model)
            report.setdefault("trio", {})[kind] = trio_report(heard, trio)
            if trios is not None:
                report.setdefault("trios", {})[kind] = trios_report(heard, trios)
            outputs[kind] = (probabilities, embeddings)
    shipped = shipped_probabilities()  # the graph the live engine runs, beside the checkpoints of ``runs``
    shipped_tracks = [shipped(windows) for windows, _, _ in tracks]
    report["activity"]["shipped"] = level_scores(tracks, shipped_tracks)
    report["families"] = {"shipped": family_scores(tracks, shipped_tracks)}
    report.setdefault("trio", {})["shipped"] = trio_report(shipped, trio)
    if trios is not None:
        report.setdefault("trios", {})["shipped"] = trios_report(shipped, trios)
    if "cnn" in outputs and (tagging := tagging_section(runs, "cnn", tracks, outputs["cnn"][1])):
        report["tagging"], attention, clip_labels = tagging
        if figures is not None:
            from export.figures_instruments import attention_figure, confusion_figure

            truth = np.concatenate([t[1] for t in tracks])
            confusion_figure(confusion(truth, np.concatenate(outputs["cnn"][0])), figures / "instruments_confusion.png")
            attention_figure(attention, clip_labels, figures / "instruments_attention.png")
    musicnn = musicnn_tracks(tracks) if dropouts_per_s is None else None
    if musicnn is not None:
        embedded, tags, tag_names = musicnn
        scores = {"musicnn MTT tags": [tag_scores(t, tag_names) for t in tags]}
        if "cnn" in outputs:
            scores["cnn"] = [merge_classes(p[:len(t)]) for p, t in zip(outputs["cnn"][0], tags)]
        scores["shipped"] = [merge_classes(p[:len(t)]) for p, t in zip(shipped_tracks, tags)]
        if (runs / "activity_musicnn.pt").exists():
            report["activity"]["musicnn"], probabilities, embeddings = activity_report(
                load_activity(runs / "activity_musicnn.pt"), embedded)
            scores["musicnn head"] = [merge_classes(p) for p in probabilities]
            if tagging := tagging_section(runs, "musicnn", embedded, embeddings):
                report["tagging_musicnn"] = tagging[0]
        report["shared_classes"] = shared_class_report([merge_classes(t[1]) for t in embedded], scores)
    report["front_end_latency"] = front_end_latency(runs)
    return report


def per_class_tagging_table(methods: dict[str, dict], front_end: str) -> list[str]:
    """Markdown rows: per class, the clips it plays in, the first method's (the attention head's) precision and
    recall, and every method's F1 (as the 2019 paper reports them)."""
    first = next(iter(methods))
    lines = [f"| 10-s clip tagging per class, {front_end} embeddings | clips | {first} P | {first} R | "
             + " | ".join(f"{name} F1" for name in methods) + " |", "|---|" + "---|" * (len(methods) + 3)]
    for name, scores in methods[first]["classes"].items():
        f1 = [f"{methods[m]['classes'][name]['f1']:.3f}" if name in methods[m]["classes"] else "" for m in methods]
        lines.append(f"| {name} | {scores['clips']} | {scores['p']:.3f} | {scores['r']:.3f} | " + " | ".join(f1) + " |")
    return lines


def markdown_tables(report: dict) -> str:
    lines = ["| activity model | LRAP 1 s | AUC 1 s | LRAP 5 s | AUC 5 s | LRAP 10 s | AUC 10 s | LRAP track | AUC track |",
             "|---|---|---|---|---|---|---|---|---|"]
    for kind, levels in report["activity"].items():
        cells = [f"{levels[k]['lrap']:.3f} | {levels[k]['auc_macro']:.3f}" for k in ("1s", "5s", "10s", "track")]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    for kind, levels in report.get("families", {}).items():
        names = list(levels["1s"]["auc"])
        lines += ["", "| families, ROC AUC | " + " | ".join(names) + " | macro |", "|---|" + "---|" * (len(names) + 1)]
        for level in ("1s", "track"):
            aucs = [levels[level]["auc"].get(name, float("nan")) for name in names]
            lines.append(f"| {kind}, {level.replace('1s', '1 s')} | " + " | ".join(f"{v:.3f}" for v in aucs)
                         + f" | {levels[level]['auc_macro']:.3f} |")
    for key, front_end in (("tagging", "CNN"), ("tagging_musicnn", "musicnn")):
        if key in report:
            lines += ["", f"| 10-s clip tagging, {front_end} embeddings | F1 (macro) | precision | recall | AUC | LRAP |",
                      "|---|---|---|---|---|---|"]
            methods = {name: scores for name, scores in report[key].items() if isinstance(scores, dict)}  # not "clips"
            for name, scores in methods.items():
                lines.append(f"| {name} | {scores['f1_macro']:.3f} | {scores['p_macro']:.3f} | {scores['r_macro']:.3f} | "
                             f"{scores['auc_macro']:.3f} | {scores['lrap']:.3f} |")
            lines += ["", *per_class_tagging_table(methods, front_end)]
    if "shared_classes" in report:
        methods = report["shared_classes"]
        for level in ("1s", "track"):
            names = list(next(iter(methods.values()))[level])
            lines += ["", f"| ROC AUC, {level.replace('1s', '1 s')} | " + " | ".join(names) + " | mean |",
                      "|---|" + "---|" * (len(names) + 1)]
            for method, levels in methods.items():
                values = [levels[level].get(n, float("nan")) for n in names]
                lines.append(f"| {method} | " + " | ".join(f"{v:.3f}" for v in values) + f" | {np.nanmean(values):.3f} |")
    if "trio" in report:
        lines += ["", "| bundled trio, mean activity 2-8 s | 1st | 2nd | 3rd | 4th | 5th | ranks of piano, electric bass, drums |",
                  "|---|---|---|---|---|---|---|"]
        for kind, trio in report["trio"].items():
            top = [f"{name} {value:.2f}" for name, value in list(trio["mean_activity"].items())[:5]]
            lines.append(f"| {kind} | " + " | ".join(top) + " | " + ", ".join(str(r) for r in trio["rank"].values()) + " |")
    if "trios" in report:
        lines += ["", "| held-out trios: piano, bass and drums of each test song | bass | trios | those three the most "
                  "active | the same, the two basses as one | piano's ranks |", "|---|---|---|---|---|---|"]
        for kind, per_bass in report["trios"].items():
            lines += [f"| {kind} | {bass} | {r['trios']} | {r['top_three']} | {r['top_three_basses_as_one']} | "
                      + " ".join(str(rank) for rank in r["piano_ranks"]) + " |" for bass, r in per_bass.items()]
    if "front_end_latency" in report:
        lines += ["", "| one 1-s window, one thread | p50 ms | p99 ms |", "|---|---|---|"]
        lines += [f"| {name} | {v['p50_ms']:.2f} | {v['p99_ms']:.2f} |" for name, v in report["front_end_latency"].items()]
    return "\n".join(lines) + "\n"
