"""strategy="ddp": the seam is wired against tensorlib.distributed (PyTorch's names). The multi-process run is
exercised once tensorlib.distributed exists; until then these tests skip and say why."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import textwrap

import pytest

import tensorlib.lightning as L
from tensorlib.lightning.strategies import DDPStrategy, SingleDeviceStrategy, select_strategy


def _distributed_or_skip():
    if importlib.util.find_spec("tensorlib.distributed") is None:
        pytest.skip("tensorlib.distributed is not installed (built by another helper)")
    import tensorlib.distributed as dist

    if hasattr(dist, "is_available") and not dist.is_available():
        pytest.skip("tensorlib.distributed.is_available() is False")
    if shutil.which("mpirun") is None:
        pytest.skip("mpirun is not installed")
    return dist


def test_strategy_selection():
    assert isinstance(select_strategy("auto", "auto", 1), SingleDeviceStrategy)
    assert isinstance(select_strategy("auto", 2, 1), DDPStrategy)
    assert isinstance(select_strategy("ddp", 1, 2), DDPStrategy)
    with pytest.raises(L.MisconfigurationException, match="strategy='fsdp'"):
        select_strategy("fsdp", 1, 1)


def test_ddp_without_distributed_says_why(tmp_path):
    if importlib.util.find_spec("tensorlib.distributed") is not None:
        pytest.skip("tensorlib.distributed exists: the real run below covers ddp")
    from ._models import Classifier, loaders

    trainer = L.Trainer(strategy="ddp", devices=1, default_root_dir=tmp_path, enable_progress_bar=False, logger=False)
    with pytest.raises(RuntimeError, match="needs tensorlib.distributed"):
        trainer.fit(Classifier(), *loaders())


SCRIPT = textwrap.dedent("""
    import json, sys
    import tensorlib.lightning as L
    import tensorlib.distributed as dist
    from tests.lightning._models import Classifier, loaders

    L.seed_everything(0, verbose=False)
    model = Classifier()
    trainer = L.Trainer(strategy="ddp", devices=2, max_epochs=2, default_root_dir=sys.argv[1],
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, *loaders(n=32, batch_size=4))
    weights = [float(p.detach().sum().item()) for p in model.parameters()]
    print(json.dumps({"rank": dist.get_rank(), "steps": trainer.global_step, "weights": weights,
                      "batches": trainer.num_training_batches}))
""")


@pytest.mark.slow
def test_ddp_two_processes_agree_and_rank_zero_writes(tmp_path):
    _distributed_or_skip()
    script = tmp_path / "ddp_run.py"
    script.write_text(SCRIPT)
    done = subprocess.run([sys.executable, "-m", "tensorlib.distributed.run", "--nproc-per-node", "2", str(script),
                           str(tmp_path)],
                          capture_output=True, text=True, timeout=300, cwd=str(__import__("pathlib").Path(
                              __file__).resolve().parents[2]))
    assert done.returncode == 0, done.stderr
    import json

    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert sorted(r["rank"] for r in results) == [0, 1]
    assert results[0]["weights"] == results[1]["weights"]  # gradients were averaged
    assert results[0]["batches"] == 4  # 32 samples / 2 ranks / batch 4
    assert len(list((tmp_path / "lightning_logs").iterdir())) == 1  # one logger version: rank 0 alone wrote
