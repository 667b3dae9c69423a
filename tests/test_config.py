"""Configs: addressing, inheritance, overrides and validation errors that name the key path."""

import os

import pytest
import yaml

from ltr_core.cli_runner import run_ltr
from ltr_core.config import ConfigError, load_config


def test_plugin_config_resolves_with_defaults_filled_in(tiny_env):
    cfg = load_config("tiny/tiny")
    assert cfg["_name"] == "tiny/tiny"
    assert cfg["net"] == {"name": "tiny/tiny", "width": 8}                # the qualified name of the component
    assert cfg["data"]["train"]["sampler"]["name"] == "core/tracking"
    assert cfg["data"]["train"]["sampler"]["max_gap"] == 20
    assert cfg["data"]["train"]["sampler"]["mode"] == "interval"          # factory default filled in
    assert cfg["trainer"]["amp"] == "off"                                  # core default filled in


def test_overrides_are_parsed_as_yaml_and_reach_lists(tiny_env):
    cfg = load_config("tiny/tiny", ["trainer.epochs=5", "optimizer.lr=1e-2", "net.width=4",
                                    "data.train.datasets.0.weight=2.5", "trainer.clip_grad_norm=null"])
    assert cfg["trainer"]["epochs"] == 5 and cfg["optimizer"]["lr"] == 0.01 and cfg["net"]["width"] == 4
    assert cfg["data"]["train"]["datasets"][0]["weight"] == 2.5
    assert cfg["trainer"]["clip_grad_norm"] is None


def test_yaml_booleans_mean_the_word_where_a_choice_of_words_is_expected(tiny_env, tmp_path):
    assert load_config("tiny/tiny", ["trainer.amp=off"])["trainer"]["amp"] == "off"     # YAML reads off as False
    mine = tmp_path / "mine.yaml"
    mine.write_text("base: tiny/tiny\ntrainer: {amp: off}\n")
    assert load_config(str(mine))["trainer"]["amp"] == "off"
    with pytest.raises(ConfigError, match="trainer.amp: expected one of 'off', 'bf16', 'fp16', got True"):
        load_config("tiny/tiny", ["trainer.amp=on"])                   # no word "on" to mean: still refused
    with pytest.raises(ConfigError, match="trainer.epochs: expected int >= 1, got False"):
        load_config("tiny/tiny", ["trainer.epochs=off"])               # only choices of words are read back


@pytest.mark.parametrize("override, message", [
    ("trainer.epoch=3", r"trainer.epoch: unknown key; did you mean 'epochs'\?"),
    ("net.widht=3", r"net.widht: unknown key for net 'tiny/tiny'; did you mean 'width'\?"),
    ("trainer.epochs=three", r"trainer.epochs: expected int >= 1, got 'three'"),
    ("trainer.amp=fp8", r"trainer.amp: expected one of 'off', 'bf16', 'fp16'"),
    ("net.name=tinny", r"net.name: unknown net 'tinny'; did you mean 'tiny'\? Registered nets: .*tiny/tiny"),
    ("data.train.sampler.mode=random",
     r"data.train.sampler.mode: expected one of 'interval', 'causal', 'causal_spread'"),
    ("data.train.datasets.0.name=lasott", r"data.train.datasets.0.name: unknown dataset 'lasott'"),
    ("data.train.processing.transforms.0.name=swirl", r"data.train.processing.transforms.0.name: unknown transform"),
    ("tracker.search_size=1.5", r"tracker.search_size: expected int"),
    ("data.train.datasets.7.weight=1", r"data.train.datasets.7 is not an index of a list of 1 items"),
])
def test_invalid_values_name_the_key_path(tiny_env, override, message):
    with pytest.raises(ConfigError, match=message):
        load_config("tiny/tiny", [override])


def test_unknown_config_name_and_missing_file(tiny_env):
    with pytest.raises(ConfigError, match=r"unknown config 'tiny/tinny'; did you mean 'tiny/tiny'"):
        load_config("tiny/tinny")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("no/such/file.yaml")


