"""Where shipped figures come from: the training commit and the JSON files commands wrote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path


def read_json(path: Path) -> dict:
    """The JSON object in ``path``, or {} when the command that writes it has not run."""
    return json.loads(path.read_text()) if path.exists() else {}


def git_commit() -> str:
    """The commit the models were trained and exported from."""
    run = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=Path(__file__).parent)
    return run.stdout.strip() or "unknown"


def parity_and_commit(entry: dict) -> list[str]:
    """The closing lines of a model card: the parity figures and the training commit of a manifest entry."""
    return ["## Parity", "", "```json", json.dumps(entry["parity"], indent=1), "```", "",
            f"Training commit: `{entry['training_commit']}`.", ""]
