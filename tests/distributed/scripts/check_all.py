"""Run under MPI with any number of ranks: collectives, DDP equivalence, no_sync, unused parameters, sampler.

Every rank asserts; a failing assertion aborts the job (non-zero exit). Rank 0 prints "ALL OK <world size>".
"""

import numpy as np

import tensorlib as tl
import tensorlib.distributed as dist
import tensorlib.nn as nn
from tensorlib.nn.parallel import DistributedDataParallel as DDP
from tensorlib.utils.data.distributed import DistributedSampler

dist.init_process_group("mpi")
rank, world = dist.get_rank(), dist.get_world_size()
ranks = np.arange(world, dtype=np.float32)


def check_collectives():
    t = tl.arange(6, dtype=tl.float32).reshape(2, 3) + rank
    alias = t.numpy()
    dist.all_reduce(t)
    np.testing.assert_array_equal(t.numpy(), np.arange(6).reshape(2, 3) * world + ranks.sum())
    assert alias is not None and np.shares_memory(alias, t.numpy()) and alias[0, 0] == ranks.sum()  # in place
    for op, expected in ((dist.ReduceOp.MAX, world), (dist.ReduceOp.MIN, 1), (dist.ReduceOp.PRODUCT,
                         np.prod(ranks + 1)), (dist.ReduceOp.AVG, (ranks + 1).mean())):
        t = tl.full((3,), float(rank + 1))
        dist.all_reduce(t, op=op)
        np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6)
    ints = tl.tensor([rank, 1 << rank])
    dist.all_reduce(ints, op=dist.ReduceOp.BOR)
    assert ints.tolist() == [int(np.bitwise_or.reduce(np.arange(world))), (1 << world) - 1]
    t = tl.zeros(4, 3).t()  # non-contiguous: reduced through a buffer and written back
    t += rank
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() and work.is_completed()
    np.testing.assert_array_equal(t.numpy(), ranks.sum())
    x = tl.full((2, 2), float(rank))
    dist.broadcast(x, src=world - 1)
    np.testing.assert_array_equal(x.numpy(), world - 1)
    y = tl.full((2,), float(rank + 1))
    dist.reduce(y, dst=0)
    np.testing.assert_array_equal(y.numpy(), (ranks + 1).sum() if rank == 0 else rank + 1)
    out = [tl.zeros(2, dtype=tl.int64) for _ in range(world)]
    dist.all_gather(out, tl.tensor([rank, -rank]))
    assert [o.tolist() for o in out] == [[r, -r] for r in range(world)]
    objects = [None] * world
    dist.all_gather_object(objects, {"rank": rank, "payload": "x" * rank})
    assert objects == [{"rank": r, "payload": "x" * r} for r in range(world)]
    shared = ["mine", rank] if rank == 0 else [None, None]
    dist.broadcast_object_list(shared, src=0)
    assert shared == ["mine", 0]
    dist.barrier()


def make_model(seed):
    tl.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))


def batches(steps, per_rank):
    rng = np.random.default_rng(7)
    for _ in range(steps):
        x = rng.standard_normal((world * per_rank, 5)).astype(np.float32)
        y = rng.integers(0, 3, world * per_rank)
        yield tl.from_numpy(x), tl.from_numpy(y)


