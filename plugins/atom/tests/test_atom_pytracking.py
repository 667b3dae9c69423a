"""ltr-atom against pytracking's own ATOM network, and pytracking's checkpoint format through `ltr import`.

Golden: ``golden/pytracking_atom.json`` holds what pytracking's ``atom_resnet18`` (its ``ATOMnet`` and
``AtomIoUNet``, float64 on the CPU, ltr-atom's PrRoIPool standing in for the CUDA one) computes with seeded weights
under its own parameter names, and those names and shapes. Regenerate it with
``python plugins/atom/tests/golden/regenerate_pytracking.py /path/to/pytracking``.

``golden/pytracking_proposals.json`` holds the training proposals and IoU targets pytracking's
``ATOMProcessing._generate_proposals`` makes from replayed draws (hard cases: the crop's border, one-pixel boxes, a
threshold no draw meets, half pixels). Regenerate it with
``python plugins/atom/tests/golden/regenerate_proposals.py /path/to/pytracking``.

``golden/pytracking_classifier.json`` holds what pytracking's ATOM tracker code learns on a fixed feature map: the
projection and filter after the first frame's Gauss-Newton/CG, and the memory's weights and the filter over 24 later
frames (replacement, the first frame's minimum share, hard negatives). Regenerate it with
``python plugins/atom/tests/golden/regenerate_classifier.py /path/to/pytracking``.
"""

import json
import sys
import types
from pathlib import Path

import pytest
import torch

from ltr_atom.classifier import OnlineClassifier
from ltr_atom.network import ATOMBoxNet, build_net
from ltr_atom.processing import ATOMProcessing
from ltr_core.cli_runner import run_ltr
from ltr_core.train.importing import adapt_foreign_state

GOLDEN_DIR = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN_DIR))
import regenerate_classifier as classifier_harness  # noqa: E402  the feature maps and the schedule
import regenerate_proposals as proposal_harness  # noqa: E402  the cases and replayed draws
import regenerate_pytracking as harness  # noqa: E402  the seeded weights and inputs, shared with the harness

GOLDEN = json.loads((GOLDEN_DIR / "pytracking_atom.json").read_text())


def pytracking_state(dtype=torch.float64) -> dict:
    return {k: v.to(dtype) if v.is_floating_point() else v for k, v in harness.seeded_weights(GOLDEN["state"]).items()}


def test_the_network_with_pytrackings_weights_predicts_pytrackings_ious():
    net = build_net(pretrained_backbone=False, freeze_backbone=True).double().eval()
    state = adapt_foreign_state(net, pytracking_state(), "pytracking's state dict")
    net.load_state_dict(state, strict=True)                 # every name mapped, nothing missing or left over
    template, search, box, proposals = harness.inputs()
    with torch.no_grad():
        iou = net(template, search, box, proposals)
        t2, t3 = net.features(template)
        s2, s3 = net.features(search)
        modulation = net.bb_regressor.get_modulation(t2, t3, box)
        iou_feat = net.bb_regressor.get_iou_feat(s2, s3)
    expected = torch.tensor(GOLDEN["iou"], dtype=torch.float64)
    assert expected.shape == (2, GOLDEN["proposals"]) and expected.std() > 0.05     # not a degenerate output
    torch.testing.assert_close(iou, expected, rtol=1e-9, atol=1e-9)
    for got, want in zip(modulation, GOLDEN["modulation_sums"]):
        torch.testing.assert_close(got.sum(1), torch.tensor(want, dtype=torch.float64), rtol=1e-9, atol=1e-9)
    for got, want in zip(iou_feat, GOLDEN["iou_feat_sums"]):
        torch.testing.assert_close(got.sum((1, 2, 3)), torch.tensor(want, dtype=torch.float64), rtol=1e-9, atol=1e-7)


