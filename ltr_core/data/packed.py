"""Packed frames: every folder of images becomes one indexed file, for clusters whose network filesystems are
slow at millions of small files.

``ltr data pack ROOT --out PACKED`` copies a dataset tree and replaces the images of each folder with
``<folder>/frames.ltrpack``: the images' bytes as they were, one after the other, and an index of their names,
offsets and sizes. Every other file (annotations, flags, split lists) is copied as it is, so the readers of every
layout (LaSOT, GOT-10k, TrackingNet, the ``sequences`` folders, the evaluation benchmarks) open the packed tree
unchanged: reading a frame that is not on disk looks it up in its folder's pack, by one seek and one read.
The frames' bytes are the original files' bytes, so they decode to the same pixels.

File format: ``LTRPACK1``, then the images' bytes, then the index (UTF-8 JSON: ``{"names": [...], "offsets":
[...], "sizes": [...]}``), then the index's offset and length as two little-endian uint64 and ``LTRPACK1``.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import threading
from pathlib import Path

from ltr_core.errors import UserError
from ltr_core.locking import tmp_name

PACK_NAME = "frames.ltrpack"
MAGIC = b"LTRPACK1"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


class PackError(UserError):
    """A pack that cannot be read or written; the message names the file."""


class Pack:
    """Random access to one ``frames.ltrpack`` (one open file per process and pack)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.file = open(self.path, "rb")
            size = os.fstat(self.file.fileno()).st_size
            if size < 32 or self.file.read(8) != MAGIC:
                raise PackError(f"{self.path} is not an ltr pack (no {MAGIC.decode()} header): pack it again")
            self.file.seek(size - 24)
            start, length, magic = struct.unpack("<QQ8s", self.file.read(24))
            if magic != MAGIC or start + length > size - 24:
                raise PackError(f"{self.path} is truncated (no index at its end): pack it again")
            self.file.seek(start)
            index = json.loads(self.file.read(length).decode("utf-8"))
            self.entries = {n: (o, s) for n, o, s in zip(index["names"], index["offsets"], index["sizes"])}
        except OSError as e:
            raise PackError(f"cannot read {self.path}: {e.strerror}") from None
        except (ValueError, KeyError, TypeError, struct.error):
            raise PackError(f"{self.path}: its index is damaged; pack it again") from None
        self.lock = threading.Lock()

    def names(self) -> list[str]:
        return list(self.entries)

    def read(self, name: str) -> bytes:
        offset, size = self.entries[name]
        with self.lock:
            self.file.seek(offset)
            return self.file.read(size)


_OPEN: dict[str, Pack | None] = {}
_OPEN_PID = os.getpid()


def pack_of(folder: Path) -> Pack | None:
    """The pack of ``folder`` (cached per process: a forked loader worker opens its own, since a file offset
    shared with the parent would race), or None when it has none."""
    global _OPEN_PID
    if _OPEN_PID != os.getpid():
        _OPEN.clear()
        _OPEN_PID = os.getpid()
    key = str(folder)
    if key not in _OPEN:
        path = Path(folder) / PACK_NAME
        _OPEN[key] = Pack(path) if path.is_file() else None
    return _OPEN[key]


def read_packed(path: str) -> bytes | None:
    """The bytes of the frame ``path`` from its folder's pack, or None when it is not packed there."""
    folder, name = os.path.split(path)
    pack = pack_of(Path(folder))
    if pack is None or name not in pack.entries:
        return None
    return pack.read(name)


def write_pack(images: list[Path], out: Path) -> int:
    """Pack ``images`` (files of one folder) into ``out`` through a temporary file; returns the bytes written."""
    tmp = tmp_name(out)
    names, offsets, sizes = [], [], []
    try:
        with open(tmp, "wb") as f:
            f.write(MAGIC)
            for img in images:
                data = img.read_bytes()
                names.append(img.name)
                offsets.append(f.tell())
                sizes.append(len(data))
                f.write(data)
            start = f.tell()
            index = json.dumps({"names": names, "offsets": offsets, "sizes": sizes}).encode("utf-8")
            f.write(index)
            f.write(struct.pack("<QQ8s", start, len(index), MAGIC))
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise PackError(f"cannot write {out}: {e.strerror or e}") from None
    return out.stat().st_size


IN_PROGRESS = ".ltr-pack-in-progress"     # in the output folder while a pack of it runs; names the source


