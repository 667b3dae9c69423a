"""ltr_core.cli_runner.run_ltr answers as a new `python -m ltr_core` does, and leaves the test's process as it was."""

import os
import subprocess
import sys

import torch

from ltr_core import registry
from ltr_core.cli_runner import run_ltr


def test_run_ltr_answers_like_a_new_process_on_success_and_on_a_user_error(tiny_env):
    for args in (["config", "show", "tiny/tiny", "--set", "trainer.epochs=9"],
                 ["config", "show", "tiny/tiny", "--set", "trainer.epochz=1"],
                 ["list", "nosuchkind"]):
        inside = run_ltr(*args)
        outside = subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True,
                                 timeout=120)
        assert (inside.returncode, inside.stdout, inside.stderr) == \
               (outside.returncode, outside.stdout, outside.stderr), args


def test_run_ltr_restores_the_environment_folder_registry_and_torch_state(tiny_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before_env, threads = dict(os.environ), torch.get_num_threads()
    reg = registry.get_registry()
    out = run_ltr("env", env={**os.environ, "LTR_WORKSPACE": str(tmp_path / "elsewhere")}, cwd=tiny_env.parent)
    assert out.returncode == 0 and str(tmp_path / "elsewhere") in out.stdout
    assert dict(os.environ) == before_env and os.getcwd() == str(tmp_path)
    assert torch.get_num_threads() == threads and not torch.are_deterministic_algorithms_enabled()
    assert registry.get_registry() is not reg          # rebuilt from the restored environment, not the call's


def test_an_unexpected_exception_ends_stderr_with_its_traceback_and_exit_code_1(tiny_env, monkeypatch):
    import ltr_core.cli as cli

    def boom(*a, **k):
        raise ZeroDivisionError("not a user error")

    monkeypatch.setattr(cli, "load_config", boom)
    out = run_ltr("config", "show", "tiny/tiny")
    assert out.returncode == 1 and out.stderr.rstrip().endswith("ZeroDivisionError: not a user error")
    assert "Traceback (most recent call last)" in out.stderr
