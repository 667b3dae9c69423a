"""Result sets in the layouts trackers publish their raw results in, read the way ltr reads its own.

A results argument of ``ltr score`` is a folder or a ``.zip`` holding one of these layouts:

* flat: ``<seq>.txt`` -- ``ltr eval``'s, pytracking's ``<tracker>/<param>`` folders (tab-separated integers,
  also the layout of trackers built on its code), pysot's (comma-separated floats); other files beside them
  (``<seq>_time.txt``) are ignored;
* runs: sub-folders ``<name>_NNN`` (pytracking's ``<param>_<run:03d>``) or ``<name>_runNNN`` (``ltr eval
  --runs``), each flat: every sub-folder is a run, and the runs are merged as pytracking merges them (the mean of
  the per-sequence curves, which is the mean of the runs' scores; with their standard deviation);
* GOT-10k's: ``<seq>/<seq>_001.txt``, the repetitions ``_001``, ``_002``, ... being runs;
* any of these inside one top folder (as zips are usually made), at most three levels down.

A zip is read in place (nothing is extracted); a member over :data:`MAX_MEMBER_BYTES` is refused.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ltr_core.evaluation.metrics import ResultError
from ltr_core.paths import file_sha256

#: a result file larger than this (a 2,500-frame LaSOT sequence is about 50 kB) is not a result file
MAX_MEMBER_BYTES = 64 * 1024 * 1024
RUN_FOLDER = re.compile(r"^(?P<base>.*?)_(?:run)?(?P<run>\d{3})$")
GOT_FILE = re.compile(r"^(?P<seq>.+)_(?P<run>\d{3})\.txt$")
LAYOUTS = "<seq>.txt, <name>_NNN/<seq>.txt or <seq>/<seq>_001.txt"


class _Tree:
    """The ``.txt`` files of a folder or a zip, by relative POSIX path."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.zip = None
        if self.path.is_file():
            if not zipfile.is_zipfile(self.path):
                raise ResultError(f"{self.path}: not a folder or a zip of result files ({LAYOUTS})")
            self.zip = zipfile.ZipFile(self.path)
            infos = [i for i in self.zip.infolist() if not i.is_dir() and i.filename.endswith(".txt")]
            self.sizes = {PurePosixPath(i.filename): i.file_size for i in infos}
        elif self.path.is_dir():
            self.sizes = {PurePosixPath(p.relative_to(self.path).as_posix()): 0
                          for p in self.path.rglob("*.txt") if len(p.relative_to(self.path).parts) <= 5}
        else:
            raise ResultError(f"results {self.path} do not exist")

    def where(self, rel: PurePosixPath) -> str:
        return f"{self.path}!{rel}" if self.zip else str(self.path / rel)

    def digest(self, rel: PurePosixPath) -> str | None:
        """What identifies a file's content: a zip member's CRC-32 and size (read without decompressing), a
        file's SHA-256."""
        if rel not in self.sizes:
            return None
        if self.zip is not None:
            info = self.zip.getinfo(str(rel))
            return f"crc32:{info.CRC:08x}:{info.file_size}"
        return file_sha256(self.path / rel)

    def read(self, rel: PurePosixPath) -> str | None:
        if rel not in self.sizes:
            return None
        if self.zip is None:
            try:
                return (self.path / rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise ResultError(f"{self.path / rel}: cannot read ({e})") from None
        if self.sizes[rel] > MAX_MEMBER_BYTES:
            raise ResultError(f"{self.where(rel)}: {self.sizes[rel]:,} bytes is not a result file (limit "
                              f"{MAX_MEMBER_BYTES:,}); remove it from the zip")
        try:
            return self.zip.read(str(rel)).decode("utf-8")
        except (zipfile.BadZipFile, UnicodeDecodeError, OSError) as e:
            raise ResultError(f"{self.where(rel)}: cannot read ({e})") from None


@dataclass
class Run:
    """One run of a result set: where its file for a sequence is, and its text."""

    tree: _Tree
    pattern: str          # relative path with ``{seq}`` for the sequence's name
    name: str             # the run's own name (``default_001``, ``_002``); "" for a set of one run

    def _rel(self, seq: str) -> PurePosixPath:
        return PurePosixPath(self.pattern.format(seq=seq))

    def has(self, seq: str) -> bool:
        return self._rel(seq) in self.tree.sizes

    def where(self, seq: str) -> str:
        return self.tree.where(self._rel(seq))

    def read(self, seq: str) -> str | None:
        return self.tree.read(self._rel(seq))

    def digest(self, seq: str) -> str | None:
        return self.tree.digest(self._rel(seq))

    @property
    def location(self) -> str:
        return self.tree.where(PurePosixPath(self.pattern).parent) if "/" in self.pattern else str(self.tree.path)


def flat_folder(path: Path) -> Run:
    """A folder of ``<seq>.txt`` files, without looking for another layout (``ltr eval``'s own)."""
    return Run(_Tree(path), "{seq}.txt", "")


def open_results(path: str | Path) -> list[Run]:
    """The runs of the result set at ``path`` (one for a flat folder). Errors name the path and the layouts."""
    tree = _Tree(Path(path))
    prefix = PurePosixPath()
    for _ in range(4):
        below = {p.relative_to(prefix) for p in tree.sizes if _under(p, prefix)}
        if any(len(p.parts) == 1 for p in below):                                   # flat
            return [Run(tree, _join(prefix, "{seq}.txt"), "")]
        folders = sorted({p.parts[0] for p in below})
        got = sorted({m["run"] for p in below if len(p.parts) == 2 and (m := GOT_FILE.match(p.parts[1]))
                      and m["seq"] == p.parts[0]})
        if got:                                                                     # GOT-10k's
            return [Run(tree, _join(prefix, "{seq}/{seq}_" + r + ".txt"), f"_{r}" if len(got) > 1 else "")
                    for r in got]
        runs = [f for f in folders if RUN_FOLDER.match(f)]
        if runs and len(runs) == len(folders) and len({RUN_FOLDER.match(f)["base"] for f in runs}) == 1:
            return [Run(tree, _join(prefix / f, "{seq}.txt"), f if len(runs) > 1 else "") for f in runs]
        if len(folders) != 1:
            break
        prefix = prefix / folders[0]
    raise ResultError(f"{path}: no result files in a layout ltr reads ({LAYOUTS})"
                      + (f"; found folders {', '.join(folders[:4])}" if folders else ""))


def _under(p: PurePosixPath, prefix: PurePosixPath) -> bool:
    return p.parts[:len(prefix.parts)] == prefix.parts and len(p.parts) > len(prefix.parts)


def _join(prefix: PurePosixPath, tail: str) -> str:
    return f"{prefix.as_posix()}/{tail}" if prefix.parts else tail


def run_number(run: Run) -> str:
    """A run's three digits (``default_002`` -> ``002``, GOT-10k's ``_002`` -> ``002``)."""
    return run.name[-3:]


def default_label(path: str | Path) -> Path:
    """The path a label is made from: a zip's name without ``.zip``."""
    path = Path(path)
    return path.with_suffix("") if path.suffix.lower() == ".zip" else path
