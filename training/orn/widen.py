"""Start a wider ORN from a trained narrower one without changing what it computes (Net2WiderNet-style).

A wider network (larger `width`, same depth, input and head) gets every trained weight in the leading slice of its
own tensors. The channels it adds are made to change nothing at the start, in training and in eval mode alike:

- a new channel of the residual stream (an output of a block's last, linear convolution) is switched off by its
  BatchNorm: weight (gamma) 0 and bias 0, so it is exactly 0 whatever its convolution computes. Readers of the
  stream keep random weights on it, so gamma receives a gradient and the channel comes alive as training needs it;
- a new hidden channel of a block (expansion and depthwise convolutions, with ReLU6) computes freely, but the block's
  last convolution reads it with weight 0, so it contributes nothing until training moves that weight.

The rest (new rows of the first convolution's output, none at the widths we use) keeps the wider network's fresh
initialisation. `widen_into` checks that the two networks have the same layers and that each trained tensor fits.
"""
import torch
from torch import nn

from .model import ORN, InvertedResidual


def _linear_output_convolutions(model: ORN) -> set:
    """The convolutions whose output is a block's linear (no activation) result: the producers of the residual
    stream, and the readers of the blocks' hidden channels."""
    return {id(block.block[-1][0]) for block in model.features if isinstance(block, InvertedResidual)}


def widen_into(wide: ORN, narrow_state: dict) -> None:
    """Copy the trained state of a narrower ORN (`narrow_state`, a `state_dict`) into `wide`, in place, so that
    `wide` computes the same outputs as the narrow network did."""
    linear_outputs = _linear_output_convolutions(wide)
    modules = dict(wide.named_modules())
    wide_state = wide.state_dict()
    if set(wide_state) != set(narrow_state):
        missing = sorted(set(wide_state) ^ set(narrow_state))[:3]
        raise ValueError(f"the two networks have different layers (e.g. {missing})")
    with torch.no_grad():
        for name, target in wide_state.items():
            source = narrow_state[name]
            if source.dim() != target.dim() or any(s > t for s, t in zip(source.shape, target.shape)):
                raise ValueError(f"{name}: trained tensor {tuple(source.shape)} does not fit in {tuple(target.shape)}")
            module_name, _, field = name.rpartition(".")
            module = modules[module_name]
            if isinstance(module, nn.Conv2d) and id(module) in linear_outputs and module.groups == 1:
                target[:, source.shape[1]:] = 0.0  # new hidden channels are read with weight 0
            if isinstance(module, nn.BatchNorm2d) and field in ("weight", "bias"):
                convolution = modules[module_name.rpartition(".")[0] + ".0"]
                if id(convolution) in linear_outputs:
                    target[source.shape[0]:] = 0.0  # new stream channels are switched off
            target[tuple(slice(0, s) for s in source.shape)] = source  # in place: state_dict shares the storage
