"""Tokenisation of Chinese, English and mixed text, and BM25 against a brute-force reference."""

import math
from collections import Counter

import numpy as np
import pytest

from matchmaking.lexical import BM25, TokenOptions, _TermCache, bm25_query_scores, document_terms, tokenize


def test_english_is_lowercased_stripped_of_stop_words_and_plurals():
    tokens = tokenize("The Studies of Cells using 5G networks and CO2 capture processes.")

    assert tokens == ["study", "cell", "using", "5g", "network", "co2", "capture", "process"]


def test_plural_stripping_leaves_singular_words_ending_in_s_alone():
    assert tokenize("virus analysis mass cases approaches") == ["virus", "analysis", "mass", "case", "approach"]


def test_chinese_yields_words_and_their_sub_words_without_function_words_or_punctuation():
    tokens = tokenize("飞行器姿态控制系统的数学模型。")

    assert {"飞行器", "姿态", "控制", "姿态控制", "系统", "数学模型", "模型"} <= set(tokens)
    assert "的" not in tokens
    assert "。" not in "".join(tokens)


def test_mixed_text_keeps_both_scripts_and_normalises_full_width_and_subscripts():
    tokens = tokenize("基于５Ｇ的CO₂捕集：Wi-Fi模块，锂电池")

    assert tokens == ["基于", "5g", "co2", "捕", "集", "wi", "fi", "模块", "锂电", "电池", "锂电池"]


def test_accents_are_folded_and_empty_text_has_no_tokens():
    assert tokenize("Müller café") == ["muller", "cafe"]
    assert tokenize("") == []
    assert tokenize("，。！？ ... ---") == []


@pytest.mark.parametrize("chinese", ["cut", "search", "bigram", "cut+bigram"])
def test_every_chinese_variant_tokenises(chinese):
    tokens = tokenize("石墨烯导热膜", TokenOptions(chinese=chinese))

    assert tokens and all(token in "石墨烯导热膜" for token in tokens)


def test_ing_ed_stripping_meets_the_base_form():
    assert tokenize("coded coding hoped", TokenOptions(stem="plural+ing")) == ["code", "code", "hope"]


def test_bm25_ranks_the_relevant_english_document_first():
    docs = [
        "Lithium battery recycling by hydrometallurgy recovers cobalt and nickel.",
        "Welding robots with vision guidance for automotive body lines.",
        "Graphene thermal films for smartphone heat dissipation.",
        "A survey of robots in agriculture.",
    ]
    bm25 = BM25([tokenize(doc) for doc in docs])

    _, indices = bm25.top_k([tokenize("vision-guided welding robot"), tokenize("recycle lithium batteries")], 2)

    assert indices[:, 0].tolist() == [1, 0]


def test_bm25_ranks_the_relevant_chinese_document_first():
    docs = [
        "废旧锂电池湿法回收钴镍技术",
        "基于视觉引导的汽车车身焊接机器人",
        "石墨烯导热膜用于手机散热",
        "农业机器人研究综述",
    ]
    bm25 = BM25([tokenize(doc) for doc in docs])

    _, indices = bm25.top_k([tokenize("需要焊接机器人视觉系统"), tokenize("手机散热材料")], 2)

    assert indices[:, 0].tolist() == [1, 2]


def test_idf_is_zero_for_unknown_terms_and_larger_for_rarer_ones():
    bm25 = BM25([["a", "b"], ["a", "c"], ["a"]])

    assert bm25.idf("zzz") == 0.0
    assert bm25.idf("b") > bm25.idf("a") > 0.0
    assert bm25.idf("b") == pytest.approx(math.log(1 + (3 - 1 + 0.5) / (1 + 0.5)))


def test_query_matrix_counts_known_terms_and_drops_unknown_ones():
    bm25 = BM25([["a", "b"], ["c"]])

    matrix = bm25.query_matrix([["a", "a", "zzz"], ["zzz"]])

    assert matrix.shape == (2, 3)
    assert matrix.toarray().tolist() == [[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]


def random_corpus(seed: int, n_docs: int = 60, n_queries: int = 23):
    rng = np.random.default_rng(seed)
    # Zipf-like term frequencies, so some terms are common and some rare
    vocabulary = [f"t{i}" for i in range(40)]
    p = 1 / np.arange(1, 41)
    p /= p.sum()
    docs = [list(rng.choice(vocabulary, size=rng.integers(0, 30), p=p)) for _ in range(n_docs)]
    queries = [list(rng.choice(vocabulary, size=rng.integers(1, 4))) for _ in range(n_queries - 2)]
    queries += [["unknown"], ["t39", "unknown"]]  # nothing matches; perhaps one document matches
    return docs, queries


def brute_force(docs, queries, k1=1.2, b=0.75) -> np.ndarray:
    n = len(docs)
    avg = sum(map(len, docs)) / n
    df = Counter(term for doc in docs for term in set(doc))
    scores = np.zeros((len(queries), n))
    for qi, query in enumerate(queries):
        for di, doc in enumerate(docs):
            tf = Counter(doc)
            for term in query:
                if tf[term]:
                    idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
                    scores[qi, di] += idf * tf[term] * (k1 + 1) / (tf[term] + k1 * (1 - b + b * len(doc) / avg))
    return scores


@pytest.mark.parametrize(("k1", "b", "block"), [(1.2, 0.75, 8192), (0.9, 0.4, 7)])
def test_score_pairs_equals_brute_force(k1, b, block):
    docs, queries = random_corpus(seed=1)
    expected = brute_force(docs, queries, k1, b)
    rng = np.random.default_rng(2)
    q_idx = rng.integers(0, len(queries), size=500)
    d_idx = rng.integers(0, len(docs), size=500)

    scores = BM25(docs, k1=k1, b=b).score_pairs(queries, q_idx, d_idx, block=block)

    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, expected[q_idx, d_idx], rtol=1e-5, atol=1e-6)


