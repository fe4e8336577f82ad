"""Entailment judges for citation metrics: does this evidence support this claim?

- ``OfflineJudge`` (default without an LLM; no download): the support score of the
  citation check (``qa.check.support``: share of the claim's words the evidence holds, weighted
  by rarity, mixed with the MiniLM cosine similarity of the two; capped when the claim has
  a number or name the evidence lacks, or negates it; "According to X" checked by name) at
  ``QA_SUPPORT_THRESHOLD``. It is the same scoring the answerer's check uses, so with it the
  citation metrics measure how answers hold up under that scoring; its agreement with
  the labelled pairs (``eval/labelled/*.jsonl``, labelled by careful annotation inside this
  project, not by outside annotators) says how far to trust it.
- ``LLMJudge``: the configured OpenAI-compatible model, asked ``prompts/judge.txt``.

Every run reports the judge's agreement with the labelled pairs beside its metrics.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any, Protocol

from eval.metrics import bootstrap_ci
from qa.engine import QAEngine
from qa.prompts import load_prompt

LABELLED = Path(__file__).resolve().parent / "labelled"


class Judge(Protocol):
    name: str

    def entails(self, claim: str, evidence: str) -> bool: ...


class OfflineJudge:
    def __init__(self, engine: QAEngine, threshold: float | None = None) -> None:
        self.engine = engine
        self.threshold = engine.settings.support_threshold if threshold is None else threshold
        verifier = engine.verifier.name
        self.name = (f"offline (support score >= {self.threshold:g})" if verifier == "heuristic"
                     else f"the answerer's check ({verifier}, support score >= "
                          f"{self.threshold:g})")
        self._seen: dict[tuple[str, str], bool] = {}

    def entails(self, claim: str, evidence: str) -> bool:
        key = (claim, evidence)
        if key not in self._seen:
            self._seen[key] = self.engine.support(claim, evidence) >= self.threshold
        return self._seen[key]


class LLMJudge:
    def __init__(self, engine: QAEngine) -> None:
        self.llm = engine
        self.name = f"llm ({engine.settings.llm_model or 'gpt-4o-mini'})"
        self._seen: dict[tuple[str, str], bool] = {}

    def entails(self, claim: str, evidence: str) -> bool:
        key = (claim, evidence)
        if key not in self._seen:
            prompt = load_prompt("judge").format(claim=claim, evidence=evidence)
            self._seen[key] = self.llm.complete(prompt).strip().lower().startswith("yes")
        return self._seen[key]


def build_judge(kind: str, engine: QAEngine) -> Judge:
    """``offline``, ``llm``, or ``auto`` (the LLM when one is configured)."""
    configured = engine.settings.llm_configured()
    if kind == "llm" or (kind == "auto" and configured):
        if not configured:
            raise ValueError("--judge llm needs an LLM: set QA_LLM_BASE_URL and QA_LLM_MODEL")
        return LLMJudge(engine)
    return OfflineJudge(engine)


def labelled_pairs(folder: Path = LABELLED) -> list[dict[str, Any]]:
    pairs = []
    for path in sorted(folder.glob("*.jsonl")):
        pairs += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip()]
    return pairs


def agreement(judge: Judge, pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """How often the judge agrees with the labelled pairs: accuracy (with a 95% CI), its
    precision and recall on "supported", balanced accuracy, and accuracy per kind."""
    if not pairs:
        return {"judge": judge.name, "pairs": 0}
    right: list[float] = []
    kinds: dict[str, list[float]] = defaultdict(list)
    tp = fp = fn = tn = 0
    for pair in pairs:
        said = judge.entails(pair["claim"], pair["evidence"])
        truth = bool(pair["supported"])
        right.append(float(said == truth))
        kinds[pair.get("kind", "?")].append(float(said == truth))
        tp += said and truth
        fp += said and not truth
        fn += truth and not said
        tn += not said and not truth
    recall = tp / (tp + fn) if tp + fn else 0.0
    specificity = tn / (tn + fp) if tn + fp else 0.0
    return {
        "judge": judge.name, "pairs": len(pairs),
        "accuracy": sum(right) / len(right), "accuracy_ci": bootstrap_ci(right),
        "precision": tp / (tp + fp) if tp + fp else None, "recall": recall,
        "balanced_accuracy": (recall + specificity) / 2,
        "by_kind": {k: {"n": len(v), "accuracy": sum(v) / len(v)}
                    for k, v in sorted(kinds.items())},
    }
