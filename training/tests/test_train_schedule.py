"""The trainer's learning-rate schedules and its running weight average (orn.train), on a small real network."""
import pytest
import torch

from orn import train


def test_learning_rate_warms_up_then_follows_the_schedule():
    cosine = train.load_config(None, lr=1e-3)
    constant = train.load_config(None, lr=1e-3, lr_schedule="constant")
    assert train.learning_rate(cosine, 0, 0.0) == pytest.approx(1e-5)
    assert train.learning_rate(cosine, 500, 0.5) == pytest.approx(5e-4)
    assert train.learning_rate(cosine, 500, 1.0) == pytest.approx(0.0)
    assert train.learning_rate(constant, 49, 0.3) == pytest.approx(5e-4)
    assert train.learning_rate(constant, 5000, 0.99) == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="lr_schedule"):
        train.learning_rate(train.load_config(None, lr_schedule="step"), 0, 0.0)


def network():
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))


def states(count):
    """`count` distinct network states, as the weights and BatchNorm statistics of a network after each step."""
    torch.manual_seed(0)
    net, out = network(), []
    for _ in range(count):
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p))
        net(torch.randn(2, 3, 6, 6))  # moves the running statistics and the batch counter
        out.append({k: v.clone() for k, v in net.state_dict().items()})
    return out


def averaged(decay, sequence, restart_after=None):
    net = network()
    average = None
    for i, state in enumerate(sequence):
        net.load_state_dict(state)
        if restart_after is not None and i == restart_after:
            average = train.WeightAverage(net, decay, average.state())  # as a resumed run rebuilds it
        average = average or train.WeightAverage(net, decay)
        average.update(net)
    return average


def test_equal_weight_average_is_the_mean_of_every_state_it_saw():
    sequence = states(5)
    average = averaged(0.0, sequence, restart_after=3)
    assert average.count == 5
    for key in ("0.weight", "1.running_mean", "1.running_var"):
        mean = torch.stack([s[key] for s in sequence]).mean(0)
        assert torch.allclose(average.average[key], mean, atol=1e-6), key
    assert int(average.average["1.num_batches_tracked"]) == int(sequence[-1]["1.num_batches_tracked"])


def test_exponential_average_weights_recent_states_by_its_decay():
    sequence = states(4)
    average = averaged(0.9, sequence)
    expected = sequence[0]["0.weight"].clone()
    for s in sequence[1:]:
        expected = 0.9 * expected + 0.1 * s["0.weight"]
    assert torch.allclose(average.average["0.weight"], expected, atol=1e-6)
    with pytest.raises(ValueError, match="decay"):
        train.WeightAverage(network(), 1.0)


def test_face_row_only_training_moves_nothing_but_the_face_row():
    from orn.model import ORN, ModelConfig
    torch.manual_seed(0)
    model = ORN(ModelConfig(K=8, width=0.35, input=64, feature=32))
    with torch.no_grad():
        model.head.weight.normal_(0, 0.1)
    cfg = train.load_config(None, trainable="face")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimiser = torch.optim.AdamW(train.train_face_row_only(model), lr=1e-2, weight_decay=0.0)
    train.set_training(model, cfg)
    for _ in range(3):
        outputs = model(torch.randn(4, 3, 64, 64))
        loss = sum(output.square().mean() for output in outputs)  # every output pulls; only the face row may move
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    after = model.state_dict()
    face = sum(model.sizes[:-1])
    for key, value in before.items():
        if key in ("head.weight", "head.bias"):
            assert torch.equal(after[key][:face], value[:face]), key
            assert not torch.equal(after[key][face:], value[face:]), key
        else:
            assert torch.equal(after[key], value), key  # weights and BatchNorm statistics alike
    with pytest.raises(ValueError, match="trainable"):
        train.load_config(None, trainable="backbone")
