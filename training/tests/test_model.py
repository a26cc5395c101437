"""The architecture's budget (<= 150 MFLOPs, <= 4 M params), output layout, and an untrained export's ops."""
import numpy as np
import torch

from orn.model import ORN, ModelConfig, count_macs


def test_budget_and_outputs():
    m = ORN(ModelConfig())
    params = sum(p.numel() for p in m.parameters())
    macs = count_macs(m)
    assert params <= 4_000_000
    assert 2 * macs <= 150_000_000  # even counting a multiply-add as two FLOPs
    m.eval()
    with torch.no_grad():
        out = m(torch.randn(2, 3, 128, 128))
    assert [tuple(o.shape) for o in out] == [(2, 40), (2, 53), (2, 6), (2, 3), (2, 68), (2, 1)]
    assert all(((out[i] >= 0) & (out[i] <= 1)).all() for i in (1, 4, 5))


def test_initial_output_is_a_plausible_face():
    m = ORN(ModelConfig()).eval()
    with torch.no_grad():
        alpha, beta, r6, ts, vis, face = m(torch.randn(1, 3, 128, 128))
    assert np.allclose(r6.numpy(), [[1, 0, 0, 0, 1, 0]], atol=1e-6)  # frontal
    assert np.allclose(ts.numpy(), [[0.5, 0.5, 0.04]], atol=1e-6)   # centred, typical size
    assert float(beta.max()) < 0.1 and float(vis.min()) > 0.8 and float(face) > 0.8


def test_untrained_export_uses_only_allowed_ops(tmp_path):
    import onnx
    from orn import export
    m = ORN(ModelConfig(width=0.35, feature=64)).eval()
    path = tmp_path / "m.onnx"
    torch.onnx.export(m, torch.zeros(1, 3, 128, 128), str(path), opset_version=export.OPSET, input_names=["image"],
                      output_names=list(ORN.OUTPUTS))
    export.constants_to_initializers(path)
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert ops <= export.ALLOWED_OPS, ops - export.ALLOWED_OPS
    assert "Conv" in ops and "Gemm" in ops
