"""Random byte corruption of every input kind ltr reads (config, ground truth, flags, result file, checkpoint,
image, video, ONNX file) never gives a traceback or an exit code other than 0 or 2, and never writes outside the
workspace. Each corruption is seeded: a failure names the kind, the seed and the command to replay it."""

import hashlib
import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from ltr_core.cli import main

CORRUPTIONS_PER_KIND = 4


def corrupt(path: Path, seed: int) -> None:
    """Flip, overwrite, truncate or insert bytes of ``path`` (chosen by ``seed``)."""
    rng = np.random.default_rng(seed)
    data = bytearray(path.read_bytes())
    how = seed % 4
    if how == 0 and data:                                  # flip a few random bits
        for i in rng.integers(0, len(data), max(1, len(data) // 200)):
            data[i] ^= 1 << int(rng.integers(8))
    elif how == 1 and data:                                # overwrite a block with random bytes
        start = int(rng.integers(0, len(data)))
        block = rng.integers(0, 256, min(64, len(data) - start), dtype=np.uint8).tobytes()
        data[start:start + len(block)] = block
    elif how == 2:                                         # truncate
        data = data[: int(rng.integers(0, max(1, len(data))))]
    else:                                                  # insert junk: number-like text and binary bytes
        start = int(rng.integers(0, len(data) + 1))
        data[start:start] = bytes(rng.choice(list(b"nan,-1e309:{[\n\x00\xff"), 24).tolist())
    path.write_bytes(bytes(data))


def snapshot(root: Path, skip: Path) -> dict:
    """Files under ``root`` (outside ``skip``) with their content hashes."""
    out = {}
    for p in root.rglob("*"):
        if p.is_file() and not p.is_relative_to(skip):
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, demo_tree):
    """One clean copy of every input kind, made with the tiny plugin (trained one epoch, exported)."""
    base = tmp_path_factory.mktemp("fuzz_inputs")
    ws = base / "ws"
    env = {"LTR_PLUGINS": "tiny=tiny_plugin", "LTR_DEMO_DIR": str(demo_tree), "LTR_WORKSPACE": str(ws)}
    runner = CliRunner()
    from ltr_core import registry
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        registry.set_registry(None)
        assert runner.invoke(main, ["train", "tiny/tiny", "--set", "trainer.epochs=1"]).exit_code == 0
        assert runner.invoke(main, ["eval", "tiny/tiny"]).exit_code == 0
        assert runner.invoke(main, ["export", "tiny/tiny", "--out", str(base / "onnx")]).exit_code == 0
    registry.set_registry(None)
    video = base / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (96, 72))
    for i in range(8):
        frame = np.zeros((72, 96, 3), np.uint8)
        frame[20 + i:40 + i, 30 + 2 * i:50 + 2 * i] = 255
        writer.write(frame)
    writer.release()
    config = base / "mine.yaml"
    config.write_text("# a user's config\nbase: tiny/tiny\ntrainer: {epochs: 1, keep_last: 1}\n"
                      "data:\n  train:\n    loader: {batch_size: 4}\n")
    return {"base": base, "ws": ws, "tree": demo_tree, "video": video, "config": config,
            "checkpoint": ws / "checkpoints" / "ltr" / "tiny" / "tiny" / "ep0001.pth",
            "results": ws / "results" / "tiny" / "tiny" / "demo", "onnx": base / "onnx"}


def _sequence(tree: Path) -> Path:
    return sorted(p for p in tree.glob("*/*-3") if p.is_dir())[0]


def _prepare(kind: str, inputs: dict, sandbox: Path):
    """(file to corrupt, the ltr command that reads it) in a fresh copy of the inputs under ``sandbox``."""
    tree = sandbox / "tree"
    shutil.copytree(inputs["tree"], tree)
    seq = _sequence(tree)
    ckpt = sandbox / "ep0001.pth"
    shutil.copy(inputs["checkpoint"], ckpt)
    demo = ["--dataset", f"demo:{tree}"]
    if kind == "config":
        target = sandbox / "mine.yaml"
        shutil.copy(inputs["config"], target)
        return target, ["config", "show", target]
    if kind == "ground truth":
        return seq / "groundtruth.txt", ["eval", "tiny/tiny", "--checkpoint", ckpt, *demo]
    if kind == "flags":
        return seq / "out_of_view.txt", ["eval", "tiny/tiny", "--checkpoint", ckpt, *demo]
    if kind == "result file":
        results = sandbox / "results"
        shutil.copytree(inputs["results"], results)
        return results / f"{seq.name}.txt", ["score", "--results", results, *demo]
    if kind == "checkpoint":
        return ckpt, ["eval", "tiny/tiny", "--checkpoint", ckpt, *demo]
    if kind == "image":
        return seq / "img" / "00000005.jpg", ["eval", "tiny/tiny", "--checkpoint", ckpt, *demo]
    if kind == "video":
        video = sandbox / "clip.mp4"
        shutil.copy(inputs["video"], video)
        return video, ["track", "tiny/tiny", "--checkpoint", ckpt, "--video", video, "--init", "30,20,20,20",
                       "--boxes", sandbox / "ws" / "boxes.txt"]
    if kind == "onnx":
        onnx = sandbox / "onnx"
        shutil.copytree(inputs["onnx"], onnx)
        return onnx / "forward.onnx", None
    raise ValueError(kind)


KINDS = ["config", "ground truth", "flags", "result file", "checkpoint", "image", "video", "onnx"]


@pytest.mark.parametrize("kind", KINDS)
def test_corrupt_input_gives_exit_0_or_2_one_line_and_no_write_outside_the_workspace(kind, inputs, tmp_path,
                                                                                      monkeypatch, demo_tree):
    from ltr_core import registry

    monkeypatch.setenv("LTR_PLUGINS", "tiny=tiny_plugin")
    monkeypatch.setenv("LTR_DEMO_DIR", str(demo_tree))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    registry.set_registry(None)
    codes = []
    for seed in range(CORRUPTIONS_PER_KIND):
        sandbox = tmp_path / f"s{seed}"
        sandbox.mkdir()
        target, command = _prepare(kind, inputs, sandbox)
        corrupt(target, 1000 * KINDS.index(kind) + seed)
        if kind == "onnx":      # keep the manifest's checksum in step, so ONNX Runtime itself reads the bytes
            manifest = json.loads((target.parent / "manifest.json").read_text())
            manifest["parts"][0]["sha256"] = hashlib.sha256(target.read_bytes()).hexdigest()
            (target.parent / "manifest.json").write_text(json.dumps(manifest))
            from ltr_core.deploy.onnx import OnnxNet
            from ltr_core.errors import UserError
            try:
                OnnxNet(target.parent)
                codes.append(0)
            except UserError:
                codes.append(2)
            continue
        ws = sandbox / "ws"
        monkeypatch.chdir(sandbox)
        before = snapshot(tmp_path, ws)
        result = CliRunner().invoke(main, [str(c) for c in command] + ["--workspace", str(ws)]
                                    if command[0] in ("eval", "track") else [str(c) for c in command])
        replay = f"kind {kind!r}, seed {1000 * KINDS.index(kind) + seed}: ltr {' '.join(map(str, command))}"
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            f"{replay} raised {result.exception!r}:\n{result.output}"
        assert result.exit_code in (0, 2), f"{replay} exited {result.exit_code}:\n{result.output}"
        assert "Traceback" not in result.output, f"{replay}:\n{result.output}"
        if result.exit_code == 2:
            errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
            assert len(errors) == 1, f"{replay}: expected one error line:\n{result.output}"
        after = snapshot(tmp_path, ws)
        changed = sorted(set(after) - set(before)) + [p for p in before if before[p] != after.get(p)]
        allowed = [p for p in changed if Path(p).is_relative_to(inputs["base"]) or Path(p) == target]
        outside = [p for p in changed if p not in allowed]
        if command[0] == "score":       # ltr score writes its plots beside the results it scores
            outside = [p for p in outside if not Path(p).is_relative_to(sandbox / "results")]
        assert not outside, f"{replay} wrote outside the workspace: {outside}"
        codes.append(result.exit_code)
    assert codes, kind
