"""A faster CPU encoder: the sentence-transformers model exported to ONNX and quantised to int8.

Issue 9: the query embedding was most of a suggestion's server time, and ingest
was bound by the same forward pass. ``onnxruntime`` runs the model with
dynamically quantised int8 weights (per output channel: per-tensor scales cost
several points of cosine on this model) about 2-3x faster than torch fp32 on
one core, with vectors at cosine >= 0.98 to the fp32 ones (quality table in
benchmarks/README.md, "Encoder").

The ONNX file is *derived state*, never shipped nor committed: it is exported
locally from the installed weights at first use (torch.onnx of the transformer,
mean or CLS pooling and L2 normalisation in the graph, then
``onnxruntime.quantization.quantize_dynamic``) into a cache folder, keyed by the
weights' SHA-256. Several processes may start at once: one exports under a file
lock, into a uniquely named file renamed into place, with a digest beside it; a
reader that finds a file whose digest does not match rebuilds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import uuid
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from search.embedder import file_sha256
from search.quantize import CALIBRATION, quantize

log = logging.getLogger(__name__)

# Bump when the exported graph changes (wrapper, opset, quantisation): old files are ignored.
EXPORT_VERSION = "4"
# onnxruntime fuses each residual Add + LayerNormalization into SkipLayerNormalization, whose CPU
# kernel (1.30-1.32) takes ~470 us on 256 x 384 values where the two unfused ops take ~70 us:
# unfused, an int8 encode is 11-25 % faster (benchmarks/README.md, "Export version 4").
DISABLED_OPTIMIZERS = ("SkipLayerNormFusion",)
VARIANTS = ("onnx-int8", "onnx-fp32")
# A batch is cut when the next (sorted) text is this much longer than its first one:
# a 10-piece title is not padded to a 250-piece body (the query's two texts).
SPREAD = 1.5
PROBES = (
    "How do I renew my residence permit after it expired?",
    "Which school is best for a seven-year-old who speaks only French?",
    "Rain harvesting with ferro-cement tanks: how thick should the walls be?",
)
MIN_PROBE_COSINE = 0.97  # an export that disagrees more with the torch model is refused


class ExportError(RuntimeError):
    """The model cannot be exported or quantised to ONNX (the caller falls back to torch)."""


def cached_model(model_dir: Path, weights_sha256: str, cache_dir: Path, variant: str = "onnx-int8") -> Path:
    """Path of the verified ONNX export of a model, exporting it first if needed.

    Args:
        model_dir: The sentence-transformers model folder.
        weights_sha256: Digest of its weights file (the cache key).
        cache_dir: Where exports are kept (created if missing).
        variant: "onnx-int8" or "onnx-fp32".

    Returns:
        The path of a complete, digest-checked ``.onnx`` file.

    Raises:
        ExportError: the export or quantisation failed.
    """
    if variant not in VARIANTS:
        raise ExportError(f"unknown ONNX variant {variant!r}")
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{weights_sha256[:16]}-{variant}-e{EXPORT_VERSION}.onnx"
    if _verified(target):
        return target
    with _locked(target.with_suffix(".lock")):
        if _verified(target):  # another process exported it while we waited
            return target
        log.warning("Exporting %s to %s (once per model; about 10 s)", model_dir, target)
        _export(Path(model_dir), target, variant)
    return target


def _verified(target: Path) -> bool:
    """True when the file exists and matches the digest written beside it."""
    sidecar = target.with_suffix(".json")
    try:
        expected = json.loads(sidecar.read_text())["sha256"]
        return target.is_file() and file_sha256(target) == expected
    except (OSError, ValueError, KeyError, TypeError):
        return False


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive advisory lock across processes (released when the holder dies)."""
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _export(model_dir: Path, target: Path, variant: str) -> None:
    """Export, quantise, check against torch, then rename the file and its digest into place."""
    scratch = f".{target.stem}.{os.getpid()}.{uuid.uuid4().hex}"  # unique: never shared
    fp32, final, sidecar = (target.with_name(scratch + end)
                            for end in (".fp32.onnx", ".onnx", ".json"))
    try:
        # The int8 graph encodes one text per pass (``OnnxEncoder``): nothing is padded, so it
        # takes no attention mask and spends nothing on adding and pooling one.
        reference = export_fp32(model_dir, fp32, masked=variant != "onnx-int8")
        if variant == "onnx-int8":
            quantize(fp32, final, model_dir, PROBES + CALIBRATION)
        else:
            os.replace(fp32, final)
        _check_probes(final, model_dir, reference)
        digest = file_sha256(final)
        os.replace(final, target)
        sidecar.write_text(json.dumps({"sha256": digest, "model": str(model_dir), "variant": variant}))
        os.replace(sidecar, target.with_suffix(".json"))
    except ExportError:
        raise
    except Exception as exc:  # torch, onnx and onnxruntime raise many kinds
        raise ExportError(f"cannot export {model_dir} to ONNX: {exc}") from exc
    finally:
        for leftover in (fp32, final, sidecar):
            leftover.unlink(missing_ok=True)


