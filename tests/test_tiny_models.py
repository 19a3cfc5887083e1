"""The tiny models compute what they claim: each framework's output equals a numpy forward pass
of the same weights (so the files are real models, not just headers that load)."""

import numpy as np
import pytest

from harness.models import tiny

SHAPE = dict(features=12, hidden=20, layers=2, outputs=5, seed=3)


def reference(x: np.ndarray) -> np.ndarray:
    dims = tiny._dims(SHAPE["features"], SHAPE["hidden"], SHAPE["layers"], SHAPE["outputs"])
    for i, (n_in, n_out) in enumerate(dims):
        w, b = tiny._weights(SHAPE["seed"] + i, n_in, n_out)
        x = x @ w.T + b
        if i < len(dims) - 1:
            x = np.maximum(x, 0)
    return x


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return np.random.default_rng(7).standard_normal((1, SHAPE["features"])).astype(np.float32)


def test_tflite_mlp_matches_numpy(tmp_path, x):
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=str(tiny.tflite_mlp(tmp_path / "m.tflite", **SHAPE)))
    it.allocate_tensors()
    (inp,), (out,) = it.get_input_details(), it.get_output_details()
    assert list(inp["shape"]) == [1, 12] and list(out["shape"]) == [1, 5]
    it.set_tensor(inp["index"], x)
    it.invoke()
    np.testing.assert_allclose(it.get_tensor(out["index"]), reference(x), rtol=1e-4, atol=1e-5)


def test_ncnn_mlp_matches_numpy(tmp_path, x):
    import ncnn
    param, weights = tiny.ncnn_mlp(tmp_path / "m.param", **SHAPE)
    lines = param.read_text().splitlines()
    assert lines[0] == "7767517" and lines[1] == "6 6"
    assert weights.stat().st_size == sum(4 + 4 * (a * b + b) for a, b in
                                         tiny._dims(12, 20, 2, 5))
    net = ncnn.Net()
    net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = net.opt.use_fp16_packed = False
    assert net.load_param(str(param)) == 0 and net.load_model(str(weights)) == 0
    ex = net.create_extractor()
    ex.input("input", ncnn.Mat(x[0]))
    ret, out = ex.extract("output")
    assert ret == 0
    np.testing.assert_allclose(np.array(out), reference(x)[0], rtol=1e-4, atol=1e-5)


def test_onnx_and_mnn_mlp_match_numpy(tmp_path, x):
    import MNN
    import onnx
    from onnx.reference import ReferenceEvaluator
    mnn_path = tiny.mnn_mlp(tmp_path / "m.mnn", **SHAPE)
    model = onnx.load(str(tmp_path / "m.onnx"))
    (got,) = ReferenceEvaluator(model).run(None, {"input": x})
    np.testing.assert_allclose(got, reference(x), rtol=1e-5, atol=1e-6)
    it = MNN.Interpreter(str(mnn_path))
    session = it.createSession({"numThread": 1})
    t = it.getSessionInput(session)
    t.copyFrom(MNN.Tensor([1, 12], MNN.Halide_Type_Float, x, MNN.Tensor_DimensionType_Caffe))
    it.runSession(session)
    o = it.getSessionOutput(session)
    host = MNN.Tensor([1, 5], MNN.Halide_Type_Float, np.zeros((1, 5), np.float32),
                      MNN.Tensor_DimensionType_Caffe)
    o.copyToHostTensor(host)
    np.testing.assert_allclose(np.array(host.getNumpyData()), reference(x), rtol=1e-4,
                               atol=1e-5)


def test_bad_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="must be >= 1"):
        tiny.tflite_mlp(tmp_path / "m.tflite", features=0)
