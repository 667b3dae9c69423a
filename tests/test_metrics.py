"""OPE metrics on small hand-computed cases: each rule of each convention as an example.

These illustrate the rules; that they are the toolkits' rules is shown by ``test_scoring_golden.py``, which
compares with the toolkits' own output.
"""

import numpy as np
import pytest

from ltr_core.evaluation.metrics import (ResultError, check_result, dataset_scores, read_result_file,
                                         sequence_curves)

GT = np.array([[10, 10, 20, 20]] * 4, dtype=float)
PRED = np.array([[100, 100, 5, 5],     # wrong first frame
                 [10, 10, 20, 20],     # exact
                 [0, 0, 0, 0],         # zero size
                 [20, 10, 20, 20]],    # shifted 10 px: IoU 1/3 in both conventions
                dtype=float)


def test_pytracking_first_frame_rule_and_zero_size_prediction():
    c = sequence_curves(PRED, GT, protocol="pytracking")
    # IoUs: 1 (first frame := GT), 1, 1 (zero size -> previous box), 1/3
    assert c.auc == pytest.approx((7 * 1.0 + 13 * 0.75) / 21)
    assert c.prec20 == 1.0                     # centre errors 0, 0, 0, 10
    assert c.norm_prec == 0.75                 # 10 / 20 = 0.5 > 0.2 for the last frame


def test_pytracking_zero_size_fix_comes_before_the_first_frame_rule():
    pred = PRED.copy()
    pred[1] = [0, 0, 0, 7]                     # takes the RAW first prediction, not the GT
    c = sequence_curves(pred, GT, protocol="pytracking")
    assert c.success[1] == 0.5                 # IoUs 1 (frame 0), 0 (frame 1), 0 (frame 2 copies frame 1), 1/3


def test_pysot_scores_predictions_as_given():
    c = sequence_curves(PRED, GT, protocol="pysot")
    # IoUs: 0, 1, 0, 1/3
    assert c.auc == pytest.approx((7 * 0.5 + 13 * 0.25) / 21)
    assert c.prec20 == 0.5                     # errors: 116.7, 0, 29.0, 10


def test_pytracking_invalid_and_invisible_frames():
    gt = GT.copy()
    gt[2] = [0, 5, 20, 20]                     # touches the left border: invalid, yet visible
    pred = np.repeat(GT[:1], 4, 0)
    visible = np.array([1, 1, 1, 0], bool)     # the target is absent in the last frame
    c = sequence_curves(pred, gt, visible, protocol="pytracking")
    assert c.frames == 4
    assert c.success[0] == 0.5                 # IoU -1 on frames 2 and 3, all 4 in the denominator
    assert c.prec20 == 0.5                     # centre error inf on both
    assert c.norm_prec == 0.75                 # -1 (a success) for the invalid frame, inf for the absent one


def test_pysot_drops_absent_frames_but_keeps_the_full_length_as_denominator():
    pred = np.repeat(GT[:1], 4, 0)
    visible = np.array([1, 0, 1, 1], bool)
    pred[1] = [500, 500, 3, 3]                 # wrong, but on an absent frame
    c = sequence_curves(pred, GT, visible, protocol="pysot")
    assert c.frames == 4 and c.success[0] == 0.75 and c.success[-1] == 0.0


def test_pysot_iou_rule_differs_from_upstream_on_a_border_box():
    gt = GT.copy()
    gt[1] = [0, 10, 20, 20]                    # x = 0: HCAT's copy scores it, upstream gives IoU -1
    pred = gt.copy()
    assert sequence_curves(pred, gt, protocol="pysot").success[0] == 1.0
    assert sequence_curves(pred, gt, protocol="pysot-upstream").success[0] == 0.75


def test_length_mismatch_follows_each_toolkit(tmp_path):
    with pytest.raises(ResultError, match="prediction has 3 frames but the ground truth has 4"):
        sequence_curves(PRED[:3], GT, protocol="pysot")
    with pytest.raises(ResultError, match="prediction has 3 frames"):
        sequence_curves(PRED[:3], GT, np.ones(4, bool), protocol="pytracking")
    padded = sequence_curves(PRED[:3], GT, protocol="pytracking")      # no flags: padded with zero boxes
    assert padded.success[1] == 0.75            # IoUs 1, 1, 1 (zero size -> previous), 0 (padding)
    longer = sequence_curves(np.concatenate([GT, GT]), GT, protocol="pytracking")
    assert longer.auc == pytest.approx(20 / 21)                         # cut to 4 frames; IoU > 1 never holds


def test_dataset_score_is_the_mean_over_sequences():
    a = sequence_curves(GT, GT)
    b = sequence_curves(PRED, GT, protocol="pysot")
    s = dataset_scores([a, b])
    assert s["auc"] == pytest.approx(100 * (a.auc + b.auc) / 2)
    assert s["sequences"] == 2 and len(s["success_curve"]) == 21 and len(s["precision_curve"]) == 51


@pytest.mark.parametrize("content, message", [
    ("1,2,3,4\n1,2,3\n", r"r.txt:2: expected x,y,w,h \(4 values\), got 3"),
    ("1,2,3,4\nx,2,3,4\n", r"r.txt:2: not numbers"),
    ("\n", r"r.txt: no boxes"),
])
def test_malformed_result_files_name_the_file_and_line(tmp_path, content, message):
    f = tmp_path / "r.txt"
    f.write_text(content)
    with pytest.raises(ResultError, match=message):
        read_result_file(f)


@pytest.mark.parametrize("content, protocol, flags, message", [
    ("1,2,3,4\n\nnan,2,3,4\n", "pytracking", True, r"r.txt:3: NaN or negative"),
    ("1,2,3,4\n1,2,-3,4\n", "pytracking", False, r"r.txt:2: NaN or negative"),
    ("1,2,3,4\n", "pytracking", True, r"r.txt: 1 boxes but the sequence has 2 frames"),
    ("1,2,3,4\n1,2,3,4\n1,2,3,4\n", "pysot", False, r"r.txt: 3 boxes but the sequence has 2 frames"),
])
def test_what_a_protocol_refuses_names_the_file_and_line(tmp_path, content, protocol, flags, message):
    f = tmp_path / "r.txt"
    f.write_text(content)
    with pytest.raises(ResultError, match=message):
        check_result(read_result_file(f), 2, protocol, has_flags=flags)


def test_what_pysot_accepts_pytracking_refuses(tmp_path):
    f = tmp_path / "r.txt"
    f.write_text("10,10,20,20\n10,nan,20,20\n10,10,-5,20\n10,10,20,20\n")
    result = read_result_file(f)
    check_result(result, 4, "pysot", has_flags=False)
    c = sequence_curves(result.boxes, GT, protocol="pysot")
    assert c.success[0] == 0.5                 # NaN never succeeds; the negative width gives IoU 0
