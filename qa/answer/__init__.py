"""Answering: ``Answerer``s that draft sentences citing numbered sources, from the ``Evidence``."""
