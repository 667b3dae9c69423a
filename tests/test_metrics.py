"""OPE metrics on hand-computed cases, for both conventions."""

import numpy as np
import pytest

from ltr_core.evaluation.metrics import ResultError, dataset_scores, read_result_file, sequence_curves

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


def test_pysot_scores_predictions_as_given():
    c = sequence_curves(PRED, GT, protocol="pysot")
    # IoUs: 0, 1, 0, 1/3
    assert c.auc == pytest.approx((7 * 0.5 + 13 * 0.25) / 21)
    assert c.prec20 == 0.5                     # errors: 116.7, 0, 28.3, 10


def test_pytracking_invalid_frames_count_as_failures_in_the_denominator():
    gt = GT.copy()
    gt[2] = [0, 0, 0, 0]                       # invalid GT
    pred = np.repeat(GT[:1], 4, 0)
    visible = np.array([1, 1, 1, 0], bool)     # and a frame where the target is absent
    c = sequence_curves(pred, gt, visible, protocol="pytracking")
    assert c.frames == 4
    assert c.success[0] == 0.5                 # 2 of 4 frames have IoU > 0
    assert c.prec20 == 0.5 and c.norm_prec == 0.5


def test_pysot_removes_absent_frames_and_clips_iou():
    pred = np.repeat(GT[:1], 4, 0)
    visible = np.array([1, 0, 1, 1], bool)
    pred[1] = [500, 500, 3, 3]                 # wrong, but on an absent frame
    c = sequence_curves(pred, GT, visible, protocol="pysot")
    assert c.frames == 3 and c.success[0] == 1.0 and c.success[-1] == 0.0


def test_length_mismatch_is_an_error():
    with pytest.raises(ResultError, match="prediction has 3 frames but the ground truth has 4"):
        sequence_curves(PRED[:3], GT)


def test_dataset_score_is_the_mean_over_sequences():
    a = sequence_curves(GT, GT)
    b = sequence_curves(PRED, GT, protocol="pysot")
    s = dataset_scores([a, b])
    assert s["auc"] == pytest.approx(100 * (a.auc + b.auc) / 2)
    assert s["sequences"] == 2 and len(s["success_curve"]) == 21 and len(s["precision_curve"]) == 51


@pytest.mark.parametrize("content, message", [
    ("1,2,3,4\n1,2,3\n", r"r.txt:2: expected x,y,w,h \(4 values\), got 3"),
    ("1,2,3,4\nnan,2,3,4\n", r"r.txt:2: NaN or infinite value"),
    ("1,2,3,4\n1,2,-3,4\n", r"r.txt:2: negative width or height"),
    ("1,2,3,4\n", r"r.txt: 1 lines but the sequence has 2 frames"),
    ("1,2,3,4\nx,2,3,4\n", r"r.txt:2: not numbers"),
])
def test_malformed_result_files_name_the_file_and_line(tmp_path, content, message):
    f = tmp_path / "r.txt"
    f.write_text(content)
    with pytest.raises(ResultError, match=message):
        read_result_file(f, expected_frames=2)
