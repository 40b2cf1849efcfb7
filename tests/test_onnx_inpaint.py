"""ONNX export of the inpainting graphs matches PyTorch on real bars.

The shipped models are checked the same way when `python -m export export inpaint` writes them
(their figures are in the manifest and the model card); here a freshly built model goes through
the same export path, so the graphs' structure is tested on every run.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")
pytest.importorskip("music21")

from export.models.inpainting import LatentRNN, MeasureVAE  # noqa: E402
from export.onnx_inpaint import export_graphs, parity  # noqa: E402


def test_exported_encoder_decoder_and_latent_rnn_match_pytorch(tmp_path):
    from export.data.folk import parse_file
    from tests.test_folk_data import ABC

    abc = tmp_path / "t.abc"
    abc.write_text(ABC)
    tunes, _ = parse_file(str(abc), "t")
    bars = np.concatenate([t.tokens for t in tunes])[:12]
    torch.manual_seed(0)
    vae, latent_rnn = MeasureVAE(), LatentRNN(32)
    figures = parity(vae, latent_rnn, export_graphs(vae, latent_rnn, tmp_path / "onnx"), bars)
    assert figures["encoder_max_abs_diff"] < 1e-4
    assert figures["decoder_logits_max_abs_diff"] < 1e-4
    assert figures["latent_rnn_max_abs_diff"] < 1e-4
    assert figures["decoder_token_agreement"] == 1.0
