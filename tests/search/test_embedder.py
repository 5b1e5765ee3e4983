"""Embedder: offline load, digest check, output shape and normalisation."""

from __future__ import annotations

import numpy as np
import pytest

from search.embedder import (
    DEFAULT_MODEL_SHA256,
    Embedder,
    EmbedderUnavailable,
    ModelIntegrityError,
    default_model_path,
    file_sha256,
)


def test_default_digest_constant_is_the_published_one():
    assert DEFAULT_MODEL_SHA256.startswith("53aa5117") and DEFAULT_MODEL_SHA256.endswith("128d9db")
    assert len(DEFAULT_MODEL_SHA256) == 64


def test_real_model_properties_and_encoding(embedder):
    assert embedder.model_id == "all-MiniLM-L6-v2@" + DEFAULT_MODEL_SHA256[:12]
    assert embedder.dim == 384 and embedder.max_seq_length == 256
    vectors = embedder.encode(["How do I renew my visa?", "Visa renewal process", "Best pizza in town"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32 and vectors.flags.c_contiguous
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.encode([]).shape == (0, 384)


def test_wrong_expected_digest_raises_integrity_error():
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        Embedder(expected_sha256="0" * 64)


def test_integrity_error_is_an_unavailable_error(tmp_path):
    """Callers that fall back on EmbedderUnavailable also fall back on tampered weights."""
    (tmp_path / "model.safetensors").write_bytes(b"tampered")
    with pytest.raises(EmbedderUnavailable):
        Embedder(str(tmp_path), expected_sha256=DEFAULT_MODEL_SHA256)


def test_missing_model_raises_unavailable(tmp_path):
    with pytest.raises(EmbedderUnavailable, match="cannot load"):
        Embedder(str(tmp_path / "nope"))
    with pytest.raises(EmbedderUnavailable):
        Embedder("no-such-org/no-such-model-xyz")


def test_installed_weights_match_the_constant():
    assert file_sha256(default_model_path() / "model.safetensors") == DEFAULT_MODEL_SHA256


def test_library_never_imports_the_web_framework():
    import subprocess
    import sys

    code = (
        "import sys, search, search.embedder, search.index, search.lexical, search.fusion, "
        "search.text, search.engine, search.metrics, search.evaluation\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('flask', 'forum')]\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