def export_fp32(model_dir: Path, path: Path, masked: bool = True) -> np.ndarray:
    """Export the transformer, pooling and normalisation to one fp32 ONNX graph.

    Args:
        model_dir: A sentence-transformers folder whose modules are Transformer,
            Pooling (mean or CLS) and optionally Normalize.
        path: Where to write the ``.onnx`` file.
        masked: The graph takes an ``attention_mask`` (padded batches); without it, every
            word piece of the input is read, so each pass must hold one text (or texts of
            one length).

    Returns:
        The torch model's vectors of ``PROBES``, to check the export against.

    Raises:
        ExportError: the model has another shape.
    """
    import torch
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    reference = st.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True,
                          show_progress_bar=False)
    wrapper = _wrapper_class()(st).eval()
    sample = st.tokenizer(list(PROBES[:2]), padding=True, return_tensors="pt")
    inputs = ["input_ids", "attention_mask"] if masked else ["input_ids"]
    args = tuple(sample[name] for name in inputs)
    axes = {name: {0: "batch", 1: "pieces"} for name in inputs} | {"embedding": {0: "batch"}}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on shape-dependent Python code
        torch.onnx.export(wrapper, args, str(path), input_names=inputs,
                          output_names=["embedding"], dynamic_axes=axes, opset_version=17,
                          dynamo=False)
    return np.asarray(reference, np.float32)


def _wrapper_class():
    """The torch module class (built lazily: torch is imported only to export)."""
    import torch

    class Wrapper(torch.nn.Module):
        """input ids + mask -> pooled, L2-normalised sentence vectors."""

        def __init__(self, st) -> None:
            super().__init__()
            modules = [type(m).__name__ for m in st]
            if modules[:2] != ["Transformer", "Pooling"] or set(modules[2:]) - {"Normalize"}:
                raise ExportError(f"unsupported module stack {modules}")
            mode = _pooling_mode(st[1])
            if mode not in ("mean", "cls"):
                raise ExportError(f"unsupported pooling {mode!r}")
            self.model, self.mode = st[0].auto_model, mode
            # Eager attention exports as plain MatMul/Softmax, which quantises well.
            with contextlib.suppress(Exception):
                self.model.set_attn_implementation("eager")
            self.types = getattr(self.model.config, "type_vocab_size", 0) > 0

        def forward(self, input_ids, attention_mask=None):
            extra = {"token_type_ids": torch.zeros_like(input_ids)} if self.types else {}
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, **extra)[0]
            if self.mode == "cls":
                pooled = out[:, 0]
            elif attention_mask is None:
                pooled = out.mean(1)
            else:
                mask = attention_mask.unsqueeze(-1).to(out.dtype)
                pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    return Wrapper


def _pooling_mode(pooling) -> str:
    """"mean", "cls", ... across sentence-transformers versions (the API was renamed)."""
    mode = getattr(pooling, "pooling_mode", None)
    if isinstance(mode, str):
        return mode
    return pooling.get_pooling_mode_str()


def _check_probes(path: Path, model_dir: Path, reference: np.ndarray) -> None:
    """Refuse an export whose vectors of the probe sentences stray from the torch model's."""
    encoder = OnnxEncoder(path, model_dir, threads=1)
    cosines = np.sum(encoder.encode(list(PROBES)) * reference, axis=1)
    if float(cosines.min()) < MIN_PROBE_COSINE:
        raise ExportError(f"the ONNX export disagrees with torch (cosine {cosines.min():.3f})")


