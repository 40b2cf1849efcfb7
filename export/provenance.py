"""Where shipped figures come from: the training commit and the JSON files commands wrote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

BENCH_RESULTS = Path(__file__).parents[1] / "bench" / "results.json"  # `bridge bench -o bench/results.json`


def read_json(path: Path) -> dict:
    """The JSON object in ``path``, or {} when the command that writes it has not run."""
    return json.loads(path.read_text()) if path.exists() else {}


def git_commit() -> str:
    """The commit the models were trained and exported from."""
    run = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent)
    return run.stdout.strip() or "unknown"


def section_end(lines: list[str], start: int) -> int:
    """Where the part of a card that begins at line ``start`` ends: at the next ``## `` heading, or the card's end."""
    return next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))


def replace_section(card: Path, section: list[str], before: str | None = None) -> Path:
    """Rewrite one section of a model card in place and keep the rest as it is: the section whose heading is
    ``section``'s first line (``## Latency``), up to the next ``## `` heading. A card without it gets it just
    before the heading ``before``.

    Raises
    ------
    ValueError
        The card has no such section, and no heading ``before`` (or none is given).
    """
    lines = card.read_text().split("\n")
    heading = section[0]
    if heading in lines:
        start = lines.index(heading)
        end = section_end(lines, start)
    elif before is not None and before in lines:
        start = end = lines.index(before)
    else:
        raise ValueError(f"{card} has no '{heading}' section" + (f" and no '{before}' to put it before" if before else ""))
    card.write_text("\n".join(lines[:start] + section + ([""] if section[-1] else []) + lines[end:]))
    return card


def replace_history(card: Path, history: Path) -> Path:
    """Rewrite in place the part of a model card that is its hand-written ``history`` file, kept as written: from
    that file's first line (which must not change) up to the next ``## `` heading; the rest stays as it is.

    Raises
    ------
    ValueError
        The card does not hold the history's first line.
    """
    lines, written = card.read_text().split("\n"), history.read_text().rstrip().split("\n")
    if written[0] not in lines:
        raise ValueError(f"{card} does not hold {history.name}, whose first line is '{written[0][:60]}...'")
    start = lines.index(written[0])
    card.write_text("\n".join(lines[:start] + written + [""] + lines[section_end(lines, start):]))
    return card


def parity_and_commit(entry: dict) -> list[str]:
    """The closing lines of a model card: the parity figures and the training commit of a manifest entry."""
    return ["## Parity", "", "```json", json.dumps(entry["parity"], indent=1), "```", "",
            f"Training commit: `{entry['training_commit']}`.", ""]


def command_tail(config: dict, defaults: object, folder: Path, default_out: Path) -> str:
    """The end of a ``train`` command, read from a checkpoint's ``config`` (saved as strings): ``--seed``,
    ``--threads``, ``--width`` and ``--augment-shift-bands`` where they are not the defaults of ``defaults``, the
    training config class (threads: e.g. two seeds trained side by side, one thread each), ``--augment`` where it
    was on, and ``--out`` where ``folder`` is not ``default_out``."""
    words = " --augment" if config.get("augment") == "True" else ""
    for option in ("seed", "threads", "width", "augment_shift_bands"):
        default = str(getattr(defaults, option))
        if config.get(option, default) != default:
            words += f" --{option.replace('_', '-')} {config[option]}"
    return words + (f" --out {folder}" if folder != default_out else "")


def training_line(command: str, history: list[dict], note: str = "") -> str:
    """One bullet: the training ``command`` with the time and best validation loss of its ``history``."""
    best, seconds = min(history, key=lambda h: h["valid_loss"]), history[-1]["elapsed_s"]
    took = f"{seconds / 60:.0f} minutes" if seconds >= 60 else f"{seconds:.0f} seconds"
    return (f"- `python -m export {command}`: {took} on 2 CPU cores; best validation loss {best['valid_loss']:.4f} "
            f"at step {best['step']}{note}.")


def kept_lines(record_path: Path, written: dict[str, str], keys: list[str]) -> list[str]:
    """The lines of ``keys``: those just ``written`` from the run folders this machine has, else those that
    ``record_path`` kept from earlier cards (a run folder stays on the machine that trained it); ``record_path``
    then keeps them all."""
    record = {**read_json(record_path), **written}
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    return [record[key] for key in keys if key in record]
