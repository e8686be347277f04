"""Lexical matching: one tokeniser for Chinese, English and mixed text, and Okapi BM25 over it.

Why lexical at all when there are embeddings: exact technical terms (a compound, a standard, a
model number such as "5g" or "co2") are what brokers look for, and BM25 finds them reliably
where a small multilingual embedding model blurs them.

Tokenisation (defaults chosen by measurement: run ``scripts/eval_lexical.py`` for the table):
- the text is NFKD-normalised (full-width letters and digits become ASCII, accents are dropped)
  and lowercased; punctuation and symbols, CJK or ASCII, are dropped;
- Latin script: ``[a-z0-9]+`` runs ("5g", "co2"), English stop words removed, plurals stripped
  (+0.02 nDCG@10 on SciFact; -ing/-ed stripping added nothing; stop words cost nothing measurable
  and keep "the" out of the shared terms that explain a match);
- Chinese: jieba's search mode (words plus their dictionary sub-words, so "姿态控制" also yields
  "姿态" and "控制") without jieba's HMM for unknown words (as good, faster), Chinese function
  words removed. It was best, or within 0.001 of the best, on every CSL task, and among the best
  at ranking same-discipline papers next (title → abstracts: 0.182, plain cut 0.166, bigrams
  0.170). Character bigrams are about eight times faster and as good at finding a paper's own
  abstract, but a shared "态控" would explain nothing to a broker. jieba is the cost: roughly
  2,000 Chinese abstracts of 210 characters a second on one core.
"""

import hashlib
import re
import sys
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from itertools import chain, repeat
from typing import Literal

import numpy as np
from scipy import sparse

ChineseMode = Literal["cut", "search", "bigram", "cut+bigram"]
StemMode = Literal["none", "plural", "plural+ing"]


@dataclass(frozen=True)
class TokenOptions:
    """Tokenisation variants, kept so that ``scripts/eval_lexical.py`` can re-measure them."""

    chinese: ChineseMode = "search"
    jieba_hmm: bool = False
    stem: StemMode = "plural"
    stop_words: bool = True


DEFAULT_OPTIONS = TokenOptions()

# Lucene's classic English stop set plus a few function words common in claims and abstracts;
# besides BM25 they keep "the" and "of" out of the shared terms that explain a match.
STOP_WORDS = frozenset(
    "a an and are as at be been but by for from has have if in into is it its no not of on or such that the their "
    "then there these they this to was were which will with we our".split()
)
CHINESE_STOP_WORDS = frozenset(
    "的 了 和 与 及 或 在 是 为 对 等 中 将 把 被 以 于 其 之 并 也 都 而 这 那 个 一 上 下 从 由".split()
)

_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[a-z0-9]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")


@cache
def _jieba():
    """jieba's dictionary takes about a second and ~100 MB to load: load it once, on first use.
    The default tokenizer, which the catalogue's keyword search (catalog.search) also uses: one
    dictionary per process (neither adds words to it)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.dt.initialize()
    return jieba.dt


def _bigrams(run: str) -> list[str]:
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def _chinese(run: str, options: TokenOptions) -> list[str]:
    if options.chinese == "bigram":
        words = _bigrams(run)
    elif options.chinese == "search":
        words = _jieba().lcut_for_search(run, HMM=options.jieba_hmm)
    else:
        words = _jieba().lcut(run, HMM=options.jieba_hmm)
        if options.chinese == "cut+bigram":
            words += [gram for word in words if len(word) > 2 for gram in _bigrams(word)]
    if options.stop_words:
        return [word for word in words if word not in CHINESE_STOP_WORDS]
    return words


@lru_cache(maxsize=200_000)
def _stem(word: str, mode: StemMode) -> str:
    """Plural stripping in the spirit of Harman's S-stemmer: "studies" → "study", "processes" →
    "process", "approaches" → "approach", but "cases" → "case" (most "-ses" plurals come from
    "-se" words: disease, dose, phase) and "mass", "virus", "analysis" unchanged. Optionally also
    "-ing"/"-ed" with the fix-ups of Porter's step 1b, so that "coding"/"code" and "hoped"/"hope" meet."""
    if mode == "none" or len(word) <= 3 or word[-1].isdigit():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        word = word[:-3] + "y"
    elif word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("us", "ss", "is")):
        word = word[:-1]
    if mode == "plural+ing":
        for suffix in ("ing", "ed"):
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and len(stem) >= 3 and re.search("[aeiouy]", stem):
                return _porter_1b_fixup(stem)
    return word


