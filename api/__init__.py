"""The HTTP service: FastAPI routes and the web chat UI over ``qa.engine.QAEngine``."""
