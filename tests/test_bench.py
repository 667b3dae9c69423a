"""`ltr bench data` and `ltr bench train`: the figures and the last-line contract scripts parse."""

import re
import subprocess
import sys

from ltr_core.cli_runner import run_ltr


def ltr(*args):
    """`ltr ARGS` in this interpreter (:func:`ltr_core.cli_runner.run_ltr`); ltr_process for a new one."""
    return run_ltr(*args)


def ltr_process(*args):
    return subprocess.run([sys.executable, "-m", "ltr_core", *args], capture_output=True, text=True, timeout=300)


def test_bench_data_replaces_the_datasets_and_ends_with_the_ratio_line(tiny_env, demo_tree):
    out = ltr("bench", "data", "tiny/tiny", "--data", f"lasot={demo_tree}", "--batches", "3")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    # the tiny config trains on the 4 sequences of train_split.txt; --data takes all 6 of the tree
    assert lines[0].startswith("opened 6 sequences in ")
    assert re.fullmatch(r"16 samples, 0 workers: [\d.]+ ms/sample; cv2.imread of the same frames: [\d.]+ ms/sample",
                        lines[-2])
    m = re.fullmatch(r"samples/s: ([\d.]+)  ratio_vs_cv2_decode: ([\d.]+)", lines[-1])
    assert m and float(m.group(1)) > 0 and float(m.group(2)) > 0


def test_bench_data_with_workers_and_the_configs_own_datasets(tiny_env):
    out = ltr("bench", "data", "tiny/tiny", "--workers", "2", "--batches", "3", "--parse-all")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("opened 4 sequences in ")
    assert re.fullmatch(r"parsed the annotations of all 4 sequences \(160 frames\) in [\d.]+ s", lines[1])
    assert "16 samples, 2 workers:" in out.stdout


def test_bench_data_rejects_a_data_option_without_reader(tiny_env, demo_tree):
    out = ltr("bench", "data", "tiny/tiny", "--data", str(demo_tree))
    assert out.returncode != 0 and "expected READER=ROOT" in out.stderr


def test_bench_train_prints_step_time_and_samples_per_second(tiny_env):
    out = ltr("bench", "train", "tiny/tiny", "--batch", "2", "--steps", "2")
    assert out.returncode == 0, out.stderr
    assert re.search(r"tiny/tiny: batch 2, 2 steps, \d+ threads, \d+ ms/step \(median\)", out.stdout)
    assert re.fullmatch(r"samples/s: [\d.]+", out.stdout.strip().splitlines()[-1])
    flops = float(re.search(r"([\d.e+-]+) GFLOP/step  ([\d.e+-]+) GFLOP/s achieved", out.stdout).group(1))
    assert flops > 0
    peak = re.search(r"float32 matmul peak \((\d+)x\1, this run\): (\d+) GFLOP/s  fraction of peak: ([\d.]+)",
                     out.stdout)
    assert peak and int(peak.group(1)) in (256, 512, 1024, 2048) and float(peak.group(2)) > 0


def test_bench_train_reports_peak_memory_that_grows_with_the_batch_and_tells_the_actor_the_epoch(tiny_env):
    peaks = {}
    for batch in (2, 1024):      # a new process each: the peak is the process's
        out = ltr_process("bench", "train", "tiny/tiny", "--batch", str(batch), "--steps", "1", "--epoch", "3",
                          "--set", "trainer.epochs=4")
        assert out.returncode == 0, out.stderr
        m = re.search(r"^peak memory: (\d+) MiB \(process RSS high-water mark; actor at epoch 3 of 4\)$",
                      out.stdout, re.M)
        assert m, out.stdout
        peaks[batch] = int(m.group(1))
    # 1,022 more samples of 3x32x32 and 3x16x16 float inputs (15 MiB) and their activations: ~60 MiB more when
    # measured; the process's own baseline moves by several MiB from run to run, hence the margin
    assert peaks[1024] > peaks[2] + 16, peaks
    # the figure is the bench's own process's, not the launcher's: ru_maxrss would report the test runner's peak
    # (over 1 GiB once a ViT-B golden test has run) for both batches
    assert peaks[2] < 1024, peaks
    assert ltr("bench", "train", "tiny/tiny", "--epoch", "0").returncode == 2


def test_bench_train_builds_the_step_from_the_trainer_options(tiny_env):
    out = ltr("bench", "train", "tiny/tiny", "--batch", "2", "--steps", "1", "--set", "trainer.amp=bf16",
              "--set", "trainer.channels_last=true", "--set", "optimizer.impl=fused")
    assert out.returncode == 0, out.stderr
    assert "amp bf16  channels_last True  compile False  optimizer.impl fused" in out.stdout
    # sized to a time budget: on a CPU without native bf16 a 2048^2 bf16 product alone takes ~13 s
    assert re.search(r"bfloat16 matmul peak \((\d+)x\1, this run\): \d+ GFLOP/s", out.stdout)
