"""Measure the matching engine on a BEIR-format folder, never touching the live catalogue.

The corpus is loaded as achievements and the queries as requirements into an in-memory store;
the same encoder, index, BM25 and fusion code as pre-docking ranks the corpus for every query
with relevance judgements, and the ranking is scored against ``qrels/<split>.tsv``. The last
line of stdout is one JSON object (BENCHMARKS.md collects them)."""

import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from matchmaking.engine import REQUIREMENT, Engine, MatchParams, Side
from matchmaking.lexical import tokenize

DEPTH = 100


def read_beir(folder: Path, split: str):
    def jsonl(name):
        with open(folder / name, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    try:
        corpus = jsonl("corpus.jsonl")
        queries = jsonl("queries.jsonl")
        qrels: dict[str, dict[str, int]] = {}
        with open(folder / "qrels" / f"{split}.tsv", encoding="utf-8") as handle:
            for line in handle:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 3 or not parts[2].strip().lstrip("-").isdigit():
                    continue  # the header, or a malformed line
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    except FileNotFoundError as exc:
        raise CommandError(f"not a BEIR folder: {exc.filename} is missing") from exc
    return corpus, queries, qrels


def metrics(ranked: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    ndcg, mrr, recall = [], [], {1: [], 10: [], 100: []}
    for qid, judged in qrels.items():
        relevant = {doc for doc, grade in judged.items() if grade > 0}
        if not relevant:
            continue
        docs = ranked.get(qid, [])
        dcg = sum((2 ** judged.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(docs[:10]))
        ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:10]
        idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
        ndcg.append(dcg / idcg if idcg else 0.0)
        first = next((i for i, doc in enumerate(docs[:10]) if doc in relevant), None)
        mrr.append(1.0 / (first + 1) if first is not None else 0.0)
        for k in recall:
            recall[k].append(len(relevant & set(docs[:k])) / len(relevant))
    def mean(values):
        return round(float(np.mean(values)), 4) if values else 0.0

    return {"ndcg@10": mean(ndcg), "recall@1": mean(recall[1]), "recall@10": mean(recall[10]),
            "recall@100": mean(recall[100]), "mrr@10": mean(mrr), "queries": len(ndcg)}


class Command(BaseCommand):
    help = ("Evaluate matching on a BEIR folder (corpus.jsonl as achievements, queries.jsonl as "
            "requirements, qrels/SPLIT.tsv). Prints one JSON object as its last line.")

    def add_arguments(self, parser):
        parser.add_argument("--beir", required=True, help="folder with corpus.jsonl, queries.jsonl, qrels/")
        parser.add_argument("--split", default="test")
        parser.add_argument("--encoder", default=None, help="encoder name (default: settings.TECHDOCK_ENCODER)")
        parser.add_argument("--fusion", default="weighted", choices=["weighted", "rrf", "dense", "lexical"])
        parser.add_argument("--weight-lexical", type=float, default=None)
        parser.add_argument("--max-queries", type=int, default=None)
        parser.add_argument("--no-cache", action="store_true", help="re-encode even if cached vectors exist")

    def handle(self, *args, beir, split, encoder, fusion, weight_lexical, max_queries, no_cache, **options):
        from matchmaking.encoder import get_encoder

        started = time.monotonic()
        corpus, queries, qrels = read_beir(Path(beir), split)
        query_text = {q["_id"]: q.get("text", "") for q in queries}
        judged = [qid for qid in qrels if qid in query_text][:max_queries]
        qrels = {qid: qrels[qid] for qid in judged}
        doc_ids = [d["_id"] for d in corpus]
        doc_texts = [f"{d.get('title', '')} {d.get('text', '')}".strip() for d in corpus]
        q_texts = [query_text[qid] for qid in judged]
        model = get_encoder(encoder)
        q_vectors = self._encode(model, q_texts, "query", no_cache)
        d_vectors = self._encode(model, doc_texts, "passage", no_cache)
        encoded = time.monotonic()
        params = MatchParams(pool=DEPTH, k_requirement=10, **self._fusion(fusion, weight_lexical))
        engine = Engine(
            Side(np.arange(len(judged)), q_vectors, [tokenize(t) for t in q_texts]),
            Side(np.arange(len(corpus)), d_vectors, [tokenize(t) for t in doc_texts]),
            params,
        )
        pairs = engine.candidates(REQUIREMENT, np.arange(len(judged)), keep=DEPTH)
        order = np.lexsort((pairs.rank, pairs.req))
        ranked: dict[str, list[str]] = {}
        for i in order.tolist():
            ranked.setdefault(judged[pairs.req[i]], []).append(doc_ids[pairs.ach[i]])
        result = metrics(ranked, qrels)
        result |= {"encoder": model.name, "fusion": fusion, "split": split, "corpus": len(corpus),
                   "weights": {"dense": params.weight_dense, "lexical": params.weight_lexical},
                   "encode_s": round(encoded - started, 1), "match_s": round(time.monotonic() - encoded, 1)}
        self.stdout.write(json.dumps(result, ensure_ascii=False))

    @staticmethod
    def _fusion(fusion: str, weight_lexical: float | None) -> dict:
        if fusion == "dense":
            return {"weight_dense": 1.0, "weight_lexical": 0.0, "lexical_retrieval": False}
        if fusion == "lexical":
            return {"weight_dense": 0.0, "weight_lexical": 1.0}
        extra = {"fusion": fusion}
        if weight_lexical is not None:
            extra |= {"weight_lexical": weight_lexical, "weight_dense": 1.0 - weight_lexical}
        return extra

    def _encode(self, model, texts: list[str], kind: str, no_cache: bool) -> np.ndarray:
        """Vectors are cached under var/eval-cache by encoder and text, so comparing fusions
        does not re-encode a corpus; the cache is a file of this machine, never the catalogue."""
        digest = hashlib.sha256("\x1e".join([model.key, kind, *texts]).encode()).hexdigest()[:24]
        path = Path(settings.VAR_DIR) / "eval-cache" / f"{digest}.npy"
        if path.exists() and not no_cache:
            return np.load(path)
        vectors = model.encode(texts, kind=kind)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors
