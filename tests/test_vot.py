"""`ltr vot`: an ltr tracker over the TraX protocol, driven by vot-trax's own client and by the VOT toolkit
(vot-toolkit 0.9 in .venv-vot/, which `scripts/install_vot_toolkit.sh` sets up), and `ltr vot setup`."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ltr_core.cli_runner import run_ltr

ROOT = Path(__file__).resolve().parents[1]
TOOLKIT = ROOT / ".venv-vot" / "bin" / "vot"


@pytest.fixture(scope="module")
def served(demo_tree, tmp_path_factory):
    """The tiny tracker trained for an epoch, and the environment a process serving it needs."""
    ws = tmp_path_factory.mktemp("vot") / "ws"
    env = {**os.environ, "LTR_PLUGINS": "tiny=tiny_plugin", "LTR_DEMO_DIR": str(demo_tree), "LTR_WORKSPACE": str(ws),
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])}
    out = run_ltr("train", "tiny/tiny", "--set", "trainer.epochs=1", env=env)
    assert out.returncode == 0, out.stderr
    return ws, env


def trax_sessions(env, sessions, *args):
    """vot-trax's client starting `ltr vot tiny/tiny` as the toolkit does (a process on pipes, standard error merged
    into standard output) and, for each ``(frames, region)`` of ``sessions``, initializing on the first frame and
    sending the others (the toolkit re-initializes one process after a failure the same way); returns the boxes
    and confidences answered, per session."""
    import trax
    import trax.client

    proc = subprocess.Popen([sys.executable, "-m", "ltr_core", "vot", "tiny/tiny", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, bufsize=0)
    answers = []
    try:
        client = trax.client.Client(stream=(proc.stdin.fileno(), proc.stdout.fileno()), log=lambda line: None)
        assert client.tracker_name == "tiny/tiny" and client.region_formats == ["rectangle"]
        for frames, region in sessions:
            objects, _ = client.initialize({"color": trax.FileImage.create(str(frames[0]))}, [(region, {})], {})
            boxes, confidences = [objects[0][0].bounds()], [float(objects[0][1]["confidence"])]
            for f in frames[1:]:
                objects, _ = client.frame({"color": trax.FileImage.create(str(f))}, {}, [])
                boxes.append(objects[0][0].bounds())
                confidences.append(float(objects[0][1]["confidence"]))
            answers.append((np.array(boxes), np.array(confidences)))
        client.quit()
        assert proc.wait(30) == 0
    finally:
        proc.kill()
    return answers


def test_the_trax_client_gets_the_boxes_ltr_track_gives(served, demo_tree, tmp_path):
    import trax

    ws, env = served
    seq = demo_tree / "zebra" / "zebra-3"
    frames = sorted((seq / "img").glob("*.jpg"))
    init = [float(v) for v in (seq / "groundtruth.txt").read_text().splitlines()[0].split(",")]
    track = run_ltr("track", "tiny/tiny", "--frames", str(seq / "img"), "--init", ",".join(map(str, init)),
                    "--boxes", str(tmp_path / "track.txt"), env=env)
    assert track.returncode == 0, track.stderr
    expected = np.loadtxt(tmp_path / "track.txt", delimiter=",")           # %.2f, as ltr track writes them
    x, y, w, h = init       # then a polygon (as VOT's rotated ground truth is): it arrives as its bounding box
    quad = [(x + w / 2, y), (x + w, y + h / 2), (x + w / 2, y + h), (x, y + h / 2)]
    (boxes, confidences), (polygon_boxes, _) = trax_sessions(
        env, [(frames, trax.Rectangle.create(*init)), (frames[:12], trax.Polygon.create(quad))])
    assert boxes.shape == expected.shape == (40, 4)
    # the same boxes to the precision each side writes: ltr track 2 decimals, TraX 4 decimals of a float32 (the
    # one-epoch tiny tracker drifts far out of the frame, where a float32 keeps 7 digits)
    np.testing.assert_allclose(boxes, expected, rtol=2.4e-7, atol=0.005 + 1e-4)
    assert np.all((confidences >= 0) & (confidences <= 1)) and confidences[0] == 1

    np.testing.assert_allclose(polygon_boxes, expected[:12], rtol=2.4e-7, atol=0.005 + 1e-4)


def test_with_onnx_runtime_the_session_answers_as_ltr_track_does_with_it(served, demo_tree, tmp_path):
    import trax

    ws, env = served
    seq = demo_tree / "zebra" / "zebra-3"
    frames = sorted((seq / "img").glob("*.jpg"))[:15]
    init = [float(v) for v in (seq / "groundtruth.txt").read_text().splitlines()[0].split(",")]
    (boxes, _), = trax_sessions(env, [(frames, trax.Rectangle.create(*init))], "--runtime", "onnx")
    track = run_ltr("track", "tiny/tiny", "--frames", str(seq / "img"), "--init", ",".join(map(str, init)),
                    "--runtime", "onnx", "--boxes", str(tmp_path / "onnx.txt"), env=env)
    assert track.returncode == 0, track.stderr
    expected = np.loadtxt(tmp_path / "onnx.txt", delimiter=",")[:15]
    np.testing.assert_allclose(boxes, expected, rtol=2.4e-7, atol=0.005 + 1e-4)


def test_a_frame_that_cannot_be_read_ends_the_session_with_the_reason_and_one_line(served, demo_tree, tmp_path):
    import trax
    import trax.client

    ws, env = served
    seq = demo_tree / "zebra" / "zebra-3"
    init = [float(v) for v in (seq / "groundtruth.txt").read_text().splitlines()[0].split(",")]
    proc = subprocess.Popen([sys.executable, "-m", "ltr_core", "vot", "tiny/tiny"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, bufsize=0)
    try:
        client = trax.client.Client(stream=(proc.stdin.fileno(), proc.stdout.fileno()), log=lambda line: None)
        client.initialize({"color": trax.FileImage.create(str(seq / "img" / "00000001.jpg"))},
                          [(trax.Rectangle.create(*init), {})], {})
        with pytest.raises(trax.TraxException, match="Server terminated the session: .*nowhere.jpg"):
            client.frame({"color": trax.FileImage.create(str(tmp_path / "nowhere.jpg"))}, {}, [])
        assert proc.wait(30) == 2
        error = proc.stderr.read().decode()
        assert error.startswith("error: ") and len(error.splitlines()) == 1 and "nowhere.jpg" in error, error
    finally:
        proc.kill()


def test_the_vot_toolkit_runs_an_ltr_tracker_end_to_end(served, tmp_path):
    assert TOOLKIT.is_file(), "the VOT toolkit is not in .venv-vot/: run `bash scripts/install_vot_toolkit.sh`"
    ws, env = served
    out = run_ltr("vot", "setup", str(tmp_path / "votws"), "--stack", "tests/basic", "--config", "tiny/tiny",
                  "--workspace", str(ws), env=env)
    assert out.returncode == 0, out.stderr
    assert "(1 trackers: ltr_tiny_tiny)" in out.stdout
    ini = (tmp_path / "votws" / "trackers.ini").read_text()
    assert "[ltr_tiny_tiny]\nlabel = ltr tiny/tiny\nprotocol = trax\n" in ini and f"--workspace {ws}" in ini
    test = subprocess.run([str(TOOLKIT), "test", "ltr_tiny_tiny"], cwd=tmp_path / "votws", capture_output=True,
                          text=True, timeout=300, env={**env, "VOT_REGISTRY": str(tmp_path / "votws")})
    log = test.stdout + test.stderr
    assert test.returncode == 0 and "Test concluded successful" in log, log[-3000:]
    states = [line for line in log.splitlines() if line.startswith("@@TRAX:state")]
    assert len(states) == 50, len(states)                  # the toolkit's generated sequence: 50 frames

    # setup again keeps another vendor's entry and refuses a workspace made for another stack
    with open(tmp_path / "votws" / "trackers.ini", "a") as f:
        f.write("\n[theirs]\nlabel = theirs\nprotocol = trax\ncommand = theirs\n")
    assert run_ltr("vot", "setup", str(tmp_path / "votws"), "--stack", "tests/basic", "--config", "tiny/tiny",
                   env=env).returncode == 0
    assert "[theirs]" in (tmp_path / "votws" / "trackers.ini").read_text()
    other = run_ltr("vot", "setup", str(tmp_path / "votws"), "--stack", "vot2022/stb", env=env)
    assert other.returncode == 2 and "names another stack" in other.stderr


def test_without_vot_trax_or_with_another_trax_it_says_what_to_install(served, tmp_path, monkeypatch):
    ws, env = served
    monkeypatch.setitem(sys.modules, "trax", None)               # not installed: the import fails
    out = run_ltr("vot", "tiny/tiny", env=env)
    assert out.returncode == 2 and out.stderr == ("error: ltr vot needs the TraX bindings: pip install "
                                                  "'ltr-core[vot]' (the vot-trax package)\n")
    monkeypatch.delitem(sys.modules, "trax")
    fake = tmp_path / "fake" / "trax"                             # Google's trax: same import name, no TraX
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("layers = None\n")
    shadowed = subprocess.run([sys.executable, "-m", "ltr_core", "vot", "tiny/tiny"], capture_output=True, text=True,
                              env={**env, "PYTHONPATH": os.pathsep.join([str(fake.parent), env["PYTHONPATH"]])},
                              timeout=120)
    assert shadowed.returncode == 2 and len(shadowed.stderr.splitlines()) == 1, shadowed.stderr
    assert f"the 'trax' module at {fake / '__init__.py'} is not vot-trax's" in shadowed.stderr
    assert "pip uninstall trax" in shadowed.stderr and shadowed.stdout == ""
