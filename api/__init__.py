"""The HTTP API and web UI (FastAPI). Built on ``qa.engine.QAEngine``; see DESIGN.md."""
