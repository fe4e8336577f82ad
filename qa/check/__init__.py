"""Checking: draft sentences mapped to exact article spans, support scored by a Verifier."""
