"""Run under mpirun -n 2: each rank updates metrics with its shard; compute() must give the full-data value."""

import numpy as np

import tensorlib as tl
import tensorlib.distributed as dist
import tensorlib.metrics as tm

dist.init_process_group("mpi")
rank = dist.get_rank()
rng = np.random.default_rng(0)
logits, target = rng.normal(size=(100, 4)).astype(np.float32), rng.integers(0, 4, 100)
scores, labels = rng.random(100).astype(np.float32), rng.integers(0, 2, 100)
shard = slice(0, 37) if rank == 0 else slice(37, 100)  # uneven shards: cat states of different lengths

metrics = {"accuracy": tm.MulticlassAccuracy(4), "confmat": tm.MulticlassConfusionMatrix(4),
           "auroc": tm.BinaryAUROC(), "mean": tm.MeanMetric(), "max": tm.MaxMetric()}
metrics["accuracy"].update(tl.from_numpy(logits[shard]), tl.from_numpy(target[shard]))
metrics["confmat"].update(tl.from_numpy(logits[shard]), tl.from_numpy(target[shard]))
metrics["auroc"].update(tl.from_numpy(scores[shard]), tl.from_numpy(labels[shard]))
metrics["mean"].update(float(rank + 1))
metrics["max"].update(float(rank + 1))
expected = {"accuracy": tm.functional.multiclass_accuracy(tl.from_numpy(logits), tl.from_numpy(target), 4),
            "confmat": tm.functional.multiclass_confusion_matrix(tl.from_numpy(logits), tl.from_numpy(target), 4),
            "auroc": tm.functional.binary_auroc(tl.from_numpy(scores), tl.from_numpy(labels)),
            "mean": tl.tensor(1.5), "max": tl.tensor(2.0)}
for name, metric in metrics.items():
    np.testing.assert_allclose(metric.compute().numpy(), expected[name].numpy(), rtol=1e-6)
assert metrics["confmat"].confmat.sum().item() == (37 if rank == 0 else 63)  # local state restored
print(f"rank {rank}: ok", flush=True)
dist.destroy_process_group()