def test_user_yaml_extends_a_plugin_config(tiny_env, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("base: tiny/tiny\ntrainer: {epochs: 7}\nnet: {width: 2}\n")
    cfg = load_config(str(path))
    assert cfg["trainer"]["epochs"] == 7 and cfg["net"] == {"name": "tiny/tiny", "width": 2}
    assert cfg["optimizer"]["name"] == "core/adam"


def test_bad_yaml_is_reported_with_its_file(tiny_env, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("trainer: {epochs: [1, 2\n")
    with pytest.raises(ConfigError, match=r"broken.yaml is not valid YAML"):
        load_config(str(path))


def test_config_show_prints_the_resolved_config(tiny_env):
    out = run_ltr("config", "show", "tiny/tiny", "--set", "trainer.epochs=9")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("# tiny/tiny")
    shown = yaml.safe_load(out.stdout)
    assert shown["trainer"]["epochs"] == 9 and shown["net"]["width"] == 8
    bad = run_ltr("config", "show", "tiny/tiny", "--set", "trainer.epochz=1")
    assert bad.returncode == 2 and "error: trainer.epochz: unknown key" in bad.stderr


def test_the_resolved_config_is_the_same_text_whatever_the_hash_seed(tiny_env):
    """Keys keep the config's order (a set's order changes with PYTHONHASHSEED from process to process)."""
    import os
    import subprocess
    import sys

    shown = {subprocess.run([sys.executable, "-m", "ltr_core", "config", "show", "tiny/tiny"], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
             for seed in ("1", "2")}
    assert len(shown) == 1 and "root_env: LTR_DEMO_DIR\n      weight: 1" in shown.pop()


def test_a_command_refuses_a_config_without_the_sections_it_needs_in_one_line(tiny_env, tmp_path):
    net_only = tmp_path / "net_only.yaml"                 # e.g. a config made to import weights into
    net_only.write_text("net: {name: tiny/tiny, width: 4}\n")
    no_net = tmp_path / "no_net.yaml"
    no_net.write_text("base: tiny/tiny\n")
    name = load_config(str(net_only))["_name"]
    for args, missing in [(["train", net_only], "objective"), (["bench", "train", net_only], "objective"),
                          (["eval", net_only, "--untrained"], "tracker"),
                          (["bench", "track", net_only, "--untrained"], "tracker"),
                          (["export", net_only, "--untrained", "--out", tmp_path / "x.onnx"], "tracker"),
                          (["bench", "data", net_only], "data.train")]:
        out = run_ltr(*args, env={**os.environ, "LTR_WORKSPACE": str(tmp_path / "ws")})
        command = " ".join(a for a in args[:2] if isinstance(a, str))
        assert out.returncode == 2, (args, out.stderr)
        assert out.stderr.splitlines() == [
            f"error: config {name} has no '{missing}' section, which `ltr {command}` needs (its sections: net, seed, "
            f"trainer, eval, optimizer, scheduler; see `ltr config show {name}`)"], args
    assert not (tmp_path / "ws" / "checkpoints").exists() and not (tmp_path / "x.onnx").exists()
    # a net-only config is a complete answer for what only needs the net
    assert run_ltr("config", "show", net_only).returncode == 0
    # and the rule is per section: tiny/tiny has them all, so a config based on it passes the check
    assert "has no" not in run_ltr("bench", "data", no_net, "--batches", "1").stderr


def test_released_weights_are_checked_and_named_when_a_config_has_no_checkpoint(tiny_env, tmp_path):
    mine = tmp_path / "released.yaml"
    mine.write_text("base: tiny/tiny\nreleased_weights: {file: tiny_ep300.pth, source: the authors' page}\n")
    assert load_config(str(mine))["released_weights"] == {"file": "tiny_ep300.pth", "source": "the authors' page"}
    with pytest.raises(ConfigError, match="released_weights.url"):              # a wrong key, named
        load_config(str(mine), ["released_weights.url=http://x"])
    with pytest.raises(ConfigError, match="released_weights.file: give the published file's name"):
        load_config(str(mine), ["released_weights.file=''"])
    name = load_config(str(mine))["_name"]
    out = run_ltr("eval", mine, env={**os.environ, "LTR_WORKSPACE": str(tmp_path / "ws")})
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out.stderr
    assert out.stderr.endswith(f"download the released tiny_ep300.pth from the authors' page, convert it with "
                               f"`ltr import {name.split('/')[0]} tiny_ep300.pth --config {name} -o "
                               "tiny_ep300.ltr.pth` and pass --checkpoint tiny_ep300.ltr.pth\n")
    # without the section, the line stays what it was
    plain = run_ltr("eval", "tiny/tiny", env={**os.environ, "LTR_WORKSPACE": str(tmp_path / "ws")})
    assert plain.returncode == 2 and plain.stderr.rstrip().endswith("or pass --checkpoint")
