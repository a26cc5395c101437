"""The ORN network: a MobileNetV2-style encoder and a linear head, built only from operators InferenceCore runs.

Exported ops: Conv (BatchNorm folded at export), Clip (ReLU6), Add, GlobalAveragePool, Flatten, Gemm, Slice/Split,
Sigmoid, Mul, Add. Outputs (all float32, batch-first):
  identity (K)          ICT identity coefficients (alpha ~ N(0, 1))
  expression (53)       ICT / ARKit blendshape weights, sigmoid in [0, 1]
  rotation6d (6)        the first two columns of the head rotation R (Zhou et al. 6-D), un-normalised:
                        Gram-Schmidt them (r1 = a/|a|, r2 = b - (r1.b) r1 normalised, r3 = r1 x r2)
  translation_scale (3) tx, ty (crop fraction, image axes) and scale (crop fraction per cm):
                        p = scale * (x, -y) of (R v) + (tx, ty)
  visibility (68)       probability that each of the 68 landmarks is visible (not occluded, inside the crop)
  face (1)              probability that the crop holds a face (occluded and profile faces included), against
                        background: lets the tracker confirm a weak detection and drop background the detector likes
"""
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class ModelConfig:
    K: int = 40
    width: float = 0.75
    input: int = 128
    feature: int = 512


def _c(ch, width):
    return max(8, int(round(ch * width / 8)) * 8)


class ConvBN(nn.Sequential):
    def __init__(self, cin, cout, k=3, stride=1, groups=1, act=True):
        layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        if act:
            layers.append(nn.ReLU6(inplace=True))
        super().__init__(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [] if expand == 1 else [ConvBN(cin, hidden, 1)]
        layers += [ConvBN(hidden, hidden, 3, stride, groups=hidden), ConvBN(hidden, cout, 1, act=False)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


# MobileNetV2 stages: (expansion, channels, repeats, stride)
STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class ORN(nn.Module):
    OUTPUTS = ("identity", "expression", "rotation6d", "translation_scale", "visibility", "face")

    def __init__(self, cfg: ModelConfig = ModelConfig()):
        super().__init__()
        self.cfg = cfg
        cin = _c(32, cfg.width)
        layers = [ConvBN(3, cin, 3, 2)]
        for t, c, n, s in STAGES:
            cout = _c(c, cfg.width)
            for i in range(n):
                layers.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        layers.append(ConvBN(cin, cfg.feature, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.sizes = [cfg.K, 53, 6, 3, 68, 1]
        self.head = nn.Linear(cfg.feature, sum(self.sizes))
        nn.init.zeros_(self.head.weight)
        with torch.no_grad():  # start at: mean identity, neutral expression, frontal, centred, typical size
            b = torch.zeros(sum(self.sizes))
            o = cfg.K
            b[o:o + 53] = -3.0
            b[o + 53:o + 59] = torch.tensor([1.0, 0, 0, 0, 1, 0])
            b[o + 62:] = 2.0  # visibility and face: start confident that landmarks are visible, that it is a face
            self.head.bias.copy_(b)
        self.register_buffer("ts_scale", torch.tensor([0.1, 0.1, 0.01]))
        self.register_buffer("ts_offset", torch.tensor([0.5, 0.5, 0.04]))

    def forward(self, x):
        f = torch.flatten(self.pool(self.features(x)), 1)
        identity, expr, rot, ts, vis, face = torch.split(self.head(f), self.sizes, dim=1)
        return (identity, torch.sigmoid(expr), rot, ts * self.ts_scale + self.ts_offset, torch.sigmoid(vis),
                torch.sigmoid(face))


def count_macs(model: ORN) -> int:
    """Multiply-accumulates of one forward pass at the model's input size (convolutions and the head)."""
    macs = 0

    def hook(m, inp, out):
        nonlocal macs
        if isinstance(m, nn.Conv2d):
            macs += out.numel() // out.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.Linear):
            macs += m.in_features * m.out_features

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    was = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, model.cfg.input, model.cfg.input))
    model.train(was)
    for h in hooks:
        h.remove()
    return macs


def rotation_from_6d(r6: torch.Tensor) -> torch.Tensor:
    """(B, 6) -> (B, 3, 3) by Gram-Schmidt; r6 holds the first two columns of R."""
    a, b = r6[:, :3], r6[:, 3:]
    r1 = a / a.norm(dim=1, keepdim=True).clamp_min(1e-6)
    b = b - (r1 * b).sum(1, keepdim=True) * r1
    r2 = b / b.norm(dim=1, keepdim=True).clamp_min(1e-6)
    r3 = torch.cross(r1, r2, dim=1)
    return torch.stack([r1, r2, r3], dim=2)


def rotation_to_6d(R: torch.Tensor) -> torch.Tensor:
    return torch.cat([R[:, :, 0], R[:, :, 1]], 1)
