"""ltr-dimp against pytracking's own DiMP and PrDiMP networks, and pytracking's checkpoint format through `ltr import`.

Golden: ``golden/pytracking_dimp.json`` holds what pytracking's ``dimpnet18``, ``dimpnet50``, ``klcedimpnet18`` and
``klcedimpnet50`` (built with its train settings' arguments, float64 on the CPU, eval mode, ltr-atom's PrRoIPool
standing in for the CUDA one) compute with seeded weights under its own parameter names: the test scores for the
filter before and after each optimiser step, the optimiser's losses, the filters and the IoU predictions. Regenerate
it with ``python plugins/dimp/tests/golden/regenerate_dimp.py /path/to/pytracking``. The same fixture holds the
training loss and its terms of pytracking's ``DiMPActor`` and ``KLDiMPActor`` on a fixed batch.
"""

import json
import os
import sys
import types
from pathlib import Path

import pytest
import torch

from ltr_core.cli_runner import run_ltr
from ltr_core.train.importing import adapt_foreign_state
from ltr_dimp.actor import (DiMPActor, KLDiMPActor, build_dimp_objective, build_prdimp_objective,
                            build_superdimp_objective)
from ltr_dimp.network import build_dimp_net

GOLDEN_DIR = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))
import regenerate_dimp as harness  # noqa: E402  the cases, seeded weights and inputs, shared with the harness

GOLDEN = json.loads((GOLDEN_DIR / "pytracking_dimp.json").read_text())


