"""Dynamic int8 quantisation of an exported sentence encoder, outlier channels kept fp32.

Issue 9: the feed-forward output projections were kept fp32 whole (quantised, train2016
nDCG@10 fell 0.63 points) and cost 45 % of an encode. Only a few of their input channels are
the problem; they are found on calibration sentences and split into a small fp32 MatMul
(benchmarks/README.md, "Export version 3"). Used by ``search.onnx_encoder`` at export.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

# The feed-forward output projections read GELU outputs in which a few channels (1-16 of
# 1,536 per layer in all-MiniLM-L6-v2, the same ones for every text) reach ~24 while the median
# channel peaks at ~1.4: one uint8 range for the whole tensor clips them. A channel is an
# outlier when its largest value on the calibration sentences (these, plus the encoder's
# probes) exceeds OUTLIER_RATIO times the median channel's, at most MAX_OUTLIERS per projection.
CALIBRATION = (
    "We pooled funding from four agencies into one account managed by the lead agency.",
    "The procurement committee met twice and approved a joint tender for vehicles.",
    "Is there a template for a results framework shared by several partners?",
    "Our team tried weekly coordination calls with donors but attendance dropped after a month.",
    "My landlord refuses to return the deposit; what are my rights under the tenancy law?",
    "Best restaurant for a family dinner near the corniche, not too expensive please!!",
    "Help!!",
    "def parse(rows): return [r.split(',') for r in rows if r]  # why does this fail on empty lines?",
    "The monitoring data from 2019-2023 show a 12% rise in enrolment, mostly in rural districts.",
    "Thanks, that worked. We adapted it in Kenya and Uganda with small changes to the budget lines.",
)
OUTLIER_RATIO = 4.0
MAX_OUTLIERS = 16


def _feed_forward_outputs(graph) -> list:
    """The feed-forward output projections (``…/output/dense/MatMul``, not the attention's)."""
    return [n for n in graph.node if n.op_type == "MatMul"
            and "/output/dense/" in n.name and "/attention/" not in n.name]


def quantize(source: Path, target: Path, model_dir: Path,
             sentences: Sequence[str] = CALIBRATION) -> None:
    """Dynamic int8 quantisation of the MatMul weights, per output channel (activations uint8).

    MatMul only: the embedding lookup stays fp32 (it costs no arithmetic), and per-channel
    scales keep short texts at cosine ~0.99 to fp32 (per-tensor: ~0.96). In the feed-forward
    output projections the few outlier input channels (``outlier_channels``) are split off
    into a small fp32 MatMul; quantising them with the rest cost 0.63 nDCG@10 on train2016
    (past the 0.5 bound), keeping the whole projections fp32 cost a third of the encode time.
    """
    import onnx
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(source))
    kept = _split_outliers(model, outlier_channels(model, model_dir, sentences))
    split = target.with_name(target.stem + ".split.onnx")
    try:
        onnx.save(model, str(split))
        quantize_dynamic(str(split), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=kept,
                         extra_options={"DefaultTensorType": TensorProto.FLOAT})
    finally:
        split.unlink(missing_ok=True)


def outlier_channels(model, model_dir: Path,
                     sentences: Sequence[str] = CALIBRATION) -> dict[str, np.ndarray]:
    """``{projection name: input channels}`` whose activations are outliers on ``sentences``.

    Runs the fp32 graph with each feed-forward output projection's input exposed, and keeps
    the channels whose largest magnitude exceeds ``OUTLIER_RATIO`` times the median channel's
    (the largest ``MAX_OUTLIERS`` at most)."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper
    from tokenizers import Tokenizer

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    nodes = _feed_forward_outputs(probe.graph)
    for node in nodes:
        probe.graph.output.append(helper.make_tensor_value_info(node.input[0], TensorProto.FLOAT, None))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
    peaks: list = [None] * len(nodes)
    for text in sentences:
        ids = np.array([tokenizer.encode(text).ids[:256]], np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        outputs = session.run(None, {i.name: feed[i.name] for i in session.get_inputs()})[1:]
        for k, values in enumerate(outputs):
            peak = np.abs(values).reshape(-1, values.shape[-1]).max(0)
            peaks[k] = peak if peaks[k] is None else np.maximum(peaks[k], peak)
    found = {}
    for node, peak in zip(nodes, peaks):
        outliers = np.flatnonzero(peak > OUTLIER_RATIO * np.median(peak))
        found[node.name] = np.sort(outliers[np.argsort(-peak[outliers])][:MAX_OUTLIERS])
    return found


def _split_outliers(model, channels: dict[str, np.ndarray]) -> list[str]:
    """Rewrite each ``x @ W`` named in ``channels`` as ``(x * mask) @ W' + x[..., c] @ W[c]``
    (W' = W with rows c zeroed, mask zero at c), in place; returns the small fp32 MatMuls'
    names, which quantisation must leave alone. The int8 MatMul then sees no outlier."""
    from onnx import helper, numpy_helper

    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    kept = []
    for node in _feed_forward_outputs(graph):
        picked = channels.get(node.name)
        if picked is None or not len(picked):
            continue
        weight = numpy_helper.to_array(weights[node.input[1]])
        mask = np.ones(weight.shape[0], np.float32)
        mask[picked] = 0.0
        trimmed = weight.copy()
        trimmed[picked] = 0.0
        weights[node.input[1]].CopyFrom(numpy_helper.from_array(trimmed, node.input[1]))
        name = node.name
        graph.initializer.extend([numpy_helper.from_array(mask, name + "/outlier_mask"),
                                  numpy_helper.from_array(picked.astype(np.int64), name + "/outlier_index"),
                                  numpy_helper.from_array(weight[picked], name + "/outlier_weight")])
        x, y = node.input[0], node.output[0]
        at = list(graph.node).index(node)
        for offset, extra in enumerate([
                helper.make_node("Mul", [x, name + "/outlier_mask"], [x + "/inliers"], name=name + "/mask"),
                helper.make_node("Gather", [x, name + "/outlier_index"], [x + "/outliers"], axis=2,
                                 name=name + "/gather"),
                helper.make_node("MatMul", [x + "/outliers", name + "/outlier_weight"], [y + "/outliers"],
                                 name=name + "/outliers")]):
            graph.node.insert(at + offset, extra)
        node.input[0], node.output[0] = x + "/inliers", y + "/inliers"
        graph.node.insert(list(graph.node).index(node) + 1, helper.make_node(
            "Add", [y + "/inliers", y + "/outliers"], [y], name=name + "/sum"))
        kept.append(name + "/outliers")
    return kept
