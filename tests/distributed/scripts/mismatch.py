"""Rank 1 builds a differently sized model: DDP construction must fail naming the parameter."""

import tensorlib.distributed as dist
import tensorlib.nn as nn
from tensorlib.nn.parallel import DistributedDataParallel

dist.init_process_group()
DistributedDataParallel(nn.Sequential(nn.Linear(5, 4 if dist.get_rank() == 0 else 3)))