@pytest.fixture
def float64():
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.mark.parametrize("name", sorted(harness.CASES))
def test_the_network_with_pytrackings_weights_computes_pytrackings_filters_scores_and_ious(name, float64):
    want = GOLDEN["nets"][name]
    net = build_dimp_net(**harness.CASES[name][2]).double().eval()
    state = adapt_foreign_state(net, harness.seeded_weights(want["state"]), "pytracking's state dict")
    net.load_state_dict(state, strict=True)                  # every name mapped, nothing missing or left over
    train, test, boxes, proposals = harness.inputs()
    with torch.no_grad():
        scores, iou = net(train, test, boxes, proposals)
        l2, l3 = net.backbone(train.reshape(-1, 3, harness.SIZE, harness.SIZE))
        _, filters, losses = net.classifier.get_filter(net.classifier.extract_classification_feat(l3, 2), boxes)
    assert len(scores) == len(want["scores"]) == 6                      # the initial filter and 5 steps
    for i, (got, expected) in enumerate(zip(scores, want["scores"])):
        torch.testing.assert_close(got, torch.tensor(expected), rtol=1e-9, atol=1e-12, msg=lambda m: f"step {i}: {m}")
    assert float(torch.tensor(want["scores"][-1]).std()) > 1e-3          # not a flat map
    torch.testing.assert_close(iou, torch.tensor(want["iou"]), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(torch.stack(losses).reshape(-1), torch.tensor(want["losses"]), rtol=1e-9, atol=1e-12)
    assert want["losses"][-1] < want["losses"][0]                        # the optimiser's steps lower its loss
    torch.testing.assert_close(torch.tensor(harness.summary(filters)), torch.tensor(want["filters"]),
                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name, config", [("dimp18", "dimp/dimp18"), ("prdimp18", "dimp/prdimp18")])
def test_ltr_import_reads_a_checkpoint_in_pytrackings_format(tmp_path, name, config):
    state = {k: v.float() if v.is_floating_point() else v
             for k, v in harness.seeded_weights(GOLDEN["nets"][name]["state"]).items()}
    assert any(k.startswith("feature_extractor.layer4.") for k in state) and "feature_extractor.fc.weight" in state
    source = tmp_path / f"{name}.pth.tar"
    # what pytracking's trainer saves: the weights under "net" beside pickled objects of its own classes
    torch.save({"epoch": 50, "actor_type": "DiMPActor", "net_type": "DiMPnet", "net": state, "net_info": None,
                "constructor": types.SimpleNamespace(fun_name="dimpnet18", fun_module="ltr.models.tracking.dimpnet"),
                "optimizer": {"state": {}, "param_groups": []}, "stats": None}, source)
    out = run_ltr("import", "dimp", str(source), "--config", config, "-o", str(tmp_path / "ckpt.pth"))
    assert out.returncode == 0, out.stderr
    kept = sum(1 for k in state if not k.startswith(("feature_extractor.layer4.", "feature_extractor.fc.")))
    assert out.stdout.startswith(f"imported {kept} tensors from {source} (of its {len(state)}: "
                                 f"{len(state) - kept} the network does not use left out) into ")
    ckpt = torch.load(tmp_path / "ckpt.pth", weights_only=True)
    for key in ("classifier.filter_optimizer.log_step_length", "classifier.filter_initializer.filter_conv.weight",
                "bb_regressor.iou_predictor.weight", "feature_extractor.layer3.1.conv2.weight"):
        assert torch.equal(ckpt["net"][key], state[key]), key
    assert ckpt["config"]["net"]["optimizer"] == ("newton" if name.startswith("pr") else "steepest_descent_gn")

    # DiMP's weights into PrDiMP's network (or back): the optimiser's parameters do not fit, named in one line
    other = "dimp/prdimp18" if config == "dimp/dimp18" else "dimp/dimp18"
    bad = run_ltr("import", "dimp", str(source), "--config", other, "-o", str(tmp_path / "bad.pth"))
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1, bad.stderr
    assert str(source) in bad.stderr and "filter_optimizer" in bad.stderr
    assert not (tmp_path / "bad.pth").exists()


@pytest.mark.parametrize("command,config,file", [("eval", "dimp/dimp50", "dimp50.pth"),
                                                 ("export", "dimp/super_dimp", "super_dimp.pth.tar")])
def test_without_weights_one_line_names_the_released_file_and_how_to_import_it(tmp_path, command, config, file):
    extra = ["--out", str(tmp_path / "onnx")] if command == "export" else []
    out = run_ltr(command, config, *extra, env={**os.environ, "LTR_WORKSPACE": str(tmp_path)})
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out.stderr
    assert out.stderr.startswith(f"error: no checkpoint in {tmp_path / 'checkpoints/ltr' / config}: train first")
    assert f"download the released {file} from pytracking's MODEL_ZOO.md" in out.stderr
    assert f"`ltr import dimp {file} --config {config} -o {file.split('.')[0]}.ltr.pth`" in out.stderr
    assert not (tmp_path / "checkpoints/ltr" / config).exists() and not (tmp_path / "onnx").exists()


def test_bad_network_keys_are_refused_naming_the_key():
    with pytest.raises(ValueError, match="net.optimizer 'adam'"):
        build_dimp_net(pretrained_backbone=False, optimizer="adam")
    with pytest.raises(ValueError, match=r"net.frozen_backbone_layers: unknown layer\(s\) \['layer4'\]"):
        build_dimp_net(pretrained_backbone=False, frozen_backbone_layers=["layer4"])
    with pytest.raises(ValueError, match="net.backbone 'resnet34'"):
        build_dimp_net(backbone="resnet34", pretrained_backbone=False)


# ltr's stats name -> pytracking's, for the actors' loss terms
TERMS = {"dimp": {"loss_iou": "Loss/iou", "loss_test_clf": "Loss/target_clf",
                       "loss_test_init_clf": "Loss/test_init_clf", "loss_test_iter_clf": "Loss/test_iter_clf"},
         "prdimp": {"bb_ce": "Loss/bb_ce", "loss_bb_ce": "Loss/loss_bb_ce", "loss_clf_ce": "Loss/clf_ce",
                    "loss_clf_ce_init": "Loss/clf_ce_init", "loss_clf_ce_iter": "Loss/clf_ce_iter"},
         "superdimp": {"bb_ce": "Loss/bb_ce", "loss_bb_ce": "Loss/loss_bb_ce", "loss_test_clf": "Loss/target_clf",
                       "loss_test_init_clf": "Loss/test_init_clf", "loss_test_iter_clf": "Loss/test_iter_clf"}}


@pytest.mark.parametrize("name", sorted(harness.LOSS_CASES))
def test_the_actors_training_loss_and_its_terms_are_pytrackings(name, float64):
    net_name, _, kind, weights = harness.LOSS_CASES[name]
    want = GOLDEN["losses"][name]
    net = build_dimp_net(**harness.CASES[net_name][2]).double()
    net.load_state_dict(adapt_foreign_state(net, harness.seeded_weights(GOLDEN["nets"][net_name]["state"]), "x"))
    net.train()
    objective = {"dimp": build_dimp_objective, "prdimp": build_prdimp_objective,
                 "superdimp": build_superdimp_objective}[kind]()
    actor = (DiMPActor if kind == "dimp" else KLDiMPActor)(net, objective, weights)
    theirs = harness.loss_batch()          # pytracking's layout (frames, sequences, ...) -> ltr's (sequences, frames)
    keys = {"train_images": "template_images", "test_images": "search_images", "train_anno": "template_anno",
            "test_anno": "search_anno", "test_proposals": "proposals", "proposal_iou": "proposal_iou",
            "test_label": "search_label", "proposal_density": "proposal_density", "gt_density": "gt_density",
            "test_label_density": "search_label_density"}
    batch = {keys[k]: v.transpose(0, 1) for k, v in theirs.items()}
    loss, stats = actor(batch)
    assert abs(float(loss.detach()) - want["loss"]) <= 1e-9 * abs(want["loss"])
    for ours, theirs_name in TERMS[kind].items():
        assert abs(float(stats[ours]) - want["stats"][theirs_name]) <= 1e-9 * abs(want["stats"][theirs_name]), ours
    loss.backward()                                              # the whole loss reaches every trainable part
    assert net.classifier.filter_optimizer.log_step_length.grad is not None
    assert net.bb_regressor.iou_predictor.weight.grad.abs().sum() > 0

