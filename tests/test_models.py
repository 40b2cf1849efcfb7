"""ONNX sessions: quiet CPU fallback and clear errors for bad files."""

import subprocess
import sys

import numpy as np
import pytest

from bridge.models import ModelUnavailable, choose_providers, cuda_device_count, load_session

onnx = pytest.importorskip("onnx")


def _identity_model(path):
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "identity",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 4])],
    )
    # IR 8 goes with opset 17; a newer onnx writes a newer IR than older runtimes read
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), path)


def test_auto_uses_cuda_only_where_a_device_answers():
    providers, note = choose_providers("auto")
    assert providers[-1] == "CPUExecutionProvider" and note == ""
    assert ("CUDAExecutionProvider" in providers) == (cuda_device_count() > 0)


def test_a_session_loads_and_runs_without_a_word_on_stderr(tmp_path):
    model = tmp_path / "identity.onnx"
    _identity_model(model)
    code = (f"from bridge.models import load_session; import numpy as np; "
            f"s = load_session({str(model)!r}); print(s.run(None, {{'x': np.ones((1, 4), np.float32)}})[0].sum())")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == "4.0"
    assert run.stderr == "", run.stderr


def test_missing_and_corrupt_model_files_are_clear_errors(tmp_path):
    with pytest.raises(ModelUnavailable, match="missing"):
        load_session(tmp_path / "nope.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x08\x07 this is not a model" * 10)
    with pytest.raises(ModelUnavailable, match="cannot be loaded"):
        load_session(corrupt)
    model = tmp_path / "identity.onnx"
    _identity_model(model)
    session = load_session(model, "cpu")
    assert np.allclose(session.run(None, {"x": np.full((2, 4), 3.0, np.float32)})[0], 3.0)