def test_score_pairs_of_no_pairs_is_empty():
    scores = BM25([["a"]]).score_pairs([["a"]], np.array([], dtype=np.int64), np.array([], dtype=np.int64))

    assert scores.shape == (0,) and scores.dtype == np.float32


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_top_k_equals_brute_force_in_blocks_smaller_than_the_query_count(seed):
    docs, queries = random_corpus(seed)
    expected = brute_force(docs, queries)
    k = 12

    scores, indices = BM25(docs).top_k(queries, k, block=5)

    assert scores.shape == indices.shape == (len(queries), k)
    assert scores.dtype == np.float32 and indices.dtype == np.int64
    for qi, row in enumerate(expected):
        order = sorted(range(len(docs)), key=lambda d, row=row: (-row[d], d))
        best = [d for d in order[:k] if row[d] > 0]
        want = best + [-1] * (k - len(best))
        assert indices[qi].tolist() == want
        np.testing.assert_allclose(scores[qi], [row[d] if d >= 0 else 0.0 for d in want], rtol=1e-5, atol=1e-6)
    assert indices[-2].tolist() == [-1] * k
    assert any(0 < (row == -1).sum() < k for row in indices)  # partly padded rows were exercised


def test_top_k_breaks_ties_by_document_order_and_pads_beyond_the_corpus():
    bm25 = BM25([["x"], ["y"], ["x"], ["x"]])

    scores, indices = bm25.top_k([["x"]], 6, block=1)

    assert indices.tolist() == [[0, 2, 3, -1, -1, -1]]
    assert scores[0, 0] == scores[0, 1] == scores[0, 2] > 0 and scores[0, 3:].tolist() == [0.0, 0.0, 0.0]


def test_an_empty_corpus_scores_nothing():
    bm25 = BM25([])

    scores, indices = bm25.top_k([["x"]], 3)

    assert bm25.n_docs == 0 and bm25.idf("x") == 0.0
    assert indices.tolist() == [[-1, -1, -1]] and scores.tolist() == [[0.0, 0.0, 0.0]]


def test_document_terms_are_the_tokens_remembered_by_content():
    text = "钙钛矿太阳能电池的封装工艺 perovskite modules"

    first = document_terms(text)

    assert list(first) == tokenize(text)
    assert document_terms(text) is first  # remembered
    assert document_terms(text + " films") == (*first, "film")  # another text, another entry
    assert list(document_terms(text, TokenOptions(chinese="bigram"))) == tokenize(text, TokenOptions(chinese="bigram"))


def test_term_cache_forgets_the_least_recently_used_beyond_its_size():
    cache = _TermCache(maxsize=2)
    options = TokenOptions()
    a, b = cache.terms("alpha", options), cache.terms("beta", options)

    assert cache.terms("alpha", options) is a  # alpha is now the most recent
    cache.terms("gamma", options)  # evicts beta

    assert cache.terms("alpha", options) is a
    assert cache.terms("beta", options) is not b
    assert cache.terms("beta", options) == b


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_query_scores_equal_the_full_bm25(seed):
    rng = np.random.default_rng(seed)
    vocabulary = [f"t{i}" for i in range(40)]
    docs = [tuple(rng.choice(vocabulary, size=rng.integers(0, 30))) for _ in range(60)]
    query = [*rng.choice(vocabulary, size=5), "t3", "t3", "absent"]  # a repeated and an unknown term

    expected = BM25(docs).score_pairs([query], np.zeros(len(docs), dtype=np.int64), np.arange(len(docs)))

    np.testing.assert_allclose(bm25_query_scores(query, docs), expected, rtol=1e-5, atol=1e-6)
    assert bm25_query_scores(query, []).shape == (0,)
