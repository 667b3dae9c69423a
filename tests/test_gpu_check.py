"""scripts/gpu_check.py, the prepared GPU run, on the CPU with --tiny: every section runs its commands (so the
script cannot rot between the GPU machines it is for) and the report holds their figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "gpu_check.py"


@pytest.mark.slow
def test_the_gpu_check_runs_every_section_on_the_cpu(tmp_path):
    out = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--tiny", "--out", str(tmp_path / "report"),
                          "--workdir", str(tmp_path / "work"), "--budget", "900", "--in-process"],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    report = json.loads((tmp_path / "report" / "gpu_check.json").read_text())
    s = report["sections"]
    assert list(s) == ["machine", "train_bench", "batched", "eval", "train_compile", "resume", "check_plugin",
                       "export", "train_demo"]             # the timed ones, then the checks side by side
    assert s["resume"]["ran_beside"] == ["check_plugin", "export", "train_demo"]
    assert report["machine"]["device"] == "cpu" and report["machine"]["bf16_matmul_tflops"] > 0
    rows = s["train_bench"]["rows"]
    assert [r["variant"] for r in rows] == ["fp32", "bf16+channels_last"]
    assert all(r["samples_per_s"] > 0 and r["peak_memory_mib"] > 0 and 0 < r["fraction_of_bf16_peak"] for r in rows)
    assert rows[1]["amp"] == "bf16" and rows[1]["channels_last"] is True
    batched, = s["batched"]["rows"]
    assert set(batched["per_batch"]) == {"1", "2"} and batched["per_batch"]["2"]["frames"] == 40
    assert batched["lasot_sized_hours"]["batch 1"] > 0 and batched["speed_up"] >= 1
    plain, by_batch = s["eval"]["rows"]
    assert plain["fps_with_decoding"] > 0 and plain["on"] == "cpu" and by_batch["batch"] == 2 and by_batch["auc"] >= 0
    assert s["train_compile"] == {"skipped": "--tiny: compiling takes minutes on a CPU",
                                  "section_seconds": s["train_compile"]["section_seconds"]}
    resume = s["resume"]
    assert resume["bit_equal"] is True and resume["resumed_line"].startswith("resumed from ")
    assert resume["world"] == "device: cpu  world size: 1 (gloo)  amp: off"          # torchrun: a process group
    assert s["check_plugin"]["rows"][0]["summary"] == "check-plugin hcat: 5 passed, 0 failed"
    assert all(r["rc"] == 0 for r in s["export"]["rows"])
    assert max(s["export"]["net_on_the_device"]["max_abs"].values()) < 1e-4
    assert s["train_demo"]["train_rc"] == 0 and 0 <= s["train_demo"]["eval_bf16"]["auc"] <= 100
    md = (tmp_path / "report" / "gpu_check.md").read_text()
    assert "## Training step (`ltr bench train`)" in md and "## Batched tracking" in md
    assert "Sections with an error: none." in md


def test_an_unknown_section_is_refused(tmp_path):
    out = subprocess.run([sys.executable, str(SCRIPT), "--sections", "machine,warp", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "unknown section 'warp'" in out.stderr
