"""FAISS nearest-neighbour indexes: the only module that imports faiss.

Ids are listing primary keys (one index per listing kind and encoder). Vectors are
L2-normalised, so inner product is cosine similarity. Up to ``HNSW_THRESHOLD`` vectors an
exact ``IndexFlatIP`` is used (exact, and as fast as HNSW in batched search at that size —
BENCHMARKS.md); above it HNSW keeps single-query latency low for one-click search.

An index file is derived data: it is written atomically next to a JSON sidecar (encoder,
dimension, count, checksum of the file, checksum of the database rows it was built from) and
rebuilt from the database whenever it is missing, corrupt or behind (``sync_index``)."""

import fcntl
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

logger = logging.getLogger(__name__)

HNSW_THRESHOLD = 50_000
HNSW_M = 32
HNSW_EF_SEARCH = 128
IVF_NPROBE = 16


def _faiss():
    import faiss

    threads = getattr(settings, "TECHDOCK_ENCODER_THREADS", None)
    if threads:
        faiss.omp_set_num_threads(int(threads))
    return faiss


class IndexCorrupt(Exception):
    pass


class VectorIndex:
    """A FAISS index over (id, vector) pairs with search returning ids, not positions."""

    def __init__(self, faiss_index, method: str):
        self._index = faiss_index
        self.method = method

    @classmethod
    def build(cls, ids: np.ndarray, vectors: np.ndarray, *, method: str = "auto") -> "VectorIndex":
        faiss = _faiss()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else int(vectors.shape[-1] or 1)
        if method == "auto":
            method = "hnsw" if len(ids) > HNSW_THRESHOLD else "flat"
        if method == "hnsw":
            base = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = 80
            base.hnsw.efSearch = HNSW_EF_SEARCH
            index = faiss.IndexIDMap(base)
        elif method == "ivf":
            # Inverted lists over k-means cells: a batch of queries scans only nprobe cells each.
            nlist = max(1, min(int(4 * np.sqrt(max(len(ids), 1))), max(len(ids) // 39, 1)))
            quantizer = faiss.IndexFlatIP(dim)
            base = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            if len(ids):
                # k-means on a sample (FAISS's own guidance: 30–256 points per cell) is as good
                # as on everything and many times faster at 100k+ vectors.
                sample = np.random.default_rng(0).choice(len(ids), min(len(ids), 64 * nlist), replace=False)
                base.train(vectors[np.sort(sample)])
            base.nprobe = min(IVF_NPROBE, nlist)
            index = faiss.IndexIDMap(base)
        else:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        if len(ids):
            index.add_with_ids(vectors, ids)
        return cls(index, method)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n, k); ids are -1 where fewer than k vectors exist."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        if len(self) == 0 or k <= 0:
            shape = (queries.shape[0], max(k, 0))
            return np.full(shape, -np.inf, dtype=np.float32), np.full(shape, -1, dtype=np.int64)
        scores, ids = self._index.search(queries, min(k, len(self)))
        if ids.shape[1] < k:
            pad = k - ids.shape[1]
            scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
            ids = np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)
        return scores, ids

    def ids(self) -> np.ndarray:
        return _faiss().vector_to_array(self._index.id_map).astype(np.int64)

    def to_bytes(self) -> bytes:
        return _faiss().serialize_index(self._index).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, method: str) -> "VectorIndex":
        return cls(_faiss().deserialize_index(np.frombuffer(data, dtype=np.uint8)), method)


# --- files -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndexInfo:
    kind: str
    model: str
    dim: int
    count: int
    method: str
    checksum: str  # sha256 of the index file
    db_checksum: str  # sha256 of the (id, content hash) rows it was built from


def index_dir() -> Path:
    return Path(settings.VAR_DIR) / "index"


def _slug(model: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in model)


def index_path(kind: str, model: str) -> Path:
    return index_dir() / f"{kind}-{_slug(model)}.faiss"


def sidecar_path(kind: str, model: str) -> Path:
    return index_path(kind, model).with_suffix(".json")


def rows_checksum(ids: np.ndarray, hashes: list[str]) -> str:
    digest = hashlib.sha256()
    for listing_id, content_hash in sorted(zip(ids.tolist(), hashes, strict=True)):
        digest.update(f"{listing_id}:{content_hash};".encode())
    return digest.hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_index(kind: str, model: str, index: VectorIndex, db_checksum: str) -> IndexInfo:
    """The index file first, then its sidecar: a reader that sees the new sidecar finds the new file."""
    data = index.to_bytes()
    info = IndexInfo(kind=kind, model=model, dim=index.dim, count=len(index), method=index.method,
                     checksum=hashlib.sha256(data).hexdigest(), db_checksum=db_checksum)
    _atomic_write(index_path(kind, model), data)
    _atomic_write(sidecar_path(kind, model), json.dumps(info.__dict__, indent=2).encode())
    return info


def read_info(kind: str, model: str) -> IndexInfo | None:
    try:
        return IndexInfo(**json.loads(sidecar_path(kind, model).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def read_index(kind: str, model: str) -> tuple[VectorIndex, IndexInfo]:
    """Load and verify an index file against its sidecar; ``IndexCorrupt`` when they disagree."""
    info = read_info(kind, model)
    if info is None:
        raise IndexCorrupt(f"no readable sidecar at {sidecar_path(kind, model)}")
    try:
        data = index_path(kind, model).read_bytes()
    except OSError as exc:
        raise IndexCorrupt(f"index file unreadable: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != info.checksum:
        raise IndexCorrupt(f"checksum mismatch for {index_path(kind, model)}")
    try:
        index = VectorIndex.from_bytes(data, info.method)
    except RuntimeError as exc:
        raise IndexCorrupt(str(exc)) from exc
    if len(index) != info.count or index.dim != info.dim:
        raise IndexCorrupt("index size or dimension differs from its sidecar")
    return index, info


class index_lock:
    """An exclusive file lock so that two workers never write the same index at once."""

    def __init__(self, kind: str, model: str):
        self.path = index_path(kind, model).with_suffix(".lock")

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w")  # noqa: SIM115 - closed in __exit__
        fcntl.flock(self._fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()


_cache: dict[tuple[str, str], tuple[str, VectorIndex]] = {}


def cached_index(kind: str, model: str) -> tuple[VectorIndex, IndexInfo] | None:
    """This process's copy of an index, reloaded when the sidecar's checksum changes."""
    info = read_info(kind, model)
    if info is None:
        return None
    hit = _cache.get((kind, model))
    if hit and hit[0] == info.checksum:
        return hit[1], info
    try:
        index, info = read_index(kind, model)
    except IndexCorrupt as exc:
        logger.warning("matchmaking index %s/%s unusable: %s", kind, model, exc)
        return None
    _cache[(kind, model)] = (info.checksum, index)
    return index, info
