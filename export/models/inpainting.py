"""Bar-by-bar inpainting: MeasureVAE, LatentRNN and an AnticipationRNN-style baseline.

After Pati, Lerch & Hadjeres, "Learning to Traverse Latent Spaces for Musical
Score Inpainting" (ISMIR 2019), sized for live use. Shapes: ``B`` batch, ``T``
ticks in a bar (24), ``V`` vocabulary (``bridge.score.VOCAB_SIZE``), ``Z``
latent size, ``P``/``F``/``G`` past, future and gap bars.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from bridge.score import REST, TICKS_PER_BEAT, VOCAB_SIZE

BAR_TICKS = 24
BEATS = BAR_TICKS // TICKS_PER_BEAT
MAX_GAP_BARS = 4


@dataclass(frozen=True)
class VaeSize:
    embedding: int = 16
    hidden: int = 128
    latent: int = 32


class MeasureVAE(nn.Module):
    """One bar <-> one latent vector.

    Encoder: token embedding, 2-layer bidirectional GRU, linear to mean and
    log-variance. Decoder: a beat GRU unrolls the latent into one state a beat,
    a tick GRU then emits the beat's tokens one by one, fed its previous token;
    each beat starts it from the beat's state merged with where the previous
    beat left it, so the tokens already emitted in the bar reach every later beat.
    In training, some of the fed tokens (``input_dropout``: a quarter in
    ``export.train_inpaint``) are replaced by ``UNKNOWN`` so that the decoder
    must read the latent instead of copying the last token (without it, the
    posterior collapses).
    """

    UNKNOWN = VOCAB_SIZE

    def __init__(self, size: VaeSize = VaeSize()) -> None:
        super().__init__()
        self.size = size
        self.embed = nn.Embedding(VOCAB_SIZE + 1, size.embedding)  # + UNKNOWN, for input dropout
        self.encoder = nn.GRU(size.embedding, size.hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.to_stats = nn.Linear(4 * size.hidden, 2 * size.latent)
        self.beat_rnn = nn.GRU(size.latent, size.hidden, batch_first=True)
        self.beat_init = nn.Linear(size.latent, size.hidden)
        self.tick_rnn = nn.GRUCell(size.embedding + size.hidden, size.hidden)
        self.beat_merge = nn.Linear(2 * size.hidden, size.hidden)
        self.to_logits = nn.Linear(size.hidden, VOCAB_SIZE)

    def encode(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, T)`` tokens -> mean and log-variance ``(B, Z)``."""
        _, hidden = self.encoder(self.embed(tokens))
        mean, log_var = self.to_stats(hidden.permute(1, 0, 2).reshape(tokens.shape[0], -1)).chunk(2, dim=-1)
        return mean, log_var

    def _beats(self, z: torch.Tensor) -> torch.Tensor:
        beat_inputs = z.unsqueeze(1).expand(-1, BEATS, -1).contiguous()
        beats, _ = self.beat_rnn(beat_inputs, torch.tanh(self.beat_init(z)).unsqueeze(0))
        return beats  # (B, BEATS, H)

    def decode(self, z: torch.Tensor, target: torch.Tensor | None = None,
               noise: torch.Tensor | None = None, input_dropout: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
        """Latents ``(B, Z)`` -> logits ``(B, T, V)`` and tokens ``(B, T)``.

        With ``target`` the previous true token is fed back (teacher forcing);
        otherwise the emitted one, chosen as ``argmax(logits + noise)``: Gumbel
        noise samples, zeros decode greedily. ``noise`` is ``(B, T, V)``.
        """
        beats = self._beats(z)
        batch = z.shape[0]
        previous = torch.full((batch,), REST, dtype=torch.long, device=z.device)
        state = torch.zeros(batch, self.size.hidden, device=z.device)
        logits_out, tokens_out = [], []
        for tick in range(BAR_TICKS):
            beat = beats[:, tick // TICKS_PER_BEAT]
            if tick % TICKS_PER_BEAT == 0:
                state = torch.tanh(self.beat_merge(torch.cat([beat, state], dim=-1)))
            state = self.tick_rnn(torch.cat([self.embed(previous), beat], dim=-1), state)
            logits = self.to_logits(state)
            chosen = torch.argmax(logits + noise[:, tick] if noise is not None else logits, dim=-1)
            logits_out.append(logits)
            tokens_out.append(chosen)
            previous = target[:, tick] if target is not None else chosen
            if input_dropout > 0:
                dropped = torch.rand(batch, device=z.device) < input_dropout
                previous = torch.where(dropped, torch.full_like(previous, self.UNKNOWN), previous)
        return torch.stack(logits_out, dim=1), torch.stack(tokens_out, dim=1)

    def forward(self, tokens: torch.Tensor, input_dropout: float = 0.0, latent_mix: float = 0.0,
                latent_mix_max: float = 0.75) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Training pass: logits (teacher forced), mean, log-variance and the sampled latent.

        In training, a share ``latent_mix`` of the bars is decoded from its latent blended with another
        bar's (weight up to ``latent_mix_max``, no gradient into the encoder): a latent predicted from
        context is such a blend, and the decoder learns to correct it from the tokens it is fed.
        """
        mean, log_var = self.encode(tokens)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * log_var)
        decoded = z
        if self.training and latent_mix > 0:
            rows = tokens.shape[0]
            weight = torch.rand(rows, 1, device=z.device) * latent_mix_max
            blended = (1 - weight) * z.detach() + weight * z.detach()[torch.randperm(rows, device=z.device)]
            decoded = torch.where(torch.rand(rows, 1, device=z.device) < latent_mix, blended, z)
        logits, _ = self.decode(decoded, target=tokens, input_dropout=input_dropout if self.training else 0.0)
        return logits, mean, log_var, z


@dataclass(frozen=True)
class LatentRnnSize:
    hidden: int = 256
    attention: int = 64


MAX_BAR_OFFSET = 12  # context bars further from a gap bar than this share the outermost offset embedding


class LatentRNN(nn.Module):
    """Latent sequence model: past and future bars' latents in, the gap's latents out.

    A GRU reads the past latents forwards, another the future latents
    backwards; their final states start a generator GRU that emits one latent
    per gap bar, fed its previous output. Each emitted latent mixes a new one
    with a copy, under a learnt gate: attention over the context bars'
    latents, keyed by their content and by their distance in bars from the gap
    bar (folk tunes repeat bars, most often four or eight bars apart), picks
    what to copy.
    """

    def __init__(self, latent: int, size: LatentRnnSize = LatentRnnSize()) -> None:
        super().__init__()
        self.size = size
        self.latent = latent
        self.past_rnn = nn.GRU(latent, size.hidden, batch_first=True)
        self.future_rnn = nn.GRU(latent, size.hidden, batch_first=True)
        self.join = nn.Linear(2 * size.hidden, size.hidden)
        self.generator = nn.GRUCell(latent, size.hidden)
        self.to_latent = nn.Linear(size.hidden, latent)
        self.key = nn.Linear(latent, size.attention)
        self.offset_key = nn.Embedding(2 * MAX_BAR_OFFSET + 1, size.attention)
        self.offset_bias = nn.Embedding(2 * MAX_BAR_OFFSET + 1, 1)  # a prior over distances, learnt directly
        self.query = nn.Linear(size.hidden, size.attention)
        self.copy_gate = nn.Linear(size.hidden, 1)

    def forward(self, past: torch.Tensor, future: torch.Tensor, gap_bars: int | torch.Tensor = MAX_GAP_BARS,
                steps: int | None = None) -> torch.Tensor:
        """``(B, P, Z)`` and ``(B, F, Z)`` -> ``(B, steps, Z)``, the first ``gap_bars`` of them the gap's.

        ``steps`` defaults to ``gap_bars``; the ONNX graph always emits ``MAX_GAP_BARS`` and takes
        ``gap_bars`` as an input, which places the future bars.
        """
        _, past_state = self.past_rnn(past)
        _, future_state = self.future_rnn(torch.flip(future, dims=[1]))
        state = torch.tanh(self.join(torch.cat([past_state[0], future_state[0]], dim=-1)))
        context = torch.cat([past, future], dim=1)
        n_past = past.shape[1]
        bar_of_context = torch.cat([torch.arange(n_past, device=past.device),
                                    n_past + gap_bars + torch.arange(future.shape[1], device=past.device)])
        content_keys = self.key(context)
        previous = past[:, -1]
        out = []
        for step in range(steps or int(gap_bars)):
            state = self.generator(previous, state)
            offset = torch.clamp(bar_of_context - (n_past + step), -MAX_BAR_OFFSET, MAX_BAR_OFFSET) + MAX_BAR_OFFSET
            keys = content_keys + self.offset_key(offset)[None]
            scores = (torch.einsum("bca,ba->bc", keys, self.query(state)) / self.size.attention ** 0.5
                      + self.offset_bias(offset)[None, :, 0])
            copied = torch.einsum("bc,bcz->bz", torch.softmax(scores, dim=1), context)
            gate = torch.sigmoid(self.copy_gate(state))
            previous = gate * copied + (1 - gate) * self.to_latent(state)
            out.append(previous)
        return torch.stack(out, dim=1)


@dataclass(frozen=True)
class ArnnSize:
    embedding: int = 32
    hidden: int = 192


class AnticipationRNN(nn.Module):
    """Token-level baseline after Hadjeres & Nielsen's Anticipation-RNN.

    A backward GRU reads the constraints (the known tokens, and a "free"
    symbol in the gap); a forward GRU generates every tick from the previous
    token and the constraint summary of what lies ahead.
    """

    FREE = VOCAB_SIZE  # constraint symbol: this tick is to be generated

    def __init__(self, size: ArnnSize = ArnnSize()) -> None:
        super().__init__()
        self.size = size
        self.token_embed = nn.Embedding(VOCAB_SIZE + 1, size.embedding)  # + start symbol
        self.constraint_embed = nn.Embedding(VOCAB_SIZE + 1, size.embedding)
        self.constraint_rnn = nn.GRU(size.embedding, size.hidden, batch_first=True)
        self.token_rnn = nn.GRU(size.embedding + size.hidden, size.hidden, num_layers=2, batch_first=True)
        self.to_logits = nn.Linear(size.hidden, VOCAB_SIZE)

    def forward(self, previous: torch.Tensor, constraints: torch.Tensor) -> torch.Tensor:
        """``previous`` (tokens shifted right, start = VOCAB_SIZE) and ``constraints`` ``(B, L)`` -> logits ``(B, L, V)``."""
        ahead, _ = self.constraint_rnn(torch.flip(self.constraint_embed(constraints), dims=[1]))
        ahead = torch.flip(ahead, dims=[1])
        out, _ = self.token_rnn(torch.cat([self.token_embed(previous), ahead], dim=-1))
        return self.to_logits(out)

    @torch.no_grad()
    def generate(self, tokens: torch.Tensor, start: int, length: int) -> torch.Tensor:
        """Greedily fill ``tokens[:, start:start + length]`` given everything else; returns a copy."""
        tokens = tokens.clone()
        constraints = tokens.clone()
        constraints[:, start : start + length] = self.FREE
        ahead, _ = self.constraint_rnn(torch.flip(self.constraint_embed(constraints), dims=[1]))
        ahead = torch.flip(ahead, dims=[1])
        previous = torch.cat([torch.full_like(tokens[:, :1], VOCAB_SIZE), tokens[:, :-1]], dim=1)
        _, state = self.token_rnn(torch.cat([self.token_embed(previous[:, :start]), ahead[:, :start]], dim=-1))
        last = previous[:, start]
        for tick in range(start, start + length):
            step_input = torch.cat([self.token_embed(last), ahead[:, tick]], dim=-1).unsqueeze(1)
            out, state = self.token_rnn(step_input, state)
            last = self.to_logits(out[:, 0]).argmax(-1)
            tokens[:, tick] = last
        return tokens


# Sizes compared in the model card: "live" ships; "paper" is the ISMIR 2019 paper's (512-unit GRUs, 256-d latent).
SIZES = {
    "small": (VaeSize(embedding=16, hidden=64, latent=16), LatentRnnSize(hidden=128)),
    "live": (VaeSize(), LatentRnnSize()),
    "paper": (VaeSize(embedding=16, hidden=512, latent=256), LatentRnnSize(hidden=512)),
}


def size_dict(model: nn.Module) -> dict:
    """The size dataclass of a model, for checkpoints and model cards."""
    return asdict(model.size)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
