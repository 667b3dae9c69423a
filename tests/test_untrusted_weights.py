"""No weights file runs code, by construction: every loader reads with torch.load(weights_only=True), which never
hands a file to torch.jit.load, so no disagreement between zip readers can make ltr run what a file carries. A
fuzz of mutated archives (end records, zip64 locator and record, versions, duplicate entries, TorchScript and
__reduce__ payloads) through every command that reads weights: exit code 0 or 2, one line, no payload run."""

import ast
import io
import os
import pickle
import struct
import zipfile
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from ltr_core.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_no_code_in_the_packages_can_run_a_files_code():
    """No call of torch.jit.load, and no torch.load(weights_only=False), anywhere in ltr_core or the plugins."""
    found = []
    for path in [*ROOT.glob("ltr_core/**/*.py"), *ROOT.glob("plugins/*/ltr_*/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            func = ast.unparse(node.func)
            if func.endswith("jit.load") or func == "pickle.load" or func == "pickle.loads":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {func}")
            for kw in node.keywords:
                if kw.arg == "weights_only" and not (isinstance(kw.value, ast.Constant) and kw.value.value is True):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: weights_only={ast.unparse(kw.value)}")
            if func.endswith("torch.load") and not any(kw.arg == "weights_only" for kw in node.keywords):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: torch.load without weights_only=True")
    assert not found, found


class Payload:
    """Unpickling this writes a marker file: what a hostile checkpoint does with __reduce__."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (Path.write_text, (Path(self.marker), "ran"))


def sources(tmp_path, checkpoint, marker):
    """The files the fuzz starts from: an ltr checkpoint, a TorchScript archive, and torch.save'd pickles whose
    unpickling would write the marker (as a top-level object and hidden in a pytracking-style checkpoint)."""
    out = {"checkpoint": checkpoint.read_bytes()}
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buf)
    out["torchscript"] = buf.getvalue()
    state = torch.load(checkpoint, weights_only=True)
    for name, obj in (("reduce", Payload(marker)),
                      ("pytracking", {"net": state["net"], "constructor": Payload(marker), "epoch": 3})):
        buf = io.BytesIO()
        torch.save(obj, buf)
        out[name] = buf.getvalue()
    raw = io.BytesIO()
    pickle.dump({"net": {}, "x": Payload(marker)}, raw, protocol=2)     # not a zip: the legacy loader's path
    out["raw-pickle"] = raw.getvalue()
    return out


def mutations(data: bytes):
    """(name, bytes) variants of an archive: the ones where Python's zipfile and torch's reader disagree first."""
    yield "as is", data
    eocd, loc, z64 = data.rfind(b"PK\x05\x06"), data.rfind(b"PK\x06\x07"), data.rfind(b"PK\x06\x06")

    def poke(offset, fmt, value):
        b = bytearray(data)
        struct.pack_into(fmt, b, offset, value)
        return bytes(b)

    if eocd >= 0:
        yield "eocd disk 1", poke(eocd + 4, "<H", 1)
        yield "eocd entries +1", poke(eocd + 10, "<H", struct.unpack_from("<H", data, eocd + 10)[0] + 1)
        yield "eocd comment past the end", poke(eocd + 20, "<H", 40)
        yield "truncated end", data[:eocd + 10]
    if loc >= 0:
        yield "zip64 locator disk 1", poke(loc + 4, "<I", 1)                  # Python refuses, torch reads on
        yield "zip64 locator disks 2", poke(loc + 16, "<I", 2)
        yield "zip64 locator offset +1", poke(loc + 8, "<Q", z64 + 1)
    if z64 >= 0:
        yield "zip64 record signature", poke(z64, "<I", 0x06064B51)          # Python refuses, torch reads on
        yield "zip64 version needed 99", poke(z64 + 14, "<H", 99)
        yield "zip64 disk 1", poke(z64 + 16, "<I", 1)
    first = data.find(b"PK\x03\x04")
    if first >= 0:
        yield "local version needed 99", poke(first + 4, "<H", 99)
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            entries = [(i, z.read(i)) for i in z.infolist()]
        dup = io.BytesIO()
        with zipfile.ZipFile(dup, "w", zipfile.ZIP_STORED) as z:
            for info, body in entries:
                z.writestr(info, body)
            pkl = next(info for info, _ in entries if info.filename.endswith("data.pkl"))
            payload = pickle.dumps(Payload("/nonexistent/never"), protocol=2)
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                z.writestr(pkl.filename, payload)                          # a second data.pkl after the first
        yield "duplicate data.pkl", dup.getvalue()


@pytest.mark.slow
def test_mutated_archives_never_run_a_payload_and_always_end_in_one_line(tiny_env, tmp_path, monkeypatch):
    runner = CliRunner()
    assert runner.invoke(main, ["train", "tiny/tiny", "--set", "trainer.epochs=1"]).exit_code == 0
    checkpoint = tiny_env / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0001.pth"
    marker = tmp_path / "payload-ran"
    jit_loads = []
    monkeypatch.setattr(torch.jit, "load", lambda *a, **k: jit_loads.append(a) or torch.nn.Linear(2, 2))
    from ltr_ostrack.network import load_mae
    from ltr_ostrack.vit import OneStreamViT

    vit = OneStreamViT(embed_dim=32, depth=1, num_heads=2, patch_size=16, template_size=32, search_size=64,
                       pretrain_img_size=64)
    cases = 0
    for source, data in sources(tmp_path, checkpoint, marker).items():
        for mutation, body in mutations(data):
            path = tmp_path / "in" / f"{source}-{mutation.replace(' ', '_')}.pth"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(body)
            for args in (["import", "tiny", path, "-o", tmp_path / "out.pth", "--config", "tiny/tiny"],
                         ["train", "tiny/tiny", "--init-from", path, "--no-resume", "--set", "trainer.epochs=1"],
                         ["eval", "tiny/tiny", "--checkpoint", path, "--split", "test", "--sequences", "zebra-3"],
                         ["export", "tiny/tiny", "--checkpoint", path, "--out", tmp_path / "onnx", "--no-check"]):
                result = runner.invoke(main, [str(a) for a in args])
                where = f"{source} / {mutation} / ltr {args[0]}"
                assert result.exception is None or isinstance(result.exception, SystemExit), \
                    f"{where}: {type(result.exception).__name__}: {result.exception}"
                assert result.exit_code in (0, 2), (where, result.output)
                if result.exit_code == 2:
                    assert result.output.strip().splitlines()[-1].startswith("error: ")
                    assert "Traceback" not in result.output
                assert not marker.exists() and not jit_loads, where
                cases += 1
            try:                                          # a plugin's own weights option (OSTrack's MAE file)
                load_mae(vit, str(path))
            except Exception as e:
                from ltr_core.errors import UserError
                assert isinstance(e, (UserError, RuntimeError)), f"{source} / {mutation} / MAE: {e!r}"
            assert not marker.exists() and not jit_loads
    assert cases >= 5 * 10 * 4


def test_a_torchscript_archive_that_pythons_zip_reader_rejects_is_still_refused(tmp_path, monkeypatch):
    """The case that ran code before: Python's zipfile rejects the archive, torch's own reader accepts it."""
    from ltr_core.train.checkpoint import CheckpointError, load_checkpoint
    from ltr_core.train.importing import read_foreign
    from ltr_core.train.safe_pickle import UnsafeFileError, torchscript_archive

    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), buf)
    data = bytearray(buf.getvalue())
    loc = data.rfind(b"PK\x06\x07")
    struct.pack_into("<I", data, loc + 4, 1)
    path = tmp_path / "disagreeing.pt"
    path.write_bytes(bytes(data))
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(path)
    assert not torchscript_archive(path)                 # the old guard's opinion: not an archive of code
    monkeypatch.setattr(torch.jit, "load", lambda *a, **k: pytest.fail("torch.jit.load ran"))
    with pytest.raises(UnsafeFileError, match="is a TorchScript archive: it carries code"):
        read_foreign(path)
    with pytest.raises(CheckpointError, match="is a TorchScript archive: it carries code"):
        load_checkpoint(path)


def test_a_file_naming_a_module_that_runs_commands_is_refused_naming_it(tmp_path):
    from ltr_core.train.importing import read_foreign
    from ltr_core.train.safe_pickle import UnsafeFileError

    class Command:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'ran'}",))

    torch.save({"net": {"w": torch.ones(2)}, "constructor": Command()}, tmp_path / "hostile.pth")
    with pytest.raises(UnsafeFileError, match=r"hostile.pth names posix.system, from module posix, which no weights "
                                              r"file needs \(it runs commands\): not loaded"):
        read_foreign(tmp_path / "hostile.pth")
    assert not (tmp_path / "ran").exists()