def test_ltr_import_reads_a_checkpoint_in_pytrackings_format(tmp_path):
    state = pytracking_state(torch.float32)
    assert {k for k in state if k.startswith("feature_extractor.layer4.")} and "feature_extractor.fc.weight" in state
    source = tmp_path / "atom_default.pth"
    # what pytracking's trainer saves: the weights under "net" beside pickled objects of its own classes
    torch.save({"epoch": 50, "actor_type": "AtomActor", "net_type": "ATOMnet", "net": state, "net_info": None,
                "constructor": types.SimpleNamespace(fun_name="atom_resnet18", fun_module="ltr.models.bbreg.atom"),
                "optimizer": {"state": {}, "param_groups": []}, "stats": None,
                "settings": types.SimpleNamespace(module_name="bbreg", script_name="atom")}, source)
    out = run_ltr("import", "atom", str(source), "-o", str(tmp_path / "ckpt.pth"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(f"imported 169 tensors from {source} (of its {len(state)}: "
                                 f"{len(state) - 169} the network does not use left out) into ")
    ckpt = torch.load(tmp_path / "ckpt.pth", weights_only=True)
    assert torch.equal(ckpt["net"]["feature_extractor.stem.conv1.weight"], state["feature_extractor.conv1.weight"])
    assert torch.equal(ckpt["net"]["bb_regressor.iou_predictor.weight"], state["bb_regressor.iou_predictor.weight"])
    assert not any(k.startswith("feature_extractor.layer4.") for k in ckpt["net"])

    # a file that is not ATOM's: one line naming the file and the first parameter that does not fit
    state["bb_regressor.iou_predictor.weight"] = torch.zeros(1, 3)
    torch.save({"net": state}, source)
    bad = run_ltr("import", "atom", str(source), "-o", str(tmp_path / "bad.pth"))
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1, bad.stderr
    assert str(source) in bad.stderr and "'bb_regressor.iou_predictor.weight' has shape (1, 3)" in bad.stderr
    assert not (tmp_path / "bad.pth").exists()


def test_the_name_map_is_the_networks_own_and_leaves_fitting_names_alone():
    net = build_net(pretrained_backbone=False, freeze_backbone=True)
    own = net.state_dict()
    assert adapt_foreign_state(net, own, "x") is own                      # ltr's own names: untouched
    mapped = ATOMBoxNet.adapt_foreign_state(pytracking_state())
    assert set(mapped) == set(own) and all(tuple(mapped[k].shape) == tuple(own[k].shape) for k in own)
    with pytest.raises(Exception, match="could not map"):
        class Broken(torch.nn.Module):
            @staticmethod
            def adapt_foreign_state(state):
                raise KeyError("nope")
        adapt_foreign_state(Broken(), {"a": torch.zeros(1)}, "f.pth")


@pytest.mark.parametrize("case", sorted(proposal_harness.CASES))
def test_training_proposals_and_iou_targets_are_pytrackings_from_the_same_draws(case):
    box, params, _ = proposal_harness.CASES[case]
    want = json.loads((GOLDEN_DIR / "pytracking_proposals.json").read_text())["cases"][case]
    processing = ATOMProcessing(proposals_per_frame=params["boxes_per_frame"], min_iou=params["min_iou"],
                                sigma_factors=params["sigma_factor"])
    draws = proposal_harness.Draws(**proposal_harness.streams(case))
    out = processing.targets({"search_anno": torch.tensor([box])}, draws)
    assert draws.used == want["used"]                       # the same draws, taken in the same order
    torch.testing.assert_close(out["proposals"][0].double(), torch.tensor(want["proposals"], dtype=torch.float64),
                               rtol=0, atol=1e-4)
    # pytracking computes in float32: corners near 140 px and sub-pixel sizes keep ~1e-5 of an IoU (one_pixel)
    torch.testing.assert_close(out["proposal_iou"][0].double(), torch.tensor(want["iou_target"], dtype=torch.float64),
                               rtol=0, atol=2e-5)


@pytest.mark.parametrize("init", classifier_harness.CASES)
def test_the_online_classifier_learns_what_pytrackings_atom_learns(init):
    want = json.loads((GOLDEN_DIR / "pytracking_classifier.json").read_text())["cases"][init]
    p = classifier_harness.PARAMS
    x, y, later, later_y, hard = classifier_harness.data()
    torch.manual_seed(classifier_harness.SEED)                  # the random initialisations: the same calls
    clf = OnlineClassifier(kernel_size=classifier_harness.KERNEL, compressed_dim=classifier_harness.COMPRESSED,
                           filter_reg=p["filter_reg"], projection_reg=p["projection_reg"],
                           learning_rate=p["learning_rate"],
                           init_samples_minimum_weight=p["init_samples_minimum_weight"],
                           sample_memory_size=p["sample_memory_size"],
                           response_activation=tuple(p["response_activation"]), proj_init_method=init,
                           filter_init_method="randn")
    clf.initialize(x, y, p["init_GN_iter"], p["init_CG_iter"], 0)

    def close(got, expected, what):
        torch.testing.assert_close(got.flatten(), torch.tensor(expected, dtype=torch.float64), rtol=1e-7, atol=1e-9,
                                   msg=lambda m: f"{what}: {m}")

    close(clf.projection, want["projection"], "projection after the first frame")
    close(clf.filter, want["filter"], "filter after the first frame")
    assert torch.linalg.norm(clf.filter) > 0.01                 # it learned something
    for frame, event in enumerate(want["events"]):
        lr = p["hard_negative_learning_rate"] if hard[frame] else None
        clf.add_sample(clf.project(later[frame:frame + 1]), later_y[frame:frame + 1], lr)
        n = len(event["weights"])
        memory_weights = torch.zeros(n, dtype=torch.float64)
        memory_weights[:clf.memory.filled()[2].shape[0]] = clf.memory.filled()[2]
        close(memory_weights, event["weights"], f"frame {frame + 2}: sample weights")
        assert clf.memory._previous == event["replaced"]
        if hard[frame]:
            clf.train(p["hard_negative_CG_iter"])
        elif (frame + 1) % p["train_skipping"] == 0:
            clf.train(p["CG_iter"])
        assert event["trained"] == ("hard_negative" if hard[frame] else
                                    "skipping" if (frame + 1) % p["train_skipping"] == 0 else None)
        if event["trained"]:
            close(clf.filter, event["filter"], f"frame {frame + 2}: filter")


def test_the_classifier_golden_runs_where_rounding_is_not_amplified():
    # the fixture's 6 x 5 Gauss-Newton/CG iterations: inputs changed by 1e-15 move the projection by ~1e-13, so a
    # 1e-7 comparison with another implementation tests the arithmetic, not the summation order
    moved = classifier_harness.sensitivity(((classifier_harness.PARAMS["init_GN_iter"],
                                             classifier_harness.PARAMS["init_CG_iter"]
                                             // classifier_harness.PARAMS["init_GN_iter"]),))
    assert len(moved) == 2 and max(moved.values()) < 1e-9, moved
