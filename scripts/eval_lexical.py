"""BM25 alone on BEIR-format sets, one row per tokenisation variant: the measurement behind the
default of ``matchmaking.lexical.tokenize``.

    .venv/bin/python scripts/eval_lexical.py [--data ../shared/data] [--k1 1.2] [--b 0.75]

Reads the data read-only from ``--data`` (never copy it into the repository). SciFact (English
claims → abstracts, train split) measures the English options; CSL the Chinese ones: keyword lists
→ their own abstracts (``csl_zh_beir``, dev split), and titles → abstracts or keyword lists, where
"same-field P@10" is the share of the other top-10 papers from the query's discipline. Speed is
tokenisation of the corpus in texts per second, CPU time, best of ``--repeat`` passes.
"""

import argparse
import csv
import json
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matchmaking.lexical import BM25, TokenOptions, tokenize  # noqa: E402

ENGLISH_VARIANTS = {
    "no stemming, no stop words": TokenOptions(stem="none", stop_words=False),
    "no stemming, stop words": TokenOptions(stem="none"),
    "plural stripping, no stop words": TokenOptions(stem="plural", stop_words=False),
    "plural stripping, stop words": TokenOptions(stem="plural"),
    "plural + -ing/-ed, stop words": TokenOptions(stem="plural+ing"),
}
CHINESE_VARIANTS = {
    "jieba cut": TokenOptions(chinese="cut"),
    "jieba cut, HMM": TokenOptions(chinese="cut", jieba_hmm=True),
    "jieba search mode": TokenOptions(chinese="search"),
    "jieba search mode, HMM": TokenOptions(chinese="search", jieba_hmm=True),
    "jieba search mode, no stop words": TokenOptions(chinese="search", stop_words=False),
    "character bigrams": TokenOptions(chinese="bigram"),
    "jieba cut + bigrams": TokenOptions(chinese="cut+bigram"),
}


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@dataclass
class BeirSet:
    doc_ids: list[str]
    doc_texts: list[str]
    query_ids: list[str]
    query_texts: list[str]
    qrels: dict[str, dict[str, int]]
    # A topic label per id (CSL's discipline), for precision of the neighbours beyond the known item.
    labels: dict[str, str] = field(default_factory=dict)


def load(folder: Path, split: str) -> BeirSet:
    """Documents as title + text; only the queries that have relevance judgements."""
    corpus = read_jsonl(folder / "corpus.jsonl")
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / f"{split}.tsv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    queries = [q for q in read_jsonl(folder / "queries.jsonl") if q["_id"] in qrels]
    return BeirSet(
        doc_ids=[d["_id"] for d in corpus],
        doc_texts=[f"{d.get('title', '')} {d['text']}".strip() for d in corpus],
        query_ids=[q["_id"] for q in queries],
        query_texts=[q["text"] for q in queries],
        qrels=qrels,
    )


def load_csl_titles(data: Path, documents: str) -> BeirSet:
    """CSL's keyword lists nearly always occur verbatim in their abstract (every variant scores
    ~0.99 on ``csl_zh_beir``): a paper's title, a shorter and more requirement-like query, is
    matched against all abstracts or, harder, all keyword lists."""
    records = read_jsonl(data / "csl_zh" / "csl_dev.jsonl")
    return BeirSet(
        doc_ids=[r["_id"] for r in records],
        doc_texts=[r["abstract"] if documents == "abstract" else "；".join(r["keywords"]) for r in records],
        query_ids=[r["_id"] for r in records],
        query_texts=[r["title"] for r in records],
        qrels={r["_id"]: {r["_id"]: 1} for r in records},
        labels={r["_id"]: r["discipline"] for r in records},
    )


def metrics(ranked: Sequence[Sequence[str]], data: BeirSet) -> dict[str, float]:
    ndcg, recall10, recall100, mrr, same_label = [], [], [], [], []
    for qid, docs in zip(data.query_ids, ranked, strict=True):
        relevant = data.qrels[qid]
        gains = [relevant.get(doc, 0) for doc in docs]
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:10]))
        ideal = sum(g / math.log2(i + 2) for i, g in enumerate(sorted(relevant.values(), reverse=True)[:10]))
        ndcg.append(dcg / ideal if ideal else 0.0)
        hits = [g > 0 for g in gains]
        n_relevant = sum(1 for g in relevant.values() if g > 0)
        recall10.append(sum(hits[:10]) / n_relevant)
        recall100.append(sum(hits[:100]) / n_relevant)
        mrr.append(next((1 / (i + 1) for i, hit in enumerate(hits[:10]) if hit), 0.0))
        if data.labels:
            others = [doc for doc in docs if doc not in relevant][:10]
            same_label.append(sum(data.labels[doc] == data.labels[qid] for doc in others) / 10)
    columns = {"nDCG@10": ndcg, "R@10": recall10, "R@100": recall100, "MRR@10": mrr, "same-field P@10": same_label}
    return {name: float(np.mean(values)) for name, values in columns.items() if values}


def evaluate(data: BeirSet, options: TokenOptions, k1: float, b: float, repeat: int) -> dict[str, float]:
    tokenize("预热 warm-up", options)  # load jieba's dictionary outside the timing
    seconds = []
    for _ in range(repeat):
        started = time.process_time()  # CPU time: the machine may be shared
        docs = [tokenize(text, options) for text in data.doc_texts]
        seconds.append(time.process_time() - started)
    speed = len(docs) / min(seconds)
    queries = [tokenize(text, options) for text in data.query_texts]
    _, indices = BM25(docs, k1=k1, b=b).top_k(queries, 100)
    ranked = [[data.doc_ids[i] for i in row if i >= 0] for row in indices]
    return {**metrics(ranked, data), "texts/s": speed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="BEIR folders (read-only)")
    parser.add_argument("--k1", type=float, default=1.2)
    parser.add_argument("--b", type=float, default=0.75)
    parser.add_argument("--repeat", type=int, default=3, help="tokenisation passes timed (best counts)")
    args = parser.parse_args()
    columns = ["nDCG@10", "R@10", "R@100", "MRR@10", "same-field P@10", "texts/s"]
    print(f"BM25 k1={args.k1} b={args.b}\n")
    print("| set | tokenisation | " + " | ".join(columns) + " |")
    print("|---|---|" + "---:|" * len(columns))
    datasets = [
        ("scifact (train)", load(args.data / "scifact", "train"), ENGLISH_VARIANTS),
        ("csl_zh_beir (dev)", load(args.data / "csl_zh_beir", "dev"), CHINESE_VARIANTS),
        ("CSL titles → abstracts", load_csl_titles(args.data, "abstract"), CHINESE_VARIANTS),
        ("CSL titles → keywords", load_csl_titles(args.data, "keywords"), CHINESE_VARIANTS),
    ]
    for name, data, variants in datasets:
        for label, options in variants.items():
            result = evaluate(data, options, args.k1, args.b, args.repeat)
            cells = [_cell(result, column) for column in columns]
            print(f"| {name} | {label} | " + " | ".join(cells) + " |", flush=True)


def _cell(result: dict[str, float], column: str) -> str:
    if column not in result:
        return "–"
    return f"{result[column]:.0f}" if column == "texts/s" else f"{result[column]:.3f}"


if __name__ == "__main__":
    main()
