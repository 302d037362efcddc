"""Benchmark: data-parallel training on MPI, 1 vs 2 processes of 1 BLAS thread each, tensorlib vs PyTorch (gloo).

Workloads: the CIFAR ResNet-8 of benchmarks/cnn_training.py (batch 64 of 3x32x32 per process) and the MNIST
784-128-64-10 MLP (batch 64 per process). One step = forward + cross-entropy + backward (gradients averaged
across processes by DistributedDataParallel) + SGD step. Reported: total images/s (all processes), speed-up of
2 processes over 1, and for tensorlib: the same bucketed all-reduces timed alone, the time backward waited at its
end (communication not hidden, plus waiting for the slower rank) and the share of gradient bytes whose
all-reduce had already finished when backward ended ("hidden"). Then the all-reduce time of a
gradient-sized buffer for 1, 2 and 4 processes (oversubscribed on small machines).

Run: ``python benchmarks/distributed.py [--steps 20] [--frameworks tensorlib torch]``
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def mlp(nn):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                         nn.Linear(64, 10))


def build(fw, model_name: str):
    sys.path.insert(0, HERE)
    from cnn_training import build_models

    if model_name == "mlp":
        return mlp(fw.nn), (1, 28, 28)
    builder, shape = build_models(fw.nn)[model_name]
    return builder(), shape


def train_worker(framework: str, model_name: str, steps: int, batch: int, port: int, bucket_cap_mb: float) -> dict:
    """Inside mpirun: DDP training steps; rank 0 returns throughput and overlap figures."""
    import numpy as np

    rank, world = int(os.environ.get("OMPI_COMM_WORLD_RANK", 0)), int(os.environ.get("OMPI_COMM_WORLD_SIZE", 1))
    if framework == "torch":
        import torch as fw

        fw.set_num_threads(1)
        fw.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                          world_size=world)
        dist = fw.distributed
    else:
        import tensorlib as fw
        import tensorlib.distributed as dist

        dist.init_process_group("mpi")
    fw.manual_seed(0)
    model, shape = build(fw, model_name)
    ddp = fw.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=bucket_cap_mb)
    optimizer = fw.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    criterion = fw.nn.CrossEntropyLoss()
    rng = np.random.default_rng(rank)
    data = [(fw.from_numpy(rng.standard_normal((batch,) + shape).astype(np.float32)),
             fw.from_numpy(rng.integers(0, 10, batch).astype(np.int64))) for _ in range(4)]
    step_times, backward_times, exposed, overlapped = [], [], [], []
    for i in range(steps + 3):
        images, labels = data[i % 4]
        dist.barrier()
        start = time.perf_counter()
        optimizer.zero_grad()
        loss = criterion(ddp(images), labels)
        backward_start = time.perf_counter()
        loss.backward()
        backward_end = time.perf_counter()
        optimizer.step()
        if i >= 3:
            step_times.append(time.perf_counter() - start)
            backward_times.append(backward_end - backward_start)
            if framework == "tensorlib":
                exposed.append(ddp.reducer.exposed_wait_seconds)
                overlapped.append(ddp.reducer.overlapped_fraction)
    result = {"images_per_s": world * batch / statistics.median(step_times),
              "backward_ms": 1000 * statistics.median(backward_times)}
    if framework == "tensorlib" and world > 1:
        alone = []
        for _ in range(10):  # the same bucketed all-reduces with nothing to overlap
            dist.barrier()
            start = time.perf_counter()
            works = [dist.all_reduce(g, async_op=True) for g in _flat_buckets(fw, ddp)]
            for work in works:
                work.wait()
            alone.append(time.perf_counter() - start)
        comm = statistics.median(alone)
        result["allreduce_alone_ms"] = 1000 * comm
        result["exposed_wait_ms"] = 1000 * statistics.median(exposed)
        result["hidden_fraction"] = statistics.mean(overlapped)
        result["buckets"] = len(ddp.reducer.buckets)
    return result if rank == 0 else {}


def _flat_buckets(fw, ddp):
    return [fw.from_numpy(bucket.flat) for bucket in ddp.reducer.buckets]


def allreduce_worker(elements: int, repeats: int) -> dict:
    import numpy as np

    import tensorlib as tl
    import tensorlib.distributed as dist

    dist.init_process_group("mpi")
    buffer = tl.from_numpy(np.ones(elements, dtype=np.float32))
    times = []
    for _ in range(repeats):
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce(buffer)
        times.append(time.perf_counter() - start)
    return {"ms": 1000 * statistics.median(times)} if dist.get_rank() == 0 else {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mpirun(n: int, worker_args: list) -> dict:
    from tensorlib.distributed.run import find_mpirun

    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    command = [find_mpirun(), "-n", str(n), "--oversubscribe", "--bind-to", "none", sys.executable, __file__,
               "--worker", *worker_args]
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if out.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")
    lines = [line for line in out.stdout.splitlines() if line.startswith("{") and line != "{}"]
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=64, help="images per process per step")
    parser.add_argument("--repeats", type=int, default=2, help="runs per configuration; the best is shown")
    parser.add_argument("--models", nargs="+", default=["resnet8", "mlp"], choices=["resnet8", "mlp"])
    parser.add_argument("--frameworks", nargs="+", default=["tensorlib", "torch"], choices=["tensorlib", "torch"])
    parser.add_argument("--bucket-cap-mb", type=float, nargs="+", default=[25.0, 0.05],
                        help="DDP bucket sizes to try for tensorlib (these models' gradients fit one 1 MB bucket at "
                             "the default, so only smaller buckets can overlap)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, *rest = args.worker
        if kind == "train":
            result = train_worker(rest[0], rest[1], args.steps, args.batch, int(rest[2]), float(rest[3]))
        else:
            result = allreduce_worker(int(rest[0]), int(rest[1]))
        print(json.dumps(result), flush=True)
        return
    print(f"batch {args.batch} per process, {args.steps} timed steps, 1 BLAS/intra-op thread per process, best of "
          f"{args.repeats}")
    print(f"{'model':8} {'framework':9} | {'1 proc img/s':>12} | {'2 proc img/s':>12} | {'speed-up':>8} | "
          f"{'all-reduce ms':>13} | {'exposed ms':>10} | {'hidden':>6} | buckets")
    for model_name in args.models:
        for framework, cap in [(f, c) for f in args.frameworks for c in (args.bucket_cap_mb if f == "tensorlib"
                                                                         else [25.0])]:
            runs = {}
            for n in (1, 2):
                candidates = [mpirun(n, ["train", framework, model_name, str(free_port()), str(cap)])
                              for _ in range(args.repeats)]
                runs[n] = max(candidates, key=lambda r: r["images_per_s"])
            two = runs[2]
            overlap = (f"{two['allreduce_alone_ms']:13.2f} | {two['exposed_wait_ms']:10.2f} | "
                       f"{two['hidden_fraction']:6.0%} | {two['buckets']} x {cap:g} MB") if "hidden_fraction" in two \
                else f"{'':13} | {'':10} | {'':6} |"
            print(f"{model_name:8} {framework:9} | {runs[1]['images_per_s']:12.0f} | {two['images_per_s']:12.0f} | "
                  f"{two['images_per_s'] / runs[1]['images_per_s']:8.2f} | {overlap}")
    print("\nall-reduce (sum, float32, in place) median ms:")
    sizes = {"ResNet-8 grads (78k floats)": 78042, "MLP grads (109k floats)": 109386, "25 MB bucket": 25 * 2**18}
    print(f"{'buffer':28} | {'1 proc':>7} | {'2 proc':>7} | {'4 proc':>7}")
    for label, elements in sizes.items():
        cells = [mpirun(n, ["allreduce", str(elements), "30"])["ms"] for n in (1, 2, 4)]
        print(f"{label:28} | " + " | ".join(f"{c:7.3f}" for c in cells))


if __name__ == "__main__":
    main()