def _porter_1b_fixup(stem: str) -> str:
    if stem.endswith(("at", "bl", "iz")):
        return stem + "e"
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz" and stem[-1] not in "aeiou":
        return stem[:-1]
    if len(stem) == 3 and stem[0] not in "aeiou" and stem[1] in "aeiou" and stem[2] not in "aeiouwxy":
        return stem + "e"
    return stem


def tokenize(text: str, options: TokenOptions = DEFAULT_OPTIONS) -> list[str]:
    """Terms of ``text`` for BM25 and for explaining a match; mixed Chinese/English text works."""
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", text)).lower()
    tokens: list[str] = []
    for match in _TOKEN.finditer(text):
        run = match.group()
        if not run.isascii():
            tokens.extend(_chinese(run, options))
        elif not (options.stop_words and run in STOP_WORDS):
            tokens.append(_stem(run, options.stem))
    return tokens


class _TermCache:
    """A bounded LRU of documents' terms, keyed by a digest of the text (not the text: a listing's
    canonical text is up to 6,000 characters) and the options. Terms are interned, so the cache
    costs about 8 bytes a term: 20,000 documents of 300 terms are ~50 MB. Thread-safe (gthread)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self._data: OrderedDict[tuple[bytes, TokenOptions], tuple[str, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def terms(self, text: str, options: TokenOptions) -> tuple[str, ...]:
        key = (hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest(), options)
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
                return found
        found = tuple(sys.intern(term) for term in tokenize(text, options))
        with self._lock:
            self._data[key] = found
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_DOCUMENT_TERMS = _TermCache(maxsize=20_000)


def document_terms(text: str, options: TokenOptions = DEFAULT_OPTIONS) -> tuple[str, ...]:
    """``tokenize(text)``, remembered per process: search re-ranks the same listings query after
    query, and jieba on a listing's 2,000 characters costs ~3 ms (~300 ms for a page of results)."""
    return _DOCUMENT_TERMS.terms(text, options)


def _idf(n_docs: int, df):
    """Lucene's BM25 idf, ``log(1 + (N - df + 0.5) / (df + 0.5))``, as float32."""
    return np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)


def _length_norm(docs: Sequence[Sequence[str]], k1: float, b: float) -> np.ndarray:
    """``k1 * (1 - b + b * |d| / avgdl)`` of each document."""
    lengths = np.fromiter(map(len, docs), dtype=np.float32, count=len(docs))
    avg_length = float(lengths.mean()) if len(docs) and lengths.any() else 1.0
    return k1 * (1 - b + b * lengths / avg_length)


def bm25_query_scores(query: Sequence[str], docs: Sequence[Sequence[str]], *, k1: float = 1.2,
                      b: float = 0.75) -> np.ndarray:
    """BM25 of one query against each of ``docs`` — the scores of ``BM25(docs).score_pairs([query],
    ...)`` — counting only the query's terms: search re-ranks a few hundred listings per request, and
    building the pool's whole vocabulary and weight matrix was most of that cost."""
    n = len(docs)
    scores = np.zeros(n, dtype=np.float32)
    if not n:
        return scores
    norm = _length_norm(docs, k1, b)
    for term in dict.fromkeys(query):  # each distinct term once, weighted by its count in the query
        tf = np.fromiter((doc.count(term) for doc in docs), dtype=np.float32, count=n)
        df = np.count_nonzero(tf)
        if not df:
            continue
        weight = (_idf(n, df) * tf * (k1 + 1) / (tf + norm)).astype(np.float32)
        scores += np.float32(query.count(term)) * weight
    return scores


