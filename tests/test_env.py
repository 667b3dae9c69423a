"""Dataset roots and workspace resolution; a missing root stops before any work with the variable to set."""


import pytest

from ltr_core import env
from ltr_core.cli_runner import run_ltr
from ltr_core.config import load_config
from ltr_core.data.build import build_datasets


def test_unset_dataset_root_names_the_variable(tiny_env, monkeypatch, tmp_path):
    monkeypatch.delenv("LTR_LASOT_DIR", raising=False)
    monkeypatch.setenv("LTR_ENV_FILE", str(tmp_path / "none.yaml"))
    cfg = load_config("tiny/tiny", ["data.train.datasets.0.root_env=LTR_LASOT_DIR"])
    with pytest.raises(env.EnvironmentError_, match="LTR_LASOT_DIR is not set"):
        build_datasets(cfg["data"]["train"], tmp_path)


def test_missing_root_names_the_path(tiny_env, monkeypatch, tmp_path):
    monkeypatch.setenv("LTR_DEMO_DIR", str(tmp_path / "nowhere"))
    cfg = load_config("tiny/tiny")
    with pytest.raises(env.EnvironmentError_, match=r"LTR_DEMO_DIR=.*nowhere .*does not exist.*ltr data make-demo"):
        build_datasets(cfg["data"]["train"], tmp_path)


def test_user_env_file_supplies_roots(monkeypatch, tmp_path):
    (tmp_path / "lasot").mkdir()
    f = tmp_path / "env.yaml"
    f.write_text(f"LTR_LASOT_DIR: {tmp_path / 'lasot'}\n")
    monkeypatch.setenv("LTR_ENV_FILE", str(f))
    monkeypatch.delenv("LTR_LASOT_DIR", raising=False)
    assert env.dataset_root("LTR_LASOT_DIR") == tmp_path / "lasot"
    assert env.lookup("LTR_LASOT_DIR")[1] == str(f)


def test_workspace_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("LTR_WORKSPACE", str(tmp_path / "a"))
    assert env.workspace_dir() == tmp_path / "a"
    assert env.workspace_dir(tmp_path / "b") == tmp_path / "b"


def test_ltr_env_shows_resolved_values(tiny_env, tmp_path, monkeypatch):
    monkeypatch.setenv("LTR_GOT10K_DIR", str(tmp_path / "missing-got"))
    out = run_ltr("env", "--workspace", str(tmp_path / "w"))
    assert out.returncode == 0
    assert f"workspace            {tmp_path / 'w'}" in out.stdout
    assert "missing-got  [missing]   (environment)" in out.stdout
