"""Why a requirement and an achievement were paired, in their own words: the sentence of each
that share the most informative terms. Brokers judge a suggestion far faster from two quoted
sentences than from a score."""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

from matchmaking.lexical import tokenize

# A sentence ends after Chinese or English end punctuation (and any closing quote or bracket that
# follows it), after ". " and at a line break; canonical texts put title, keywords, etc. on lines.
_END = "。！？；!?;"
_CLOSE = "”’」』）)\"'"
_BOUNDARY = re.compile(rf"(?<=[{_END}])(?![{_END}{_CLOSE}])|(?<=[{_END}][{_CLOSE}])|(?<=\.)(?=\s)|\n")
MIN_SENTENCE_CHARS = 4
MAX_SHARED_TERMS = 8


def split_sentences(text: str, *, max_sentences: int = 40) -> list[str]:
    """The first ``max_sentences`` sentences, punctuation kept, whitespace stripped; fragments
    shorter than 4 characters ("1.", "注：") are dropped rather than merged into a neighbour.
    Stops scanning once it has enough, so a huge text costs no more than its beginning."""
    sentences: list[str] = []
    start = 0
    for boundary in chain(_BOUNDARY.finditer(text), [None]):
        if len(sentences) >= max_sentences:
            break
        end = boundary.start() if boundary else len(text)
        sentence = text[start:end].strip()
        if len(sentence) >= MIN_SENTENCE_CHARS:
            sentences.append(sentence)
        start = boundary.end() if boundary else end
    return sentences


def quote(sentence: str, limit: int = 160) -> str:
    """``sentence`` cut to at most ``limit`` characters, the cut marked with "…"."""
    sentence = sentence.strip()
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class SentenceMatch:
    requirement: str  # the whole sentence; ``quote`` it for display
    achievement: str
    score: float  # idf-weighted cosine of the two sentences' term sets, 0..1
    shared_terms: tuple[str, ...]  # most informative (highest idf) first, at most 8


def best_sentence_pair(req_text: str, ach_text: str, idf: Callable[[str], float]) -> SentenceMatch | None:
    """The pair of sentences, one from each text, whose terms overlap best, or None when no pair
    shares a term (typically Chinese against English: the caller then compares embeddings).

    A pair scores the cosine of the sentences' term sets weighted by idf,
    ``Σ_shared idf² / sqrt(Σ_req idf² · Σ_ach idf²)``: rare shared terms count most, a long
    sentence cannot win by size alone (its other terms only enlarge its norm), yet common words
    it also contains barely dilute it, unlike a division by raw sentence lengths. Ties go to the
    pair sharing more terms, then to the earlier sentences (titles and summaries come first).
    """
    weights: dict[str, float] = {}

    def weigh(terms: frozenset[str]) -> float:
        for term in terms - weights.keys():
            weights[term] = idf(term)
        return sum(weights[term] ** 2 for term in terms)

    ach_side = [(sentence, terms, weigh(terms)) for sentence, terms in _sentence_terms(ach_text)]
    best: SentenceMatch | None = None
    best_key = (-1.0, 0)
    for req_sentence, req_terms in _sentence_terms(req_text):
        req_norm = weigh(req_terms)
        for ach_sentence, ach_terms, ach_norm in ach_side:
            shared = req_terms & ach_terms
            if not shared:
                continue
            norm = math.sqrt(req_norm * ach_norm)
            score = sum(weights[term] ** 2 for term in shared) / norm if norm else 0.0
            if (score, len(shared)) > best_key:
                best_key = (score, len(shared))
                ranked = sorted(shared, key=lambda term: (-weights[term], term))[:MAX_SHARED_TERMS]
                best = SentenceMatch(req_sentence, ach_sentence, score, tuple(ranked))
    return best


@lru_cache(maxsize=4096)
def _sentence_terms(text: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """Cached: a run explains each listing against several partners."""
    return tuple((sentence, frozenset(tokenize(sentence))) for sentence in split_sentences(text))