def _read_json(path: Path) -> dict:
    """A JSON file's object, or {} when absent."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


class OnnxEncoder:
    """Encode texts with an exported model: fast tokenizer, length-sorted batches, onnxruntime."""

    def __init__(self, onnx_path: Path, model_dir: Path, threads: int = 1, batch_size: int = 32) -> None:
        """Open the session and the model folder's tokenizer.

        Args:
            onnx_path: The exported graph (from ``cached_model``).
            model_dir: The model folder (``tokenizer.json``, ``sentence_bert_config.json``).
            threads: onnxruntime intra-op threads (one session's share of the cores).
            batch_size: Most texts per forward pass.
        """
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.threads = max(1, int(threads))
        self.session = _session(ort, onnx_path, self.threads)
        # A graph without a mask reads every piece it is given: one text per pass, unpadded.
        self._masked = "attention_mask" in {i.name for i in self.session.get_inputs()}
        # Many texts (ingest) run as one stream per thread on a one-thread session: one text
        # spread over two cores scales poorly (measured ~1.1-1.8x more texts/s this way).
        self._streams = _session(ort, onnx_path, 1) if self.threads > 1 else None
        model_dir = Path(model_dir)
        self.max_seq_length = int(_read_json(model_dir / "sentence_bert_config.json")
                                  .get("max_seq_length", 256))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_seq_length)
        padding = self.tokenizer.padding
        self.pad_id = padding["pad_id"] if padding else (self.tokenizer.token_to_id("[PAD]") or 0)
        self.tokenizer.no_padding()  # each batch is padded to its own longest text below
        self.batch_size = batch_size if self._masked else 1
        self.dim = int(self.session.get_outputs()[0].shape[-1] or 0) or len(self.encode(["dim"])[0])

    def encode(self, texts: list[str], max_tokens: int | None = None) -> np.ndarray:
        """L2-normalised float32 vectors (len(texts), dim), thread-safe (no lock).

        ``max_tokens`` cuts each text to that many word pieces as the tokenizer's own
        truncation would (the closing special token kept), when below the model's limit.
        """
        encodings = [_cut(e, max_tokens) for e in self.tokenizer.encode_batch(list(texts))]
        lengths = [len(e.ids) for e in encodings]
        batches = _batches(lengths, self.batch_size)
        if not batches:
            return np.zeros((0, self.dim), np.float32)

        def run(batch, session):
            width = max(lengths[i] for i in batch)
            ids = np.full((len(batch), width), self.pad_id, np.int64)
            for row, i in enumerate(batch):
                ids[row, : lengths[i]] = encodings[i].ids
            feed = {"input_ids": ids}
            if self._masked:  # 1 over each text's own pieces, 0 over its padding
                own = np.array([lengths[i] for i in batch])[:, None]
                feed["attention_mask"] = (np.arange(width) < own).astype(np.int64)
            return session.run(None, feed)[0]

        if self._streams is not None and len(batches) >= 2 * self.threads:
            with ThreadPoolExecutor(self.threads) as pool:
                results = list(pool.map(lambda b: run(b, self._streams), batches))
        else:
            results = [run(b, self.session) for b in batches]
        out = np.empty((len(texts), results[0].shape[1]), np.float32)
        for batch, vectors in zip(batches, results):
            out[batch] = vectors
        return out


@dataclass(frozen=True)
class _Cut:
    """The word-piece ids of a text cut shorter (all ``run`` reads of an encoding)."""

    ids: list[int]


def _cut(encoding, max_tokens: int | None):
    """``encoding`` unchanged, or its first ``max_tokens`` ids ending in its closing special
    token (e.g. [CLS] w1 .. w126 [SEP]), as truncation at ``max_tokens`` would give."""
    ids = encoding.ids
    if not max_tokens or len(ids) <= max_tokens:
        return encoding
    closing = encoding.special_tokens_mask[-1] == 1
    keep = ids[: max_tokens - 1] + ids[-1:] if closing else ids[:max_tokens]
    return _Cut(keep)


def _session(ort, path: Path, threads: int):
    """An onnxruntime CPU session on ``threads`` intra-op threads."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"],
                                disabled_optimizers=list(DISABLED_OPTIMIZERS))


def _batches(lengths: list[int], size: int) -> list[list[int]]:
    """Indices grouped by length: at most ``size`` per batch, none padded far beyond its own length."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < size and lengths[i] <= SPREAD * lengths[batches[-1][0]] + 8:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches
