"""ONNX Runtime sessions: provider choice, quiet CPU fallback, clear errors for bad model files; and the
probabilities of the networks' logits.

onnxruntime-gpu lists the CUDA provider whether or not a GPU can be used, and
a session asked to use it on a machine without one fills the log with CUDA
errors. So the daemon asks the CUDA driver itself first, and only requests the
CUDA provider where a device answers.
"""

from __future__ import annotations

import ctypes
import json
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime as ort

log = logging.getLogger("bridge.models")

MODELS_DIR = Path(__file__).parents[1] / "models_onnx"
_QUIET = 3  # onnxruntime severity: errors and fatal only


class ModelUnavailable(RuntimeError):
    """A model file that is missing, unreadable or not a valid ONNX model."""


@lru_cache(maxsize=1)
def cuda_device_count() -> int:
    """CUDA devices the driver reports; 0 without a driver or a device."""
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


def choose_providers(setting: str = "auto") -> tuple[list[str], str]:
    """Execution providers for ``setting`` ("auto", "cpu", "cuda").

    Returns
    -------
    providers : list of str
        For ``InferenceSession``.
    note : str
        Why CUDA was not used although asked for ("" otherwise).
    """
    cpu = ["CPUExecutionProvider"]
    if setting == "cpu":
        return cpu, ""
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return cpu, "" if setting == "auto" else "this onnxruntime has no CUDA provider; using the CPU"
    if cuda_device_count() == 0:
        return cpu, "" if setting == "auto" else "no usable CUDA device; using the CPU"
    return ["CUDAExecutionProvider"] + cpu, ""


def models_directory(configured: str) -> Path:
    """The folder of the models: ``[models] dir`` of the config (``configured``), or the shipped ones where it is
    empty."""
    return Path(configured) if configured else MODELS_DIR


def load_manifest_entry(name: str, directory: Path = MODELS_DIR) -> dict:
    """The entry of model ``name`` in ``directory/manifest.json``.

    Raises
    ------
    KeyError
        No such model in the manifest.
    """
    manifest = json.loads((directory / "manifest.json").read_text())
    for entry in manifest["models"]:
        if entry["name"] == name:
            return entry
    raise KeyError(f"no model '{name}' in {directory / 'manifest.json'}")


def load_session(path: str | Path, setting: str = "auto", threads: int = 1) -> ort.InferenceSession:
    """Open an ONNX model for inference on one thread (the live budget is one core).

    Raises
    ------
    ModelUnavailable
        The file is missing or is not a model onnxruntime can load.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelUnavailable(f"model file {path} is missing")
    providers, note = choose_providers(setting)
    if note:
        log.warning("%s: %s", path.name, note)
    options = ort.SessionOptions()
    options.log_severity_level = _QUIET
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises several unrelated types for a bad file
        raise ModelUnavailable(f"model file {path} cannot be loaded: {str(exc).splitlines()[0]}") from exc


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Probabilities, 0-1, of a network's logits (the exported networks end before their sigmoid)."""
    return 1.0 / (1.0 + np.exp(-logits))
