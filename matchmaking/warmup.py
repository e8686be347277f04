"""Load what search needs before a web process takes its first request.

A gunicorn worker otherwise pays for it on the first searches it serves: jieba's dictionary
(~1 s), the query encoder (~2 s and ~0.9 GB) and each kind's FAISS index, while users wait.
``config/gunicorn.conf.py`` calls :func:`warm_up` in every worker after it has loaded the app.
Nothing here is required: a part that cannot load is logged and left to load (or fail) on first
use as before."""

import logging
import time

from catalog.enums import ListingKind

logger = logging.getLogger(__name__)


def warm_up() -> dict[str, str]:
    """Load the tokeniser, the encoder and the indexes; return what happened to each, for the log."""
    done: dict[str, str] = {}
    started = time.perf_counter()
    try:
        from matchmaking.lexical import tokenize

        tokenize("预热分词词典")  # jieba's default dictionary, which catalog.search uses too
        done["tokeniser"] = "loaded"
    except Exception as exc:  # noqa: BLE001 - warm-up must never stop a worker from serving
        done["tokeniser"] = f"failed: {exc}"
    try:
        from matchmaking import index as index_files
        from matchmaking.encoder import EncoderUnavailable, get_encoder

        encoder = get_encoder()
        encoder.encode(["预热 warm-up"], kind="query")
        done["encoder"] = encoder.key
        for kind in ListingKind.values:
            done[f"index:{kind}"] = "loaded" if index_files.cached_index(kind, encoder.key) else "none yet"
    except EncoderUnavailable as exc:
        done["encoder"] = f"unavailable: {exc}"
    except Exception as exc:  # noqa: BLE001
        done["encoder"] = f"failed: {exc}"
    logger.info("search warm-up in %.1f s: %s", time.perf_counter() - started, done)
    return done
