"""The int8 ONNX encoder (issue 9): agrees with torch, exported once, safe to share, falls back."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from search import onnx_encoder, quantize
from search.embedder import Embedder, default_model_path
from search.engine import SearchEngine
from search.threads import apply_threads, default_threads

pytestmark = pytest.mark.slow

SENTENCES = [
    "How do I renew my residence permit after it expired last month?",
    "Which school in Doha is best for a seven-year-old who only speaks French?",
    "Where can I buy second-hand furniture at a fair price?",
    "Our village water committee wants to build ferro-cement rain tanks; how thick should the walls be?",
    "Is it safe to drink tap water here, or should we buy bottled water for the baby?",
    "What documents does my employer need to sponsor a family visa for my wife and two children?",
    "Best beach for a family picnic within an hour of the city",
    "Can I transfer my driving licence from India or do I have to take the test again?",
]


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory):
    """A cache folder holding the int8 export, made once per session."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache):
    """The shipped encoder (int8 ONNX), exported into the session's cache folder."""
    return Embedder(backend="onnx-int8", cache_dir=onnx_cache, threads=1)


def test_onnx_and_torch_agree_on_real_sentences(onnx_embedder, embedder):
    assert onnx_embedder.backend == "onnx-int8", onnx_embedder.backend_note
    assert embedder.backend == "torch"
    assert (onnx_embedder.dim, onnx_embedder.max_seq_length) == (embedder.dim, embedder.max_seq_length)
    assert onnx_embedder.model_id == embedder.model_id  # same weights: stored vectors stay valid
    fast, reference = onnx_embedder.encode(SENTENCES), embedder.encode(SENTENCES)
    assert fast.dtype == np.float32 and fast.flags.c_contiguous and fast.shape == reference.shape
    np.testing.assert_allclose(np.linalg.norm(fast, axis=1), 1.0, atol=1e-4)
    cosines = np.sum(fast * reference, axis=1)
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.98, cosines


@pytest.fixture(scope="session")
def fp32_export(tmp_path_factory):
    """The model exported to one fp32 ONNX graph (before quantisation), once per session."""
    path = tmp_path_factory.mktemp("fp32-export") / "model.onnx"
    onnx_encoder.export_fp32(default_model_path(), path)
    return path


def _vectors(path: Path, texts) -> np.ndarray:
    """The project's encoder over a graph file, one text per pass."""
    return onnx_encoder.OnnxEncoder(path, default_model_path(), batch_size=1).encode(list(texts))


def test_the_outlier_split_computes_the_same_function(fp32_export, tmp_path):
    """Each feed-forward output projection has a few outlier channels (the same for every text);
    splitting them into their own fp32 MatMul leaves the fp32 model's vectors unchanged."""
    import onnx

    model = onnx.load(str(fp32_export))
    channels = quantize.outlier_channels(model, default_model_path())
    assert len(channels) == 6  # one per layer of all-MiniLM-L6-v2
    assert all(1 <= len(c) <= quantize.MAX_OUTLIERS for c in channels.values()), channels
    kept = quantize._split_outliers(model, channels)
    assert len(kept) == 6
    split = tmp_path / "split.onnx"
    onnx.save(model, str(split))
    np.testing.assert_allclose(_vectors(split, SENTENCES), _vectors(fp32_export, SENTENCES),
                               atol=2e-5)


def test_int8_with_the_outliers_split_stays_closer_to_fp32(fp32_export, tmp_path):
    """Quantising every MatMul whole (outliers in the uint8 range) strays further from the fp32
    vectors than the shipped quantisation, which multiplies the outlier channels in fp32."""
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    shipped, whole = tmp_path / "shipped.onnx", tmp_path / "whole.onnx"
    quantize.quantize(fp32_export, shipped, default_model_path())
    quantize_dynamic(str(fp32_export), str(whole), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"],
                     extra_options={"DefaultTensorType": TensorProto.FLOAT})
    reference = _vectors(fp32_export, SENTENCES)
    near = np.sum(_vectors(shipped, SENTENCES) * reference, axis=1)
    far = np.sum(_vectors(whole, SENTENCES) * reference, axis=1)
    assert near.mean() >= 0.995 and near.mean() >= far.mean() + 0.001, (near, far)


