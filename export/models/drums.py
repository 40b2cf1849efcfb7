"""Causal CNN drum transcriber on log-mel frames, streamable frame by frame.

Every time convolution is causal and carries its own state: the last frames of
its input. Trained on whole chunks the state starts as zeros (exactly causal
zero padding); exported to ONNX the states are inputs and outputs, so the live
engine feeds each new frame once and the model never looks ahead.

Shapes: features (batch, frames, n_mels) -> logits (batch, frames, classes).
``CausalDrumCRNN`` adds a GRU over the frame embeddings, its hidden state one more state.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class StreamingConv2d(nn.Module):
    """Conv over (time, frequency): causal in time with a state of past frames, 'same' in frequency."""

    def __init__(self, channels_in: int, channels_out: int, dilation: int, n_freq: int, groups: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels_in, channels_out, (3, 3), dilation=(dilation, 1), padding=(0, 1), groups=groups)
        self.norm = nn.BatchNorm2d(channels_out)
        self.context = 2 * dilation
        self.state_shape = (channels_in, self.context, n_freq)

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        full = torch.cat((state, x), dim=2)  # (batch, channels, time, freq)
        return torch.relu(self.norm(self.conv(full))), full[:, :, -self.context:]


class StreamingConv1d(nn.Module):
    """Conv over time on frame embeddings, causal with a state."""

    def __init__(self, channels: int, dilation: int, groups: int = 1) -> None:
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, 3, dilation=dilation, groups=groups)
        self.context = 2 * dilation
        self.state_shape = (channels, self.context)

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        full = torch.cat((state, x), dim=2)  # (batch, channels, time)
        return torch.relu(self.conv(full)) + x, full[:, :, -self.context:]


def _through_blocks(blocks: nn.ModuleList, x: torch.Tensor, states: tuple[torch.Tensor, ...]
                    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The (time, mel) conv blocks, each followed by halving the mel axis; the output and the blocks' new states."""
    new_states = []
    for block, state in zip(blocks, states):
        x, new_state = block(x, state)
        new_states.append(new_state)
        x = nn.functional.max_pool2d(x, (1, 2))
    return x, new_states


class _StreamingStates(nn.Module):
    """The states of a network of ``blocks`` (``StreamingConv2d``) and a ``temporal`` ``StreamingConv1d``."""

    def state_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the states (without the batch axis), in the order ``forward`` takes them."""
        return [b.state_shape for b in self.blocks] + [self.temporal.state_shape]

    def initial_states(self, batch: int, device: torch.device | None = None) -> list[torch.Tensor]:
        return [torch.zeros((batch, *shape), device=device) for shape in self.state_shapes()]


class CausalDrumCNN(_StreamingStates):
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
        x, new_states = _through_blocks(self.blocks, x, states)
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


class DrumEnsemble(_StreamingStates):
    """Several trained ``CausalDrumCNN`` of one shape (seeds of one recipe) fused into one network whose logits
    are the mean of theirs.

    Each layer of the members becomes one grouped layer, a group per member, so that a frame costs about as many
    operator calls as one network (live, one frame per call, the calls are what cost). The states are the
    members' states side by side in channels: as many as one network has.

    Parameters
    ----------
    members : list of CausalDrumCNN
        Trained on the same features, classes and look-ahead; not CRNNs.
    """

    def __init__(self, members: list[CausalDrumCNN]) -> None:
        super().__init__()
        if any(type(m) is not CausalDrumCNN for m in members):
            raise ValueError("only causal CNNs can be fused (not the CRNN)")
        if any(m.state_shapes() != members[0].state_shapes() or m.head.out_features != members[0].head.out_features
               for m in members):
            raise ValueError("the networks differ in shape: they cannot be fused")
        groups = len(members)
        self.input_norms = nn.ModuleList(copy.deepcopy(m.input_norm) for m in members)
        self.blocks = nn.ModuleList()
        for layers in zip(*(m.blocks for m in members)):
            conv = layers[0].conv
            fused = StreamingConv2d(groups * conv.in_channels, groups * conv.out_channels, conv.dilation[0],
                                    layers[0].state_shape[2], groups)
            _stack_into(fused.conv, [layer.conv for layer in layers])
            _stack_into(fused.norm, [layer.norm for layer in layers])
            self.blocks.append(fused)
        embed = members[0].embed
        self.embed = nn.Conv1d(groups * embed.in_features, groups * embed.out_features, 1, groups=groups)
        _stack_into(self.embed, [m.embed for m in members])  # a grouped 1x1 convolution: a block-diagonal linear layer
        self.temporal = StreamingConv1d(groups * embed.out_features, members[0].temporal.conv.dilation[0], groups)
        _stack_into(self.temporal.conv, [m.temporal.conv for m in members])
        self.head = nn.Linear(groups * embed.out_features, members[0].head.out_features)
        self.head.weight.data = torch.cat([m.head.weight.data for m in members], dim=1) / groups
        self.head.bias.data = torch.stack([m.head.bias.data for m in members]).mean(dim=0)

    @property
    def input_norm(self) -> nn.BatchNorm1d:
        """The first member's input normalisation (it tells the mel count)."""
        return self.input_norms[0]

    def forward(self, features: torch.Tensor, *states: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The mean of the members' logits for every frame, and the states after the last frame."""
        if not states:
            states = tuple(self.initial_states(features.shape[0], features.device))
        mels = features.transpose(1, 2)
        x = torch.stack([norm(mels) for norm in self.input_norms], dim=1).transpose(2, 3)  # (batch, members, time, mel)
        x, new_states = _through_blocks(self.blocks, x, states)
        batch, channels, time, freq = x.shape
        x = torch.relu(self.embed(x.permute(0, 1, 3, 2).reshape(batch, channels * freq, time)))
        x, temporal_state = self.temporal(x, states[len(self.blocks)])
        return (self.head(x.transpose(1, 2)), *new_states, temporal_state)


def _stack_into(fused: nn.Module, layers: list[nn.Module]) -> None:
    """Copy the parameters and buffers of ``layers`` into ``fused``, one after the other along the output axis."""
    for name, tensor in [*fused.named_parameters(recurse=False), *fused.named_buffers(recurse=False)]:
        if tensor.ndim:  # not BatchNorm's batch counter
            tensor.data = torch.cat([getattr(layer, name).data for layer in layers]).reshape(tensor.shape)


def drum_model(n_mels: int, n_classes: int, width: int = 16, hidden: int = 128, recurrent: int = 0) -> CausalDrumCNN:
    """The CNN, or the CRNN where ``recurrent`` (GRU units) is above 0."""
    if recurrent:
        return CausalDrumCRNN(n_mels, n_classes, width, hidden, recurrent)
    return CausalDrumCNN(n_mels, n_classes, width, hidden)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
