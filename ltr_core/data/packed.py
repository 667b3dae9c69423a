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
    from ltr_core.locking import tmp_name

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


def pack_tree(root: Path, out: Path, report=print) -> dict:
    """Copy ``root`` to ``out`` with every folder's images packed; returns counts."""
    root, out = Path(root).resolve(), Path(out).resolve()
    if not root.is_dir():
        raise PackError(f"{root} is not a folder")
    if out == root or out.is_relative_to(root) or root.is_relative_to(out):
        raise PackError(f"--out {out} must be outside {root} (and not contain it)")
    if out.exists() and any(out.iterdir()):
        raise PackError(f"--out {out} exists and is not empty: choose a new folder; nothing was written")
    packs = frames = copied = 0
    folders = sorted(os.walk(root))
    for here, dirs, files in folders:
        here = Path(here)
        dest = out / here.relative_to(root)
        dest.mkdir(parents=True, exist_ok=True)
        images = sorted(here / f for f in files if Path(f).suffix.lower() in IMAGE_SUFFIXES)
        for f in files:
            if Path(f).suffix.lower() not in IMAGE_SUFFIXES and f != PACK_NAME:
                shutil.copy2(here / f, dest / f)
                copied += 1
        if images:
            write_pack(images, dest / PACK_NAME)
            packs += 1
            frames += len(images)
            if packs % 100 == 0:
                report(f"packed {packs} folders ({frames} frames)")
    return {"packs": packs, "frames": frames, "copied": copied, "out": str(out)}
