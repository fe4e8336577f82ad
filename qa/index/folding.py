"""Syndicated copies in the store: the copy index kept in step with it, and the list of its
copies each canonical article keeps.

A copy (``qa.index.copies``) is stored as an article record without passages, so retrieval
sees each story once; its ``copy_of`` names its canonical article, whose record lists the
copies (``copies``: where else the story was published), so an answer citing it names every
outlet that carried the text without another read. Deleting or replacing a canonical article
folds its copies again (``Ingester``): one of them becomes canonical, so none is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from qa.index.copies import (
    CopyIndex,
    Fingerprint,
    decode_signature,
    encode_signature,
    fingerprint,
    text_shingles,
)
from qa.index.records import copies_in, copy_entry
from qa.index.store import ArticleStore
from qa.types import Article

BACKFILL_PAGE = 500
"""Article records read at a time when a store from before signatures gets them."""


class Folding:
    """The copies of one store: which canonical article a new one is a copy of, and the
    canonical articles' lists of their copies."""

    def __init__(self, store: ArticleStore, index: CopyIndex) -> None:
        self.store = store
        self.index = index

    def sync(self) -> None:
        """Bring the index up to date: built again from the stored signatures when the store
        changed since it was last current (another writer; or never built). A store from
        before signatures gets those of its canonical articles, once."""
        if self.index.generation is not None and self.index.generation == self.store.generation():
            return
        self.index.clear()
        if not self.store.signatures_listed():
            self._backfill()
        for article_id, encoded in self.store.iter_signatures():
            self.index.add(article_id, decode_signature(encoded))
        self.settled()

    def settled(self) -> None:
        """The index holds what the store holds now (after a run that kept it current)."""
        self.index.generation = self.store.generation()

    def match(self, found: Fingerprint, recent: Mapping[str, str],
              exclude: Iterable[str]) -> str | None:
        """The canonical article ``found`` is a copy of, if any. ``recent``: the texts of
        articles this run made canonical that may not be stored yet."""
        def shingles_of(ids: list[str]) -> dict[str, frozenset[int]]:
            texts = {i: recent[i] for i in ids if i in recent}
            texts |= self.store.texts([i for i in ids if i not in texts])
            return {i: text_shingles(text, self.index.rules) for i, text in texts.items()}

        best = self.index.match(found, shingles_of, exclude)
        return best[0] if best else None

    def listed(self, copy_id: str, canonical_id: str) -> bool:
        """Whether ``canonical_id`` is a complete article that lists ``copy_id`` as a copy."""
        meta = self.store.article_meta([canonical_id]).get(canonical_id)
        return bool(meta and meta.get("complete")
                    and any(c["article_id"] == copy_id for c in copies_in(meta)))

    def copies_of(self, article_id: str) -> list[str]:
        meta = self.store.article_meta([article_id]).get(article_id)
        return [c["article_id"] for c in copies_in(meta)]

    def attach(self, copies: Mapping[str, tuple[Article, str]]) -> None:
        """List each copy (by id: its article and its canonical article's id) with its
        canonical article, replacing what was listed of it before."""
        by_canonical: dict[str, list[Article]] = {}
        for article, canonical in copies.values():
            by_canonical.setdefault(canonical, []).append(article)
        metas = self.store.article_meta(sorted(by_canonical))
        for canonical, articles in sorted(by_canonical.items()):
            mine = {a.id for a in articles}
            kept = [c for c in copies_in(metas.get(canonical)) if c["article_id"] not in mine]
            self.store.set_copies(canonical, kept + [copy_entry(a) for a in articles])

    def detach(self, copy_id: str, canonical_id: str) -> None:
        """``copy_id`` is no longer a copy of ``canonical_id``."""
        meta = self.store.article_meta([canonical_id]).get(canonical_id)
        if meta is None:
            return
        listed = copies_in(meta)
        kept = [c for c in listed if c["article_id"] != copy_id]
        if len(kept) != len(listed):
            self.store.set_copies(canonical_id, kept)

    def _backfill(self) -> None:
        """The signatures of every canonical article of a store written before them."""
        offset = 0
        while True:
            got = self.store.articles.get(where={"complete": True}, limit=BACKFILL_PAGE,
                                          offset=offset, include=["metadatas", "documents"])
            if not got["ids"]:
                break
            signatures = {}
            for article_id, meta, text in zip(got["ids"], got["metadatas"], got["documents"],
                                              strict=True):
                found = self._canonical_print(dict(meta or {}), str(text or ""))
                if found is not None:
                    signatures[article_id] = encode_signature(found.signature)
            self.store.write_signatures(signatures)
            offset += len(got["ids"])
        self.store.mark_signatures_listed()

    def _canonical_print(self, meta: dict[str, Any], text: str) -> Fingerprint | None:
        if meta.get("copy_of"):
            return None
        return fingerprint(str(meta.get("title", "")), text, self.index.rules)
