"""Indexing: passages, vectors, the Chroma store, the keyword index, hybrid retrieval."""
