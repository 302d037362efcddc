"""Data-parallel MNIST training on MPI: every process trains on its share of each epoch (DistributedSampler),
gradients are averaged by DistributedDataParallel. Rank 0 alone downloads, prints and saves.

    python -m tensorlib.distributed.run --nproc-per-node 2 examples/ddp_mnist.py --download
    mpirun -n 4 python examples/ddp_mnist.py --epochs 1 --download
    python -m tensorlib.distributed.run --nproc-per-node 2 examples/ddp_mnist.py --synthetic 2048   # no data

--batch-size is per process (the global batch is N times larger), as in PyTorch's DDP examples.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import Timer, evaluate, fail, progress, save_checkpoint  # noqa: E402

import tensorlib as tl  # noqa: E402
import tensorlib.distributed as dist  # noqa: E402
import tensorlib.nn as nn  # noqa: E402
import tensorlib.optim as optim  # noqa: E402
from tensorlib.nn.parallel import DistributedDataParallel as DDP  # noqa: E402
from tensorlib.utils.data import DataLoader, TensorDataset  # noqa: E402
from tensorlib.utils.data.distributed import DistributedSampler  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="data", help="dataset root (files in DATA_DIR/MNIST/raw)")
    parser.add_argument("--download", action="store_true", help="rank 0 downloads if missing; the others wait")
    parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                        help="train on N random MNIST-shaped images instead (smoke tests, benchmarks)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64, help="per process")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default="runs/ddp_mnist")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


def synthetic(n: int, seed: int):
    generator = tl.Generator().manual_seed(seed)
    images = tl.randn(n, 1, 28, 28, generator=generator)
    labels = tl.randint(0, 10, (n,), generator=generator)
    return TensorDataset(images, labels)


def load_datasets(args, rank: int):
    if args.synthetic:
        return synthetic(args.synthetic, args.seed), synthetic(max(args.synthetic // 4, 1), args.seed + 1)
    from tensorlib.datasets import MNIST
    from tensorlib.vision import transforms

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])

    def load(download: bool):
        return (MNIST(args.data_dir, train=True, transform=transform, download=download),
                MNIST(args.data_dir, train=False, transform=transform, download=download))

    datasets, error = None, None
    if rank == 0:  # one download; the other ranks wait at the barrier, then read the files
        try:
            datasets = load(args.download)
        except RuntimeError as exc:
            error = str(exc).strip().splitlines()[0]
    status = [error]
    dist.broadcast_object_list(status, src=0)
    if status[0] is not None:
        fail(f"MNIST is not available under {args.data_dir!r}: {status[0]}"
             + ("" if args.download else " (pass --download)"))
    return datasets if rank == 0 else load(False)


def main(argv=None) -> dict:
    args = parse_args(argv)
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    tl.manual_seed(args.seed)  # same initial weights everywhere (DDP also broadcasts rank 0's)
    train_set, test_set = load_datasets(args, rank)
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler)
    test_loader = DataLoader(test_set, batch_size=1000)
    model = DDP(nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                              nn.Linear(64, 10)))
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    if rank == 0:
        print(f"{world} processes x batch {args.batch_size}; {len(train_set):,} training images, "
              f"{len(sampler):,} per process per epoch")
    history = []
    with Timer() as total:
        for epoch in range(1, args.epochs + 1):
            sampler.set_epoch(epoch)  # a different shuffle each epoch, the same on every rank
            running = tl.zeros(2, dtype=tl.float64)  # loss sum, sample count
            batches = progress(train_loader, f"epoch {epoch}/{args.epochs}",
                               enabled=rank == 0 and not args.no_progress)
            for images, labels in batches:
                optimizer.zero_grad()
                loss = criterion(model(images), labels)
                loss.backward()
                optimizer.step()
                running += tl.tensor([loss.item() * labels.size(0), labels.size(0)], dtype=tl.float64)
            dist.all_reduce(running)  # the epoch's loss over all processes
            train_loss = (running[0] / running[1]).item()
            if rank == 0:
                accuracy, _, _ = evaluate(model.module, test_loader)
                history.append({"epoch": epoch, "train_loss": train_loss, "test_accuracy": accuracy})
                print(f"epoch {epoch}: train loss {train_loss:.4f}  test accuracy {accuracy:.2%}")
    checkpoint = os.path.join(args.out_dir, "ddp_mlp.pt")
    if rank == 0:
        save_checkpoint(checkpoint, model=model.module.state_dict(), optimizer=optimizer.state_dict(),
                        epoch=args.epochs, args=vars(args), history=history)
        print(f"done in {total.seconds:.1f}s on {world} processes; checkpoint: {checkpoint}")
    dist.barrier()  # nobody exits (or reads the checkpoint) before rank 0 has written it
    dist.destroy_process_group()
    return {"history": history, "checkpoint": checkpoint}


if __name__ == "__main__":
    main()
