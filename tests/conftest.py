"""Shared fixtures: a small generated demo tree and a registry with the tests' tiny tracker plugin."""

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))  # makes `tiny_plugin` importable here and in subprocesses via PYTHONPATH


@pytest.fixture(scope="session")
def demo_tree(tmp_path_factory) -> Path:
    from ltr_core.data.demo import DemoSpec, make_demo

    root = tmp_path_factory.mktemp("demo")
    make_demo(root, DemoSpec(classes=2, per_class=3, frames=40, width=160, height=120, seed=5, test_per_class=1),
              progress=False)
    return root


@pytest.fixture
def tiny_env(demo_tree, tmp_path, monkeypatch):
    """Environment for running `ltr` with the tiny plugin on the demo tree, in-process or as a subprocess."""
    from ltr_core import registry

    monkeypatch.setenv("LTR_PLUGINS", "tiny=tiny_plugin")
    monkeypatch.setenv("LTR_DEMO_DIR", str(demo_tree))
    monkeypatch.setenv("LTR_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    registry.set_registry(None)
    yield tmp_path / "ws"
    registry.set_registry(None)
