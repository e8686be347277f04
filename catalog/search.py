"""Chinese-aware keyword search. Text is segmented with jieba (search mode, which also emits
the sub-words of long compounds) and English is lower-cased, so a plain whitespace tokeniser
(PostgreSQL's ``simple`` config, or ``LIKE`` on SQLite) can match Chinese words."""

import re
from functools import lru_cache

_TOKEN_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z\-\.\+#]*|[\u3400-\u9fff]+")
_PUNCT_STRIP = "-.+"


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def tokens(text: str, *, for_index: bool) -> list[str]:
    """Lower-cased tokens: English words and numbers as they are, Chinese runs segmented."""
    out: list[str] = []
    for match in _TOKEN_RE.finditer(text or ""):
        chunk = match.group(0)
        if chunk[0].isascii():
            word = chunk.lower().strip(_PUNCT_STRIP)
            if word:
                out.append(word)
            continue
        jieba = _jieba()
        words = jieba.cut_for_search(chunk) if for_index else jieba.cut(chunk)
        out.extend(w for w in words if w.strip())
    return out


def build_search_text(*parts: str, terms: list[str] | tuple[str, ...] = ()) -> str:
    """Space-separated unique tokens, padded with a space at each end so that a token can be
    matched exactly with ``LIKE '% token %'`` on SQLite. ``terms`` (keywords) are also kept
    whole, so a keyword the owner chose is found even where jieba splits it."""
    seen: dict[str, None] = {}
    for term in terms:
        word = "".join((term or "").lower().split())
        if word:
            seen.setdefault(word, None)
    for part in parts:
        for token in tokens(part, for_index=True):
            seen.setdefault(token, None)
    return f" {' '.join(seen)} " if seen else ""


def query_tokens(query: str) -> list[str]:
    """Tokens a query must all match. Stop characters that carry no meaning are dropped."""
    result = []
    for token in tokens(query[:200], for_index=False):
        if token in _STOP:
            continue
        result.append(token)
    return list(dict.fromkeys(result))[:12]


_STOP = {"的", "和", "与", "及", "或", "在", "了", "是", "a", "an", "the", "of", "and", "or", "for", "in", "to", "with"}
