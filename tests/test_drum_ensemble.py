"""Seeds of the drum CNN fused into one grouped network give the mean of their logits, streamed or not."""

import pytest
import torch

from export.models.drums import CausalDrumCNN, CausalDrumCRNN, DrumEnsemble


def _trained_looking(seed: int) -> CausalDrumCNN:
    """A CNN with random weights and random normalisation statistics, as training leaves them."""
    torch.manual_seed(seed)
    model = CausalDrumCNN(n_mels=32, width=4, hidden=16)
    for module in model.modules():
        if isinstance(module, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            module.running_mean.uniform_(-1, 1)
            module.running_var.uniform_(0.5, 2)
            module.weight.data.uniform_(0.5, 1.5)
    return model.eval()


def test_the_fused_network_gives_the_mean_of_the_members_logits_streamed_in_chunks():
    members = [_trained_looking(seed) for seed in range(3)]
    ensemble = DrumEnsemble(members).eval()
    assert len(ensemble.state_shapes()) == len(members[0].state_shapes())
    features = torch.randn(1, 40, 32)
    with torch.no_grad():
        expected = torch.stack([m(features)[0] for m in members]).mean(dim=0)
        first, *states = ensemble(features[:, :25])
        second, *_ = ensemble(features[:, 25:], *states)
    assert torch.allclose(torch.cat((first, second), dim=1), expected, atol=1e-5)


def test_networks_of_other_shapes_or_with_a_gru_are_refused():
    with pytest.raises(ValueError, match="differ in shape"):
        DrumEnsemble([_trained_looking(0), CausalDrumCNN(n_mels=32, width=8, hidden=16).eval()])
    with pytest.raises(ValueError, match="only causal CNNs"):
        DrumEnsemble([_trained_looking(0), CausalDrumCRNN(n_mels=32, width=4, hidden=16).eval()])