def test_a_vector_depends_on_its_text_alone(onnx_embedder):
    """Whatever else is encoded in the same call, a text gets the same vector."""
    assert onnx_embedder.backend == "onnx-int8", onnx_embedder.backend_note  # not torch's batches
    texts = SENTENCES + ["Visa", " ".join(SENTENCES * 8)]  # the last one is cut at the window
    together = onnx_embedder.encode(texts)
    alone = np.vstack([onnx_embedder.encode([t]) for t in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert onnx_embedder.encode([]).shape == (0, onnx_embedder.dim)


def test_the_int8_graph_reads_one_unpadded_text_per_pass(onnx_embedder, onnx_cache, fp32_export):
    """The shipped graph takes no attention mask (nothing is padded: one text per pass), so a
    batch size asked for is not honoured; the fp32 export, which batches, keeps its mask."""
    encoder = onnx_embedder._onnx
    assert [i.name for i in encoder.session.get_inputs()] == ["input_ids"]
    assert encoder.batch_size == 1
    (graph,) = onnx_cache.glob("*-onnx-int8-*.onnx")
    assert onnx_encoder.OnnxEncoder(graph, default_model_path(), batch_size=32).batch_size == 1
    batched = onnx_encoder.OnnxEncoder(fp32_export, default_model_path(), batch_size=32)
    assert [i.name for i in batched.session.get_inputs()] == ["input_ids", "attention_mask"]
    texts = SENTENCES + ["Visa"]
    np.testing.assert_allclose(batched.encode(texts), _vectors(fp32_export, texts), atol=1e-5)


def test_residual_adds_and_layer_norms_stay_unfused(onnx_cache, monkeypatch, tmp_path):
    """onnxruntime's fused SkipLayerNormalization is several times slower on CPU than the Add and
    LayerNormalization it replaces; the encoder's sessions run them unfused."""
    import onnx
    import onnxruntime as ort

    dumped = tmp_path / "optimized.onnx"

    class Dumping(ort.SessionOptions):
        def __init__(self):
            super().__init__()
            self.optimized_model_filepath = str(dumped)

    monkeypatch.setattr(ort, "SessionOptions", Dumping)
    (graph,) = onnx_cache.glob("*-onnx-int8-*.onnx")
    onnx_encoder.OnnxEncoder(graph, default_model_path())
    ops = [n.op_type for n in onnx.load(str(dumped)).graph.node]
    assert "SkipLayerNormalization" not in ops
    assert ops.count("LayerNormalization") == 13  # embeddings + two per layer


def test_the_export_is_cached_and_not_redone(onnx_embedder, onnx_cache, monkeypatch):
    files = sorted(p.name for p in Path(onnx_cache).glob("*.onnx"))
    assert len(files) == 1 and "onnx-int8" in files[0]
    monkeypatch.setattr(onnx_encoder, "_export", _refuse)
    again = Embedder(backend="onnx-int8", cache_dir=onnx_cache, threads=1)
    assert again.backend == "onnx-int8", again.backend_note
    np.testing.assert_allclose(again.encode(SENTENCES[:2]), onnx_embedder.encode(SENTENCES[:2]), atol=1e-6)


def _refuse(*args, **kwargs):
    raise AssertionError("exported again")


def test_a_corrupt_cached_file_is_rebuilt(onnx_embedder, onnx_cache, tmp_path):
    source = next(Path(onnx_cache).glob("*.onnx"))
    for path in (source, source.with_suffix(".json")):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    broken = tmp_path / source.name
    broken.write_bytes(broken.read_bytes()[: 1 << 20])  # a half-written file
    rebuilt = Embedder(backend="onnx-int8", cache_dir=tmp_path, threads=1)
    assert rebuilt.backend == "onnx-int8", rebuilt.backend_note
    assert broken.stat().st_size == source.stat().st_size
    assert onnx_encoder._verified(broken)
    cosines = np.sum(rebuilt.encode(SENTENCES) * onnx_embedder.encode(SENTENCES), axis=1)
    assert cosines.min() >= 0.999


def test_two_processes_exporting_at_once_share_one_good_file(tmp_path):
    script = textwrap.dedent(f"""
        import logging, sys
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
        from search.embedder import Embedder
        e = Embedder(backend="onnx-int8", cache_dir={str(tmp_path)!r}, threads=1)
        print(e.backend, float(e.encode(["Where is the nearest hospital?"])[0] @ e.encode(["Nearest hospital?"])[0]))
    """)
    repo = Path(__file__).resolve().parents[2]
    runs = [subprocess.Popen([sys.executable, "-c", script], cwd=repo, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    assert all(out.startswith("onnx-int8 ") and float(out.split()[1]) > 0.7 for out, _ in outputs), outputs
    assert sum(err.count("Exporting") for _, err in outputs) == 1, outputs  # the other one waited
    assert len(list(tmp_path.glob("*.onnx"))) == 1
    assert not list(tmp_path.glob(".*"))  # no scratch files left behind
    assert onnx_encoder._verified(next(tmp_path.glob("*.onnx")))


def test_a_failed_export_falls_back_to_torch_and_says_so(tmp_path, monkeypatch, caplog):
    def broken(model_dir, path, masked=True):
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(onnx_encoder, "export_fp32", broken)
    with caplog.at_level(logging.ERROR, logger="search.embedder"):
        fallback = Embedder(backend="auto", cache_dir=tmp_path, threads=1)
    assert fallback.backend == "torch"
    assert "exporter exploded" in fallback.backend_note
    assert any("exporter exploded" in r.getMessage() for r in caplog.records)
    assert fallback.encode(["still works"]).shape == (1, fallback.dim)
    assert not list(tmp_path.glob("*.onnx"))


def test_an_export_that_disagrees_with_torch_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(onnx_encoder, "MIN_PROBE_COSINE", 1.01)  # nothing can pass
    fallback = Embedder(backend="onnx-int8", cache_dir=tmp_path, threads=1)
    assert fallback.backend == "torch" and "disagrees" in fallback.backend_note
    assert not list(tmp_path.glob("*.onnx"))


def test_the_query_is_encoded_in_one_call(fake_embedder):
    engine = SearchEngine(fake_embedder)
    engine.similar("Renewing a residence permit", "It expired last month; what now?", k=3)
    assert len(fake_embedder.calls) == 1 and len(fake_embedder.calls[0]) == 2
    engine.similar("Renewing a work permit", "", k=3)  # title only: main text == title
    assert len(fake_embedder.calls) == 2 and fake_embedder.calls[1] == ["Renewing a work permit"]


def test_threads_default_to_a_share_of_the_cores(monkeypatch):
    monkeypatch.setattr("search.threads.available_cores", lambda: 8)
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    assert default_threads() == 4
    assert default_threads(16) == 1
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert default_threads() == 8


def test_apply_threads_holds_faiss_and_torch(onnx_embedder):
    import faiss
    import torch

    before = (faiss.omp_get_max_threads(), torch.get_num_threads())
    try:
        assert apply_threads(1) == {"faiss": 1, "torch": 1}
        assert faiss.omp_get_max_threads() == 1 and torch.get_num_threads() == 1
    finally:
        faiss.omp_set_num_threads(before[0])
        torch.set_num_threads(before[1])
    options = onnx_embedder._onnx.session.get_session_options()
    assert options.intra_op_num_threads == 1


def test_the_model_folder_is_the_bundled_one():
    assert (default_model_path() / "tokenizer.json").is_file()


WORDS = ("water school visa permit office team fund report budget health village market "
         "teacher nurse road bridge rain tank farm seed").split()


@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_a_window_reads_the_first_word_pieces_only(backend, onnx_embedder, embedder):
    """``max_tokens`` cuts a text as the tokenizer's truncation would: a 200-word text read
    through a 32-piece window is the vector of its first 30 words (plus [CLS] and [SEP])."""
    model = onnx_embedder if backend == "onnx" else embedder
    long_text = " ".join(WORDS[(i * 7) % len(WORDS)] for i in range(200))  # one piece per word
    first = " ".join(long_text.split()[:30])
    windowed, whole, prefix = model.encode([long_text], 32)[0], model.encode([long_text])[0], \
        model.encode([first])[0]
    assert float(windowed @ prefix) > 0.9999
    assert float(whole @ prefix) < 0.99  # without the window the rest of the text counts
    short = model.encode([SENTENCES[0]], 32)[0]  # shorter than the window: untouched
    assert float(short @ model.encode([SENTENCES[0]])[0]) > 0.9999


def test_queries_read_their_window_and_threads_the_whole_model_limit(onnx_embedder):
    """The engine's queries are cut at EngineConfig.query_max_tokens (measured: no quality
    change, a long draft encodes faster); thread texts keep the model's 256."""
    from search.ranking import EngineConfig, QueryEncoder

    long_body = " ".join(WORDS[(i * 3) % len(WORDS)] for i in range(300))
    config = EngineConfig()
    assert config.query_max_tokens == 128
    cut = QueryEncoder(onnx_embedder, config)("", long_body)
    whole = QueryEncoder(onnx_embedder, EngineConfig(query_max_tokens=512))("", long_body)
    first = " ".join(long_body.split()[:126])
    assert float(cut @ QueryEncoder(onnx_embedder, config)("", first)) > 0.9999
    assert float(cut @ whole) < 0.999
