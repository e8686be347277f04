"""Sentence splitting and the sentence pair quoted to explain a suggestion."""

import pytest

from matchmaking.explain import best_sentence_pair, quote, split_sentences
from matchmaking.lexical import BM25, tokenize


def test_chinese_sentences_keep_their_punctuation_and_closing_quotes():
    text = "本项目研发锂电池正极材料。他说：“效果很好！”能量密度提升了吗？提升了百分之三十；成本下降"

    assert split_sentences(text) == [
        "本项目研发锂电池正极材料。", "他说：“效果很好！”", "能量密度提升了吗？", "提升了百分之三十；", "成本下降",
    ]


def test_english_sentences_split_at_full_stops_and_line_breaks_but_not_inside_numbers():
    text = "The cell voltage is 3.5 V. It charges fast!  Does it last?\nTitle line\nok\n"

    assert split_sentences(text) == ["The cell voltage is 3.5 V.", "It charges fast!", "Does it last?", "Title line"]


def test_mixed_text_and_short_fragments():
    text = "项目采用5G通信技术。It uses a CO2 sensor. 注：\n1.\n完成了中试。"

    assert split_sentences(text) == ["项目采用5G通信技术。", "It uses a CO2 sensor.", "完成了中试。"]


def test_empty_and_blank_texts_have_no_sentences():
    assert split_sentences("") == []
    assert split_sentences("  \n\n 。。 ") == []


def test_huge_texts_are_cut_at_max_sentences():
    assert split_sentences("a" * 100_000) == ["a" * 100_000]
    assert split_sentences("这是一个句子。" * 15_000) == ["这是一个句子。"] * 40
    assert len(split_sentences("这是一个句子。" * 15_000, max_sentences=3)) == 3


def test_quote_trims_long_sentences_with_an_ellipsis():
    assert quote("  短句。 ") == "短句。"
    long = quote("x" * 500, limit=160)
    assert len(long) == 160 and long.endswith("…")


REQ_ZH = "需求来自汽车零部件企业。我们需要一种用于车身焊接的视觉引导机器人系统，提高焊接精度。希望尽快合作。"
ACH_ZH = "本成果来自机械学院。研制了基于视觉引导的焊接机器人，焊接精度达到0.1毫米。已在多家企业试用。"
REQ_EN = "We are a shipping company. We need a coating that resists corrosion in seawater. Budget is limited."
ACH_EN = "Our lab has ten staff. A graphene coating resists seawater corrosion for ten years. Patented in 2021."


def idf_of(*texts: str):
    return BM25([tokenize(text) for text in texts]).idf


def test_the_chinese_sentences_about_the_same_technology_are_paired():
    match = best_sentence_pair(REQ_ZH, ACH_ZH, idf_of(REQ_ZH, ACH_ZH, "企业合作项目。"))

    assert match is not None
    assert match.requirement == "我们需要一种用于车身焊接的视觉引导机器人系统，提高焊接精度。"
    assert match.achievement == "研制了基于视觉引导的焊接机器人，焊接精度达到0.1毫米。"
    assert {"焊接", "视觉", "机器人", "精度"} <= set(match.shared_terms)
    assert 0 < match.score <= 1


def test_the_english_sentences_about_the_same_technology_are_paired():
    match = best_sentence_pair(REQ_EN, ACH_EN, idf_of(REQ_EN, ACH_EN))

    assert match is not None
    assert match.requirement == "We need a coating that resists corrosion in seawater."
    assert match.achievement == "A graphene coating resists seawater corrosion for ten years."
    assert set(match.shared_terms) == {"coating", "resist", "corrosion", "seawater"}


def test_shared_terms_are_ordered_by_idf_and_capped_at_eight():
    terms = [f"term{i}" for i in range(12)]
    sentence = " ".join(terms) + "."
    idf = {term: float(i) for i, term in enumerate(terms)}.get

    match = best_sentence_pair(sentence, sentence, lambda term: idf(term, 0.0))

    assert match.shared_terms == tuple(reversed(terms))[:8]
    assert match.score == pytest.approx(1.0)


def test_a_rare_shared_term_outweighs_a_common_one():
    req = "The company wants sensors. The company wants lidar."
    ach = "Cheap sensors are sold here. Lidar units are sold here."
    idf = {"sensor": 0.1, "lidar": 5.0}.get

    match = best_sentence_pair(req, ach, lambda term: idf(term, 1.0))

    assert (match.requirement, match.achievement) == ("The company wants lidar.", "Lidar units are sold here.")


def test_chinese_against_english_without_a_shared_term_has_no_lexical_pair():
    assert best_sentence_pair(REQ_ZH, REQ_EN, idf_of(REQ_ZH, REQ_EN)) is None
    assert best_sentence_pair("", ACH_EN, lambda term: 1.0) is None
