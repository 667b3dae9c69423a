"""Where an exported ONNX part spends its time in ONNX Runtime: time per operator type over repeated runs.

    python scripts/ort_profile.py workspace/export/hcat/default/untrained-int8/search_branch.onnx [--runs 30]

Inputs are uniform random tensors of the file's input shapes (dynamic sizes set to 1); 2 intra-op threads
without spinning, as `--runtime onnx` runs it.
"""

import argparse
import collections
import json
import os

import numpy as np


def main() -> None:
    import onnxruntime as ort

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.enable_profiling = True
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feeds = {i.name: rng.random([d if isinstance(d, int) else 1 for d in i.shape], dtype=np.float32)
             for i in session.get_inputs()}
    for _ in range(args.runs):
        session.run(None, feeds)
    trace = session.end_profiling()
    with open(trace) as f:
        events = json.load(f)
    os.remove(trace)
    micros, count = collections.Counter(), collections.Counter()
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            micros[e["args"]["op_name"]] += e["dur"]
            count[e["args"]["op_name"]] += 1
    total = sum(micros.values())
    for op, us in micros.most_common():
        print(f"{op:26s} {us / args.runs / 1000:7.2f} ms/run  {100 * us / total:5.1f}%  {count[op] // args.runs} nodes")
    print(f"total (operators) {total / args.runs / 1000:.2f} ms/run")


if __name__ == "__main__":
    main()