class BM25:
    """Okapi BM25 over pre-tokenised documents, with every document's term weights precomputed
    into a sparse matrix so that scoring is sparse matrix algebra rather than Python loops.

    ``idf = log(1 + (N - df + 0.5) / (df + 0.5))`` (Lucene's variant) is never negative, so a term
    present in most documents adds a little instead of penalising the documents that contain it.
    """

    def __init__(self, docs: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75):
        self.n_docs = len(docs)
        self.vocabulary = {term: i for i, term in enumerate(dict.fromkeys(chain.from_iterable(docs)))}
        rows, cols = _term_ids(docs, self.vocabulary)
        counts = sparse.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(self.n_docs, len(self.vocabulary))
        )
        counts.sum_duplicates()
        df = np.bincount(counts.indices, minlength=len(self.vocabulary))
        self._idf = _idf(self.n_docs, df)
        norm = _length_norm(docs, k1, b)
        tf = counts.data
        doc_of_entry = np.repeat(np.arange(self.n_docs), np.diff(counts.indptr))
        counts.data = (self._idf[counts.indices] * tf * (k1 + 1) / (tf + norm[doc_of_entry])).astype(np.float32)
        self.weights: sparse.csr_matrix = counts

    def idf(self, term: str) -> float:
        index = self.vocabulary.get(term)
        return 0.0 if index is None else float(self._idf[index])

    def query_matrix(self, queries: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        """(n_queries, V) term counts; terms absent from the corpus cannot score and are dropped."""
        rows, cols = _term_ids(queries, self.vocabulary)
        matrix = sparse.csr_matrix(
            (np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(len(queries), len(self.vocabulary))
        )
        matrix.sum_duplicates()
        return matrix

    def score_pairs(
        self, queries: Sequence[Sequence[str]], q_idx: np.ndarray, d_idx: np.ndarray, *, block: int = 8192
    ) -> np.ndarray:
        """BM25 score of ``queries[q_idx[i]]`` against document ``d_idx[i]``: row-wise products of
        sparse rows, ``block`` pairs at a time (the copied document rows of 100k pairs of long
        texts would take gigabytes at once)."""
        q_matrix = self.query_matrix(queries)
        q_idx, d_idx = np.asarray(q_idx), np.asarray(d_idx)
        scores = np.empty(len(q_idx), dtype=np.float32)
        for start in range(0, len(q_idx), block):
            part = slice(start, start + block)
            products = q_matrix[q_idx[part]].multiply(self.weights[d_idx[part]])
            scores[part] = np.asarray(products.sum(axis=1)).ravel()
        return scores

    def top_k(self, queries: Sequence[Sequence[str]], k: int, *, block: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best documents of each query: (scores desc, doc indices), -1 / 0.0 where fewer
        than ``k`` documents score above zero. Queries go ``block`` at a time so that the dense
        score block stays ``block × n_docs``; ties are broken by the lower document index."""
        q_matrix = self.query_matrix(queries)
        n_queries = q_matrix.shape[0]
        scores = np.zeros((n_queries, k), dtype=np.float32)
        indices = np.full((n_queries, k), -1, dtype=np.int64)
        kept = min(k, self.n_docs)
        if kept == 0:
            return scores, indices
        for start in range(0, n_queries, block):
            dense = (q_matrix[start : start + block] @ self._weights_t).toarray()
            best = _best_columns(dense, kept)
            best_scores = np.take_along_axis(dense, best, axis=1)
            order = np.lexsort((best, -best_scores), axis=1)
            best = np.take_along_axis(best, order, axis=1)
            best_scores = np.take_along_axis(best_scores, order, axis=1)
            positive = best_scores > 0
            scores[start : start + block, :kept] = np.where(positive, best_scores, 0.0)
            indices[start : start + block, :kept] = np.where(positive, best, -1)
        return scores, indices

    @cached_property
    def _weights_t(self) -> sparse.csr_matrix:
        return self.weights.T.tocsr()


def _best_columns(dense: np.ndarray, k: int) -> np.ndarray:
    """Column indices (ascending) of the ``k`` largest values of each row, where a tie at the k-th
    value goes to the lower columns — so the result does not depend on the partition algorithm."""
    n = dense.shape[1]
    threshold = np.partition(dense, n - k, axis=1)[:, n - k, None]
    above = dense > threshold
    at = dense == threshold
    room = k - above.sum(axis=1, keepdims=True)
    chosen = above | (at & (np.cumsum(at, axis=1, dtype=np.int32) <= room))
    return np.nonzero(chosen)[1].reshape(dense.shape[0], k)


def _term_ids(docs: Sequence[Sequence[str]], vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(row, term id) of every token that ``vocabulary`` knows."""
    rows = np.repeat(np.arange(len(docs)), [len(doc) for doc in docs])
    tokens = chain.from_iterable(docs)
    ids = np.fromiter(map(vocabulary.get, tokens, repeat(-1)), dtype=np.int64, count=len(rows))
    known = ids >= 0
    return rows[known], ids[known]