def check_ddp_equals_full_batch():
    ddp = DDP(make_model(seed=100 + rank), bucket_cap_mb=0.0001)  # rank-dependent init: must be overwritten
    reference = make_model(seed=100)  # rank 0's initial weights
    assert len(ddp.reducer.buckets) > 1
    for p, q in zip(ddp.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert all(key.startswith("module.") for key in ddp.state_dict())
    opt, ref_opt = tl.optim.SGD(ddp.parameters(), lr=0.5), tl.optim.SGD(reference.parameters(), lr=0.5)
    loss_fn = nn.CrossEntropyLoss()
    per_rank = 4
    for x, y in batches(5, per_rank):
        mine = slice(rank * per_rank, (rank + 1) * per_rank)
        opt.zero_grad()
        loss_fn(ddp(x[mine]), y[mine]).backward()
        opt.step()
        ref_opt.zero_grad()
        loss_fn(reference(x), y).backward()
        ref_opt.step()
    for p, q in zip(ddp.module.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=0, atol=1e-6)
    assert ddp.reducer.ready_order is None  # buckets were rebuilt in ready order after the first step


def check_no_sync_accumulates_full_batch_gradient():
    ddp = DDP(make_model(seed=3))
    reference = make_model(seed=3)
    loss_fn = nn.CrossEntropyLoss()
    per_rank, micro = 6, 3
    x, y = next(batches(1, per_rank))
    mine_x, mine_y = x[rank * per_rank:(rank + 1) * per_rank], y[rank * per_rank:(rank + 1) * per_rank]
    with ddp.no_sync():
        (loss_fn(ddp(mine_x[:micro]), mine_y[:micro]) / 2).backward()
    local_only = [p.grad.clone() for p in ddp.parameters()]
    (loss_fn(ddp(mine_x[micro:]), mine_y[micro:]) / 2).backward()
    loss_fn(reference(x), y).backward()
    for p, q in zip(ddp.module.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=0, atol=1e-6)
    if world > 1:
        assert any(not np.allclose(a.numpy(), p.grad.numpy()) for a, p in zip(local_only, ddp.parameters()))


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Linear(3, 2)
        self.rank0_only = nn.Linear(3, 2)
        self.never = nn.Linear(3, 2)

    def forward(self, x):
        out = self.trunk(x)
        return out + self.rank0_only(x) if rank == 0 else out


def check_find_unused_parameters():
    ddp = DDP(Branchy(), find_unused_parameters=True)
    for _ in range(2):  # a second iteration would fail if the first left a reduction unfinished
        ddp.zero_grad()
        ddp(tl.ones(2, 3)).sum().backward()
    model = ddp.module
    assert model.never.weight.grad is None
    np.testing.assert_allclose(model.rank0_only.bias.grad.numpy(), 2.0 / world, rtol=1e-6)
    np.testing.assert_allclose(model.trunk.bias.grad.numpy(), 2.0, rtol=1e-6)


def check_buffers_follow_rank0():
    tl.manual_seed(0)
    bn = nn.BatchNorm1d(3)
    bn.running_mean.fill_(float(rank))
    ddp = DDP(nn.Sequential(nn.Linear(3, 3), bn))
    ddp.module[1].running_mean.fill_(float(rank) + 10)  # diverged after construction ...
    ddp(tl.zeros(4, 3))  # ... rank 0's buffers are broadcast at the start of forward
    means = [None] * world
    dist.all_gather_object(means, ddp.module[1].running_mean.tolist())
    assert all(m == means[0] for m in means)


def check_sampler_defaults_to_group():
    sampler = DistributedSampler(range(10))
    assert (sampler.num_replicas, sampler.rank) == (world, rank)
    parts = [None] * world
    dist.all_gather_object(parts, list(sampler))
    assert set(i for part in parts for i in part) == set(range(10))


def check_sync_batchnorm_equals_full_batch():
    tl.manual_seed(1)
    reference = nn.Sequential(nn.Conv2d(2, 3, 1), nn.BatchNorm2d(3))
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(make_copy(reference))
    assert isinstance(synced[1], nn.SyncBatchNorm)
    ddp = DDP(synced)
    rng = np.random.default_rng(11)
    x = tl.from_numpy(rng.standard_normal((world * 3, 2, 4, 4)).astype(np.float32))
    target = tl.from_numpy(rng.standard_normal((world * 3, 3, 4, 4)).astype(np.float32))
    mine = slice(rank * 3, rank * 3 + 3)
    x_mine = x[mine].clone().requires_grad_()
    ((ddp(x_mine) - target[mine]) ** 2).mean().backward()
    x_all = x.clone().requires_grad_()
    ((reference(x_all) - target) ** 2).mean().backward()
    # float32 sums in a different order: equal to a few ulps
    np.testing.assert_allclose(x_mine.grad.numpy() / world, x_all.grad[mine].numpy(), rtol=1e-5, atol=1e-6)
    for p, q in zip(ddp.module.parameters(), reference.parameters()):
        # the conv bias gradient is 0 in exact arithmetic (batch norm follows): both are float32 rounding noise
        # of sums of O(1) terms, whose size depends on the summation order
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-4)
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(getattr(ddp.module[1], name).numpy(), getattr(reference[1], name).numpy(),
                                   atol=1e-6)


def make_copy(module):
    import copy

    return copy.deepcopy(module)


check_collectives()
check_sync_batchnorm_equals_full_batch()
check_ddp_equals_full_batch()
check_no_sync_accumulates_full_batch_gradient()
check_find_unused_parameters()
check_buffers_follow_rank0()
check_sampler_defaults_to_group()
dist.barrier()
if rank == 0:
    print(f"ALL OK {world}", flush=True)
dist.destroy_process_group()
