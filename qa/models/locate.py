"""Which local model the settings ask for, and whether one is there to run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.config import Settings
from qa.errors import InvalidInput
from qa.models.catalogue import catalogue, check_gguf, default_name, lookup
from qa.models.install import installed_path


@dataclass(frozen=True)
class LocalModel:
    name: str
    path: Path


def find_local_model(settings: Settings) -> LocalModel | None:
    """``QA_LLM_MODEL_PATH`` (any GGUF), else ``QA_LOCAL_MODEL`` (which must be installed),
    else the catalogue's default if installed, else any installed catalogue model."""
    if settings.llm_model_path is not None:
        path = check_gguf(settings.llm_model_path.expanduser())
        return LocalModel(path.name.removesuffix(".gguf"), path)
    if settings.local_model:
        entry = lookup(settings.local_model)
        found = installed_path(entry, settings.models_dir)
        if found is None:
            raise InvalidInput(f"the local model {entry.name} is not installed in "
                               f"{settings.models_dir}: run `articleqa model install "
                               f"{entry.name}`")
        return LocalModel(entry.name, found)
    for name in [default_name(), *catalogue()]:
        found = installed_path(lookup(name), settings.models_dir)
        if found is not None:
            return LocalModel(name, found)
    return None


def local_model_available(settings: Settings) -> bool:
    return settings.llm_model_path is not None or bool(settings.local_model) or (
        find_local_model(settings) is not None)
