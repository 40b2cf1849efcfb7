"""Instrument activity on 1-s log-mel windows, and clip tagging by multiple-instance pooling.

Activity models (Gururani, Summers & Lerch, ISMIR 2018) take one second of
log-mel frames, shape (batch, 50, n_mels), and return per-class logits and a
128-d embedding; the musicnn head takes musicnn's embedding of the second
instead, shape (batch, 1, 753). Pooling models (Gururani, Sharma & Lerch, ISMIR 2019) take the
embeddings of ten 1-s instances, shape (batch, 10, 128), and return clip logits;
the attention model also returns its weights over the instances per class.
Seeds of an activity model can ship as one graph that averages their logits.
"""

from __future__ import annotations

import torch
from torch import nn

EMBEDDING = 128
CNN_WIDTH = 16  # channels of the activity CNN's first conv block, as shipped until a wider one joined


class FrameFC(nn.Module):
    """Fully connected on the window's mean and standard deviation per mel band."""

    def __init__(self, n_mels: int, n_classes: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(2 * n_mels, 256), nn.ReLU(), nn.Dropout(0.3), nn.Linear(256, EMBEDDING), nn.ReLU())
        self.head = nn.Linear(EMBEDDING, n_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.body(torch.cat((x.mean(dim=1), x.std(dim=1)), dim=1))
        return self.head(embedding), embedding


def _conv_block(channels_in: int, channels_out: int, pool: tuple[int, int]) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(channels_in, channels_out, 3, padding=1), nn.BatchNorm2d(channels_out), nn.ReLU(),
                         nn.MaxPool2d(pool))


class ActivityCNN(nn.Module):
    """Four conv blocks (``width``, 2, 4 and 4 times ``width`` channels: 16-32-64-64 by default; 2x2 pooling),
    global max and mean pooling, a 128-d embedding."""

    def __init__(self, n_mels: int, n_classes: int, width: int = CNN_WIDTH) -> None:
        super().__init__()
        self.width = width
        self.input_norm = nn.BatchNorm2d(1)
        self.blocks = nn.Sequential(_conv_block(1, width, (2, 2)), _conv_block(width, 2 * width, (2, 2)),
                                    _conv_block(2 * width, 4 * width, (2, 2)), _conv_block(4 * width, 4 * width, (2, 2)))
        self.embed = nn.Sequential(nn.Dropout(0.3), nn.Linear(8 * width, EMBEDDING), nn.ReLU())
        self.head = nn.Linear(EMBEDDING, n_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.blocks(self.input_norm(x.unsqueeze(1)))
        pooled = torch.cat((h.amax(dim=(2, 3)), h.mean(dim=(2, 3))), dim=1)
        embedding = self.embed(pooled)
        return self.head(embedding), embedding


class ActivityCRNN(nn.Module):
    """Three conv blocks pooling mostly frequency, a bidirectional GRU over the frames, mean over time."""

    def __init__(self, n_mels: int, n_classes: int) -> None:
        super().__init__()
        self.input_norm = nn.BatchNorm2d(1)
        self.blocks = nn.Sequential(_conv_block(1, 16, (2, 4)), _conv_block(16, 32, (2, 4)), _conv_block(32, 64, (1, 3)))
        self.gru = nn.GRU(64 * (n_mels // 48), 64, batch_first=True, bidirectional=True)
        self.embed = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, EMBEDDING), nn.ReLU())
        self.head = nn.Linear(EMBEDDING, n_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.blocks(self.input_norm(x.unsqueeze(1)))  # (batch, 64, time / 4, n_mels / 48)
        sequence, _ = self.gru(h.permute(0, 2, 1, 3).flatten(2))
        embedding = self.embed(sequence.mean(dim=1))
        return self.head(embedding), embedding


class EmbeddingHead(nn.Module):
    """Two dense layers on a pretrained front end's embedding of the second (musicnn's, 753-d), standardised
    with the training set's statistics (``set_input_statistics``)."""

    def __init__(self, n_inputs: int, n_classes: int) -> None:
        super().__init__()
        self.register_buffer("input_mean", torch.zeros(n_inputs))
        self.register_buffer("input_scale", torch.ones(n_inputs))
        self.body = nn.Sequential(nn.Dropout(0.3), nn.Linear(n_inputs, EMBEDDING), nn.ReLU())
        self.head = nn.Linear(EMBEDDING, n_classes)

    def set_input_statistics(self, inputs: torch.Tensor) -> None:
        """Standardise inputs by the mean and standard deviation of ``inputs`` (rows, n_inputs)."""
        self.input_mean.copy_(inputs.mean(dim=0))
        self.input_scale.copy_(1.0 / (inputs.std(dim=0) + 1e-6))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.body((x.flatten(1) - self.input_mean) * self.input_scale)
        return self.head(embedding), embedding


ACTIVITY_MODELS = {"fc": FrameFC, "cnn": ActivityCNN, "crnn": ActivityCRNN, "musicnn": EmbeddingHead}


class ActivityEnsemble(nn.Module):
    """Seeds of one activity model run as one: the mean of their logits, and the first member's embedding (the
    one the pooling heads were trained on)."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        outputs = [member(x) for member in self.members]
        return torch.stack([logits for logits, _ in outputs]).mean(dim=0), outputs[0][1]


class AttentionMIL(nn.Module):
    """Per-class attention over instances: weights ``softmax_i(w_c . tanh(V h_i))``, clip logit ``sum_i a_ic (u_c . h_i) + b_c``."""

    def __init__(self, n_classes: int, hidden: int = 64) -> None:
        super().__init__()
        self.attention = nn.Sequential(nn.Linear(EMBEDDING, hidden), nn.Tanh(), nn.Linear(hidden, n_classes))
        self.instance = nn.Linear(EMBEDDING, n_classes)

    def forward(self, embeddings: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = torch.softmax(self.attention(embeddings), dim=1)  # (batch, instances, classes)
        logits = (weights * self.instance(embeddings)).sum(dim=1)
        return logits, weights.transpose(1, 2)  # (batch, classes), (batch, classes, instances)


class PoolMIL(nn.Module):
    """Mean or max pooling of the instance embeddings, then a linear layer."""

    def __init__(self, n_classes: int, mode: str) -> None:
        super().__init__()
        self.mode = mode
        self.head = nn.Sequential(nn.Linear(EMBEDDING, 128), nn.ReLU(), nn.Linear(128, n_classes))

    def forward(self, embeddings: torch.Tensor) -> tuple[torch.Tensor, None]:
        pooled = embeddings.mean(dim=1) if self.mode == "mean" else embeddings.amax(dim=1)
        return self.head(pooled), None


class RnnMIL(nn.Module):
    """A GRU over the instances; the last state tags the clip."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.gru = nn.GRU(EMBEDDING, 128, batch_first=True)
        self.head = nn.Linear(128, n_classes)

    def forward(self, embeddings: torch.Tensor) -> tuple[torch.Tensor, None]:
        _, last = self.gru(embeddings)
        return self.head(last[-1]), None


def pooling_model(name: str, n_classes: int) -> nn.Module:
    return {"attention": lambda: AttentionMIL(n_classes), "mean": lambda: PoolMIL(n_classes, "mean"),
            "max": lambda: PoolMIL(n_classes, "max"), "rnn": lambda: RnnMIL(n_classes)}[name]()
