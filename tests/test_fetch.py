"""`ltr data fetch lasot`: archive listing, unpacking and verification on generated archives; offline errors."""

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from ltr_core.data import fetch
from ltr_core.data.datasets.lasot import LaSOT


def make_archives(demo_tree: Path, where: Path) -> dict:
    """zebra as a zip holding zebra/zebra-N/..., board as a tar.gz holding board-N/... directly."""
    where.mkdir()
    with zipfile.ZipFile(where / "zebra.zip", "w") as z:
        for p in sorted((demo_tree / "zebra").rglob("*")):
            z.write(p, p.relative_to(demo_tree))
    with tarfile.open(where / "board.tar.gz", "w:gz") as t:
        for seq in sorted((demo_tree / "board").iterdir()):
            t.add(seq, seq.name)
    return {"zebra.zip": where / "zebra.zip", "board.tar.gz": where / "board.tar.gz"}


def fake_hub(archives, calls):
    def list_files(repo):
        return ["README.md", ".gitattributes", *archives]

    def download(repo, name, dest):
        calls.append(name)
        dest.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(archives[name], dest / name))

    return list_files, download


def test_fetch_unpacks_verifies_and_resumes(demo_tree, tmp_path):
    archives = make_archives(demo_tree, tmp_path / "remote")
    calls = []
    list_files, download = fake_hub(archives, calls)
    out = tmp_path / "lasot"
    v = fetch.fetch_lasot(out, None, list_files=list_files, download=download, report=lambda m: None,
                          expected_sequences=3)
    assert v.problems == [] and v.sequences == 6 and v.frames == 6 * 40
    assert sorted(calls) == ["board.tar.gz", "zebra.zip"]
    assert sorted(LaSOT(out, split="all").sequence_names()) == sorted(
        f"{c}-{i}" for c in ("zebra", "board") for i in (1, 2, 3))
    # rerun: verified classes are not downloaded again
    fetch.fetch_lasot(out, None, list_files=list_files, download=download, report=lambda m: None,
                      expected_sequences=3)
    assert len(calls) == 2


def test_verification_reports_missing_frames(demo_tree, tmp_path):
    archives = make_archives(demo_tree, tmp_path / "remote")
    list_files, download = fake_hub(archives, [])
    out = tmp_path / "lasot"
    fetch.fetch_lasot(out, ["zebra"], list_files=list_files, download=download, report=lambda m: None,
                      expected_sequences=3)
    (out / "zebra" / "zebra-2" / "img" / "00000007.jpg").unlink()
    v = fetch.verify_class(out, "zebra", expected_sequences=20)
    assert any("zebra-2: 39 frames but 40 groundtruth rows" in p for p in v.problems)
    assert "zebra: 3 sequences, expected 20" in v.problems


def test_unknown_class_and_damaged_or_hostile_archives(demo_tree, tmp_path):
    archives = make_archives(demo_tree, tmp_path / "remote")
    list_files, download = fake_hub(archives, [])
    with pytest.raises(fetch.FetchError, match=r"no archive for class\(es\) cat .*available: board, zebra"):
        fetch.fetch_lasot(tmp_path / "o", ["cat"], list_files=list_files, download=download)
    bad = tmp_path / "zebra.zip"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(fetch.FetchError, match="neither a zip nor a tar|damaged"):
        fetch.unpack(bad, tmp_path / "o", "zebra")
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../escape.txt", "x")
    with pytest.raises(fetch.FetchError, match="outside"):
        fetch.unpack(evil, tmp_path / "o", "evil")
    assert not (tmp_path.parent / "escape.txt").exists()
    future = tmp_path / "future.zip"                  # a zip version Python's reader lacks (it raises
    with zipfile.ZipFile(future, "w") as z:           # NotImplementedError, not BadZipFile)
        z.writestr("future/future-1/groundtruth.txt", "1,2,3,4\n")
    data = bytearray(future.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 6:central + 8] = (99).to_bytes(2, "little")      # version needed to extract: 9.9
    future.write_bytes(bytes(data))
    with pytest.raises(fetch.FetchError, match=rf"^{future} uses a zip feature this Python cannot unpack \(zip "
                                               r"file version 9\.9\); unpack it with another tool"):
        fetch.unpack(future, tmp_path / "o", "future")


def test_offline_fetch_fails_at_once_with_a_clear_message(tmp_path, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_hub(name, *a, **k):
        if name == "huggingface_hub":
            raise ImportError(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_hub)
    with pytest.raises(fetch.FetchError, match=r"pip install 'ltr-core\[fetch\]'"):
        fetch.list_remote_files()
    monkeypatch.setattr(builtins, "__import__", real_import)

    class OfflineApi:
        def list_repo_files(self, *a, **k):
            raise ConnectionError("Failed to resolve 'huggingface.co'")

    fake = type(sys)("huggingface_hub")
    fake.HfApi = OfflineApi
    monkeypatch.setitem(sys.modules, "huggingface_hub", fake)
    with pytest.raises(fetch.FetchError, match="Are you offline"):
        fetch.list_remote_files()


def test_fetch_command_reports_errors_as_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-c",
                          "import sys, types; sys.modules['huggingface_hub'] = None; "
                          "from ltr_core.cli import main; main(['data', 'fetch', 'lasot', '--out', '" +
                          str(tmp_path) + "'])"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "error: downloading LaSOT needs huggingface_hub" in out.stderr
