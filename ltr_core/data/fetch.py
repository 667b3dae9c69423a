"""Getting LaSOT: per-class archives of the Hugging Face dataset ``l-lt/LaSOT``, unpacked into the LaSOT layout
and verified (sequences per class, frames per sequence against groundtruth rows).

The archive names are read from the dataset's file list at run time, never hard-coded. Downloads go through
``huggingface_hub`` (the optional extra ``pip install 'ltr-core[fetch]'``), which resumes partial files.
Unpacking refuses members that would land outside the destination.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ltr_core.errors import UserError

REPO_ID = "l-lt/LaSOT"
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")


class FetchError(UserError, RuntimeError):
    """Download, unpacking or verification failed; the message says what to do."""


def _hub():
    try:
        import huggingface_hub      # here: an optional extra (ltr-core[fetch])
    except ImportError:
        raise FetchError("downloading LaSOT needs huggingface_hub: pip install 'ltr-core[fetch]' "
                         "(or pip install huggingface_hub)") from None
    return huggingface_hub


def list_remote_files(repo_id: str = REPO_ID) -> list[str]:
    hub = _hub()
    try:
        return hub.HfApi().list_repo_files(repo_id, repo_type="dataset")
    except Exception as e:
        raise FetchError(f"cannot list the files of the dataset {repo_id} ({type(e).__name__}: {e}). "
                         "Are you offline? ltr data fetch needs access to the Hugging Face hub.") from None


def download_file(repo_id: str, filename: str, dest: Path) -> Path:
    hub = _hub()
    try:
        return Path(hub.hf_hub_download(repo_id, filename, repo_type="dataset", local_dir=str(dest)))
    except Exception as e:
        raise FetchError(f"download of {filename} from {repo_id} failed ({type(e).__name__}: {e}); rerun the same "
                         "command to resume") from None


def class_of(archive_name: str) -> str | None:
    base = Path(archive_name).name
    for suffix in ARCHIVE_SUFFIXES:
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return None


def _safe_target(root: Path, member: str) -> Path:
    target = (root / member).resolve()
    if root.resolve() not in target.parents and target != root.resolve():
        raise FetchError(f"archive member {member!r} would be written outside {root}; refusing the archive")
    return target


def unpack(archive: Path, out: Path, cls: str) -> None:
    """Extract into ``out/<cls>/``; archives holding ``<cls>/<cls>-N/`` or ``<cls>-N/`` both work."""
    staging = out / f".unpack-{cls}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                for m in z.namelist():
                    _safe_target(staging, m)
                z.extractall(staging)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as t:
                for m in t.getmembers():
                    _safe_target(staging, m.name)
                    if m.issym() or m.islnk():
                        raise FetchError(f"archive {archive} contains a link ({m.name}); refusing it")
                t.extractall(staging)
        else:
            raise FetchError(f"{archive} is neither a zip nor a tar archive (corrupt download? delete it and rerun)")
        inner = staging / cls if (staging / cls).is_dir() else staging
        target = out / cls
        target.mkdir(parents=True, exist_ok=True)
        for seq in inner.iterdir():
            if seq.is_dir() and seq.name.startswith(cls + "-"):
                dst = target / seq.name
                if dst.exists():
                    shutil.rmtree(dst)
                os.replace(seq, dst)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as e:
        raise FetchError(f"{archive} is damaged ({e}); delete it and rerun to download it again") from None
    except NotImplementedError as e:       # a zip version or compression method Python's zipfile lacks
        raise FetchError(f"{archive} uses a zip feature this Python cannot unpack ({e}); unpack it with another "
                         f"tool into {out / cls}") from None
    except OSError as e:
        raise FetchError(f"cannot unpack {archive} into {out} ({e.strerror or e}); free space and rerun: finished "
                         "classes are kept") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@dataclass
class Verification:
    sequences: int = 0
    frames: int = 0
    problems: list[str] = field(default_factory=list)


def verify_class(out: Path, cls: str, expected_sequences: int | None = 20) -> Verification:
    """Every sequence has its annotation files and one frame per groundtruth row."""
    v = Verification()
    d = out / cls
    seqs = sorted(p for p in d.glob(f"{cls}-*") if p.is_dir()) if d.is_dir() else []
    v.sequences = len(seqs)
    if expected_sequences is not None and len(seqs) != expected_sequences:
        v.problems.append(f"{cls}: {len(seqs)} sequences, expected {expected_sequences}")
    for s in seqs:
        gt = s / "groundtruth.txt"
        if not gt.is_file():
            v.problems.append(f"{gt} is missing")
            continue
        rows = sum(1 for line in gt.read_text(encoding="utf-8").splitlines() if line.strip())
        frames = len([p for p in (s / "img").glob("*.jpg")]) if (s / "img").is_dir() else 0
        v.frames += frames
        if frames != rows:
            v.problems.append(f"{s}: {frames} frames but {rows} groundtruth rows")
        for flag in ("full_occlusion.txt", "out_of_view.txt"):
            if not (s / flag).is_file():
                v.problems.append(f"{s / flag} is missing")
    return v


def fetch_lasot(out: Path, classes: list[str] | None = None, repo_id: str = REPO_ID,
                list_files: Callable[[str], list[str]] = list_remote_files,
                download: Callable[[str, str, Path], Path] = download_file,
                report: Callable[[str], None] = print, expected_sequences: int | None = 20) -> Verification:
    out = Path(out)
    files = list_files(repo_id)
    archives = {class_of(f): f for f in files if class_of(f)}
    if not archives:
        raise FetchError(f"the dataset {repo_id} lists no archives ({', '.join(ARCHIVE_SUFFIXES)})")
    wanted = classes or sorted(archives)
    unknown = [c for c in wanted if c not in archives]
    if unknown:
        raise FetchError(f"no archive for class(es) {', '.join(unknown)} in {repo_id}; available: "
                         f"{', '.join(sorted(archives))}")
    total = Verification()
    downloads = out / ".downloads"
    for i, cls in enumerate(wanted, 1):
        marker = out / cls / ".ltr-verified"
        if marker.is_file():
            report(f"[{i}/{len(wanted)}] {cls}: already unpacked and verified")
            v = verify_class(out, cls, expected_sequences)
        else:
            report(f"[{i}/{len(wanted)}] {cls}: downloading {archives[cls]}")
            path = download(repo_id, archives[cls], downloads)
            report(f"[{i}/{len(wanted)}] {cls}: unpacking")
            unpack(Path(path), out, cls)
            v = verify_class(out, cls, expected_sequences)
            if not v.problems:
                marker.write_text("ok\n")
                Path(path).unlink(missing_ok=True)   # the archive is no longer needed once verified
        report(f"[{i}/{len(wanted)}] {cls}: {v.sequences} sequences, {v.frames} frames"
               + (f", {len(v.problems)} problems" if v.problems else ", verified"))
        total.sequences += v.sequences
        total.frames += v.frames
        total.problems += v.problems
    return total
