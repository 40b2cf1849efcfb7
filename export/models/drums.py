"""Causal CNN drum transcriber on log-mel frames, streamable frame by frame.

Every time convolution is causal and carries its own state: the last frames of
its input. Trained on whole chunks the state starts as zeros (exactly causal
zero padding); exported to ONNX the states are inputs and outputs, so the live
engine feeds each new frame once and the model never looks ahead.

Shapes: features (batch, frames, n_mels) -> logits (batch, frames, classes).
``CausalDrumCRNN`` adds a GRU over the frame embeddings, its hidden state one more state.
"""

from __future__ import annotations

import torch
from torch import nn


class StreamingConv2d(nn.Module):
    """Conv over (time, frequency): causal in time with a state of past frames, 'same' in frequency."""

    def __init__(self, channels_in: int, channels_out: int, dilation: int, n_freq: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, (3, 3), dilation=(dilation, 1), padding=(0, 1))
        self.norm = nn.BatchNorm2d(channels_out)
        self.context = 2 * dilation
        self.state_shape = (channels_in, self.context, n_freq)

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        full = torch.cat((state, x), dim=2)  # (batch, channels, time, freq)
        return torch.relu(self.norm(self.conv(full))), full[:, :, -self.context:]


class StreamingConv1d(nn.Module):
    """Conv over time on frame embeddings, causal with a state."""

    def __init__(self, channels: int, dilation: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, dilation=dilation)
        self.context = 2 * dilation
        self.state_shape = (channels, self.context)

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        full = torch.cat((state, x), dim=2)  # (batch, channels, time)
        return torch.relu(self.conv(full)) + x, full[:, :, -self.context:]


class CausalDrumCNN(nn.Module):
    """Four causal conv blocks over (time, mel), each followed by halving the mel axis; a causal dilated conv over time, a linear head.

    Receptive field: 1 + 2 * (1 + 1 + 2 + 4 + 8) = 33 frames of past; the network sees no future frame (look-ahead
    comes from training it on later targets: ``export.train_drums``).

    Parameters
    ----------
    n_mels : int
        Mel bands of the input.
    n_classes : int
        Outputs (logits), one per drum class.
    width : int
        Channels of the first blocks (doubled later).
    """

    def __init__(self, n_mels: int = 80, n_classes: int = 6, width: int = 16, hidden: int = 128) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([
            StreamingConv2d(1, width, 1, n_mels),
            StreamingConv2d(width, width, 1, n_mels // 2),
            StreamingConv2d(width, 2 * width, 2, n_mels // 4),
            StreamingConv2d(2 * width, 2 * width, 4, n_mels // 8),
        ])
        self.embed = nn.Linear(2 * width * (n_mels // 16), hidden)
        self.temporal = StreamingConv1d(hidden, 8)
        self.head = nn.Linear(hidden, n_classes)
        self.input_norm = nn.BatchNorm1d(n_mels)

    def state_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the states (without the batch axis), in the order ``forward`` takes them."""
        return [b.state_shape for b in self.blocks] + [self.temporal.state_shape]

    def initial_states(self, batch: int, device: torch.device | None = None) -> list[torch.Tensor]:
        return [torch.zeros((batch, *shape), device=device) for shape in self.state_shapes()]

    def forward(self, features: torch.Tensor, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Logits for every frame, and the states after the last frame.

        ``states`` default to zeros (the start of a stream).
        """
        if not states:
            states = tuple(self.initial_states(features.shape[0], features.device))
        x, new_states = self.frame_embeddings(features, states)
        return (self.head(x), *new_states)

    def frame_embeddings(self, features: torch.Tensor, states: tuple[torch.Tensor, ...]
                         ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The embedding of every frame (batch, frames, hidden) after the convolutions, and their new states."""
        x = self.input_norm(features.transpose(1, 2)).transpose(1, 2).unsqueeze(1)  # (batch, 1, time, mel)
        new_states = []
        for block, state in zip(self.blocks, states):
            x, new_state = block(x, state)
            new_states.append(new_state)
            x = nn.functional.max_pool2d(x, (1, 2))
        batch, channels, time, freq = x.shape
        x = torch.relu(self.embed(x.permute(0, 2, 1, 3).reshape(batch, time, channels * freq)))
        x, temporal_state = self.temporal(x.transpose(1, 2), states[len(self.blocks)])
        new_states.append(temporal_state)
        return x.transpose(1, 2), new_states


class CausalDrumCRNN(CausalDrumCNN):
    """The CNN's frame embeddings through a GRU before the head: causal context without a bound.

    The GRU's hidden state is one more streaming state, shape (batch, 1, recurrent).

    Parameters
    ----------
    recurrent : int
        Units of the GRU.
    """

    def __init__(self, n_mels: int = 80, n_classes: int = 6, width: int = 16, hidden: int = 128,
                 recurrent: int = 64) -> None:
        super().__init__(n_mels, n_classes, width, hidden)
        self.gru = nn.GRU(hidden, recurrent, batch_first=True)
        self.head = nn.Linear(recurrent, n_classes)

    def state_shapes(self) -> list[tuple[int, ...]]:
        return super().state_shapes() + [(1, self.gru.hidden_size)]

    def forward(self, features: torch.Tensor, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if not states:
            states = tuple(self.initial_states(features.shape[0], features.device))
        x, new_states = self.frame_embeddings(features, states[:-1])
        x, last = self.gru(x, states[-1].transpose(0, 1).contiguous())
        return (self.head(x), *new_states, last.transpose(0, 1))


class DrumEnsemble(nn.Module):
    """Several trained transcribers on the same frames as one streaming model: the mean of their logits.

    The states are the members' states in turn; ``input_norm`` is the first member's (its mel count).

    Parameters
    ----------
    members : list of CausalDrumCNN
        Trained on the same features, classes and look-ahead.
    """

    def __init__(self, members: list[CausalDrumCNN]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    @property
    def input_norm(self) -> nn.BatchNorm1d:
        return self.members[0].input_norm

    def state_shapes(self) -> list[tuple[int, ...]]:
        return [shape for member in self.members for shape in member.state_shapes()]

    def initial_states(self, batch: int, device: torch.device | None = None) -> list[torch.Tensor]:
        return [torch.zeros((batch, *shape), device=device) for shape in self.state_shapes()]

    def forward(self, features: torch.Tensor, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if not states:
            states = tuple(self.initial_states(features.shape[0], features.device))
        logits, new_states, start = [], [], 0
        for member in self.members:
            count = len(member.state_shapes())
            logit, *member_states = member(features, *states[start:start + count])
            logits.append(logit)
            new_states += member_states
            start += count
        return (torch.stack(logits).mean(dim=0), *new_states)


def drum_model(n_mels: int, n_classes: int, width: int = 16, hidden: int = 128, recurrent: int = 0) -> CausalDrumCNN:
    """The CNN, or the CRNN where ``recurrent`` (GRU units) is above 0."""
    if recurrent:
        return CausalDrumCRNN(n_mels, n_classes, width, hidden, recurrent)
    return CausalDrumCNN(n_mels, n_classes, width, hidden)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
