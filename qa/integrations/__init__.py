"""Integrations with other frameworks (LlamaIndex): our retrieval and answers in their types."""
