"""Widening a trained ORN keeps its function, so a wider run starts where the narrow one ended."""
import pytest
import torch

from orn import widen
from orn.model import ORN, ModelConfig, count_macs


def trained_like(width: float, seed: int) -> ORN:
    """A narrow network with non-trivial weights and BatchNorm statistics (as training leaves them)."""
    torch.manual_seed(seed)
    model = ORN(ModelConfig(width=width))
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
        model.head.weight.normal_(0.0, 0.05)
    return model


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_the_widened_network_computes_what_the_narrow_one_did(mode):
    narrow = trained_like(0.75, seed=0)
    wide = ORN(ModelConfig(width=0.85))
    widen.widen_into(wide, narrow.state_dict())
    assert count_macs(wide) > 1.2 * count_macs(narrow)  # the widths really differ
    x = torch.randn(4, 3, 128, 128, generator=torch.Generator().manual_seed(1))
    for model in (narrow, wide):
        model.train(mode == "train")
    with torch.no_grad():
        for a, b in zip(narrow(x), wide(x)):
            assert (a - b).abs().max().item() < 1e-4 * max(1.0, a.abs().max().item())


def test_the_new_channels_learn():
    narrow = trained_like(0.75, seed=0)
    wide = ORN(ModelConfig(width=0.85))
    widen.widen_into(wide, narrow.state_dict())
    x = torch.randn(4, 3, 128, 128, generator=torch.Generator().manual_seed(2))
    sum(p.sum() for p in wide(x)).backward()
    stream_gate = wide.features[2].block[-1][1].weight  # the 24-channel stage: 16 stream channels at 0.75, 24 at 0.85
    assert stream_gate.shape[0] == 24
    assert stream_gate.grad[16:].abs().max().item() > 0.0  # switched-off stream channels get a gradient


def test_a_narrower_or_different_network_is_refused():
    wide = trained_like(0.85, seed=0)
    with pytest.raises(ValueError):
        widen.widen_into(ORN(ModelConfig(width=0.75)), wide.state_dict())
    with pytest.raises(ValueError):
        widen.widen_into(ORN(ModelConfig(width=0.85, K=20)), trained_like(0.75, seed=0).state_dict())
