"""``uvicorn --factory api.main:app``: the service configured from the environment.

Nothing is built at import: uvicorn calls ``app()`` once it starts, and the process-wide
tuning (malloc heaps) happens there, at the entry point.
"""

from fastapi import FastAPI

from api.app import create_app, tune_process


def app() -> FastAPI:
    tune_process()
    return create_app()