def pack_tree(root: Path, out: Path, report=print) -> dict:
    """Copy ``root`` to ``out`` with every folder's images packed; returns counts.

    Folders that are symbolic links are followed (counted in ``linked``; a link back into the tree is refused);
    folders already packed (a ``frames.ltrpack``) are copied as they are, after their index was read. Each pack is
    read back and checked against its source folder (names and sizes of every frame) before the next is written,
    and the totals are checked at the end. The output folder holds :data:`IN_PROGRESS` until the pack is done: a
    stopped pack leaves it, and running the same command again removes the stopped run's temporary files, keeps
    the packs that check out and writes the rest."""
    root, out = Path(root).resolve(), Path(out).resolve()
    if not root.is_dir():
        raise PackError(f"{root} is not a folder")
    if out == root or out.is_relative_to(root) or root.is_relative_to(out):
        raise PackError(f"--out {out} must be outside {root} (and not contain it)")
    marker = out / IN_PROGRESS
    resuming = marker.is_file() and marker.read_text(encoding="utf-8", errors="replace").strip() == str(root)
    if out.exists() and any(out.iterdir()) and not resuming:
        raise PackError(f"--out {out} exists and is not empty: choose a new folder; nothing was written")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp = tmp_name(marker)
        tmp.write_text(str(root), encoding="utf-8")
        tmp.replace(marker)
    except OSError as e:
        raise PackError(f"cannot write to --out {out}: {e.strerror or e}") from None
    if resuming:
        left = [p for p in out.rglob("*.tmp") if p.is_file()]
        for p in left:
            p.unlink()
        report(f"continuing the pack of {root} stopped earlier in {out} (removed {len(left)} temporary files)")
    packs = frames = copied = linked = reused = 0
    seen: set[str] = set()
    for here, dirs, files in _walk(root, seen):
        dest = out / _relative(here, root)
        images = sorted(here / f for f in files if Path(f).suffix.lower() in IMAGE_SUFFIXES)
        has_pack = PACK_NAME in files
        if images and has_pack:
            raise PackError(f"{here} holds both {PACK_NAME} and {len(images)} image files: which are its frames? "
                            "Move one of them away and pack again")
        try:
            dest.mkdir(parents=True, exist_ok=True)
            for f in files:
                if Path(f).suffix.lower() not in IMAGE_SUFFIXES and f != PACK_NAME:
                    shutil.copy2(here / f, dest / f)
                    copied += 1
        except OSError as e:
            raise PackError(f"cannot copy {here} to {dest}: {e.strerror or e}. Free space and run the same command "
                            "again: it continues where it stopped") from None
        if has_pack:
            source = Pack(here / PACK_NAME)            # an already packed folder: read its index, copy it as is
            if not _pack_matches(dest / PACK_NAME, {n: size for n, (_, size) in source.entries.items()}):
                _copy_file(here / PACK_NAME, dest / PACK_NAME)
            packs += 1
            frames += len(source.entries)
        elif images:
            expected = {p.name: p.stat().st_size for p in images}
            if _pack_matches(dest / PACK_NAME, expected):
                reused += 1
            else:
                write_pack(images, dest / PACK_NAME)
                if not _pack_matches(dest / PACK_NAME, expected):
                    raise PackError(f"{dest / PACK_NAME} does not hold the {len(images)} frames of {here} it was "
                                    "written from (read back after writing); check the disk and pack again")
            packs += 1
            frames += len(images)
        if packs and packs % 100 == 0 and images:
            report(f"packed {packs} folders ({frames} frames)")
    linked = len(seen)
    if frames == 0:
        marker.unlink(missing_ok=True)
        raise PackError(f"{root} holds no frames (no image files and no {PACK_NAME} in any folder): nothing to pack; "
                        "give the dataset's root")
    written = sum(len(Pack(p).entries) for p in out.rglob(PACK_NAME))
    if written != frames:
        raise PackError(f"{out} holds {written} packed frames where {root} has {frames}: pack again into a new folder")
    marker.unlink(missing_ok=True)
    return {"packs": packs, "frames": frames, "copied": copied, "out": str(out), "linked": linked,
            "reused": reused}


def _relative(here: Path, root: Path) -> Path:
    return Path(os.path.relpath(here, root))


def _walk(root: Path, seen: set):
    """``os.walk(root)`` following folders that are symbolic links (a link to a folder the tree also holds is packed
    under both names, as a reader of the tree sees it); a link that leads back to a folder above it is refused (a
    loop). ``seen`` collects the links followed."""
    for here, dirs, files in os.walk(root, followlinks=True):
        here = Path(here)
        real = os.path.realpath(here)
        above = {os.path.realpath(p) for p in here.parents if p == root or p.is_relative_to(root)}
        if real in above:
            raise PackError(f"{here} is a symbolic link to {real}, a folder above it: the tree loops; remove the link")
        if here.is_symlink():
            seen.add("link:" + str(here))
        dirs.sort()
        yield here, dirs, sorted(files)


def _pack_matches(path: Path, expected: dict) -> bool:
    """Whether ``path`` is a readable pack holding exactly ``expected``'s names with their sizes (name -> size)."""
    if not path.is_file():
        return False
    try:
        entries = Pack(path).entries
    except PackError:
        return False
    return {n: size for n, (_, size) in entries.items()} == expected


def _copy_file(src: Path, dest: Path) -> None:
    tmp = tmp_name(dest)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise PackError(f"cannot copy {src} to {dest}: {e.strerror or e}") from None
