"""The U-Net of docs/math.md#the-u-net in PyTorch, written from the spec alone: an independent reference for
Lethe's golden tests and speed comparisons. Parameter names match Lethe's checkpoints, so
`model.load_state_dict(weights)` takes a Lethe checkpoint's tensors (minus "train.*" keys)."""
import math

import torch
from torch import nn
import torch.nn.functional as F

CONFIGS = {
    "mnist-s": dict(in_ch=1, ch=32, ch_mult=(1, 2, 2), num_res_blocks=2, attn=(7,), dropout=0.1,
                    classes=10, resolution=28),
    "mnist-xs": dict(in_ch=1, ch=16, ch_mult=(1, 2), num_res_blocks=1, attn=(), dropout=0.0,
                     classes=10, resolution=28),
}


class Float32GroupNorm(nn.GroupNorm):
    """GroupNorm computed in fp32 whatever its input's dtype (a no-op in fp32). Under CPU bf16
    autocast the convolutions return bf16, and PyTorch 1.13's CPU autocast leaves group_norm out of
    its fp32 list (it then fails on fp32 weights); norms in fp32 is also Lethe's bf16 policy."""

    def forward(self, x):
        return super().forward(x.float())


def group_norm(channels):
    return Float32GroupNorm(min(channels // 4, 32), channels, eps=1e-6)


def sinusoid(labels, width):
    half = width // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=labels.dtype) / (half - 1))
    args = labels[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb_width, dropout):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb_proj = nn.Linear(emb_width, cout)
        self.norm2 = group_norm(cout)
        self.dropout = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb_proj(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        return (self.skip(x) if self.skip is not None else x) + h


class AttnBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.norm = group_norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = nn.Conv2d(channels, channels, 1)

    def forward(self, x):
        b, c, hgt, wid = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3 * c, hgt * wid).split(c, dim=1)
        w = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(c), dim=-1)
        return x + self.proj(torch.bmm(v, w.transpose(1, 2)).reshape(b, c, hgt, wid))


class Upsample(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class UNet(nn.Module):
    def __init__(self, in_ch, ch, ch_mult, num_res_blocks, attn, dropout, classes, resolution):
        super().__init__()
        self.ch = ch
        emb = 4 * ch
        self.time_embed = nn.Sequential(nn.Linear(ch, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.class_embed = nn.Embedding(classes + 1, emb) if classes > 0 else None
        self.conv_in = nn.Conv2d(in_ch, ch, 3, padding=1)
        self.down = nn.ModuleList()
        skips, channels = [ch], ch
        for i, mult in enumerate(ch_mult):
            level = nn.Module()
            level.res, level.attn = nn.ModuleList(), nn.ModuleList()
            for _ in range(num_res_blocks):
                level.res.append(ResBlock(channels, ch * mult, emb, dropout))
                channels = ch * mult
                if resolution >> i in attn:
                    level.attn.append(AttnBlock(channels))
                skips.append(channels)
            if i < len(ch_mult) - 1:
                level.downsample = nn.Conv2d(channels, channels, 3, stride=2, padding=1)
                skips.append(channels)
            self.down.append(level)
        self.mid = nn.Module()
        self.mid.res0 = ResBlock(channels, channels, emb, dropout)
        self.mid.attn = AttnBlock(channels)
        self.mid.res1 = ResBlock(channels, channels, emb, dropout)
        self.up = nn.ModuleList([None] * len(ch_mult))
        for i in reversed(range(len(ch_mult))):
            level = nn.Module()
            level.res, level.attn = nn.ModuleList(), nn.ModuleList()
            for _ in range(num_res_blocks + 1):
                level.res.append(ResBlock(channels + skips.pop(), ch * ch_mult[i], emb, dropout))
                channels = ch * ch_mult[i]
                if resolution >> i in attn:
                    level.attn.append(AttnBlock(channels))
            if i > 0:
                level.upsample = Upsample(channels)
            self.up[i] = level
        self.norm_out = group_norm(channels)
        self.conv_out = nn.Conv2d(channels, in_ch, 3, padding=1)
        self.levels = len(ch_mult)

    def forward(self, x, t, y=None):
        emb = self.time_embed(sinusoid(999 * t, self.ch))
        if self.class_embed is not None:
            emb = emb + self.class_embed(y)
        h = self.conv_in(x)
        hs = [h]
        for level in self.down:
            for j, block in enumerate(level.res):
                h = block(h, emb)
                if len(level.attn):
                    h = level.attn[j](h)
                hs.append(h)
            if hasattr(level, "downsample"):
                h = level.downsample(h)
                hs.append(h)
        h = self.mid.res1(self.mid.attn(self.mid.res0(h, emb)), emb)
        for i in reversed(range(self.levels)):
            level = self.up[i]
            for j, block in enumerate(level.res):
                h = block(torch.cat([h, hs.pop()], dim=1), emb)
                if len(level.attn):
                    h = level.attn[j](h)
            if hasattr(level, "upsample"):
                h = level.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def build(name):
    return UNet(**CONFIGS[name])
