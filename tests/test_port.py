"""python -m tensorlib.port: the import rewrite, the missing-name report and the command line."""

import os
import subprocess
import sys
import textwrap

import pytest

from tensorlib.port import find_unsupported, map_module, rewrite_source

PY = sys.executable


@pytest.mark.parametrize("before, after", [
    ("import torch\n", "import tensorlib as torch\n"),
    ("import torch as th\n", "import tensorlib as th\n"),
    ("import torch.nn as nn\n", "import tensorlib.nn as nn\n"),
    ("import torch.nn\n", "import tensorlib.nn, tensorlib as torch\n"),
    ("import os, torch, numpy as np\n", "import os, tensorlib as torch, numpy as np\n"),
    ("from torch.utils.data import DataLoader\n", "from tensorlib.utils.data import DataLoader\n"),
    ("from torch import nn, optim\n", "from tensorlib import nn, optim\n"),
    ("from torchvision import datasets, transforms\n", "from tensorlib.vision import datasets, transforms\n"),
    ("import torchvision.transforms as T\n", "import tensorlib.vision.transforms as T\n"),
    ("import torchvision\n", "import tensorlib.vision as torchvision\n"),
    ("from torchtext.vocab import build_vocab_from_iterator\n",
     "from tensorlib.text.vocab import build_vocab_from_iterator\n"),
    ("import lightning as L\n", "import tensorlib.lightning as L\n"),
    ("import lightning.pytorch as pl\n", "import tensorlib.lightning as pl\n"),
    ("import pytorch_lightning as pl\n", "import tensorlib.lightning as pl\n"),
    ("from lightning.pytorch.callbacks import EarlyStopping\n",
     "from tensorlib.lightning.callbacks import EarlyStopping\n"),
    ("import torchmetrics\n", "import tensorlib.metrics as torchmetrics\n"),
    # not ours: left alone
    ("import torchaudio\nfrom .torch import x\nimport torch_geometric\n",
     "import torchaudio\nfrom .torch import x\nimport torch_geometric\n"),
])
def test_rewrite_table(before, after):
    assert rewrite_source(before) == after


def test_rewrite_touches_only_module_names():
    source = ("# -*- coding: utf-8 -*-\r\n"
              "s = 'import torch'  # é\r\n"
              "if True:\r\n"
              "    from torch.utils.data import (DataLoader,  # the loader\r\n"
              "                                  Dataset)\r\n"
              "    import torch  ;  x = torch.zeros(2)\r\n")
    expected = source.replace("from torch.utils.data", "from tensorlib.utils.data").replace(
        "    import torch  ;", "    import tensorlib as torch  ;")
    assert rewrite_source(source) == expected


def test_map_module_matches_whole_components():
    assert map_module("torch.utils.data") == "tensorlib.utils.data"
    assert map_module("torchvision.io") == "tensorlib.vision.io"
    assert map_module("torchaudio") is None and map_module("lightning_utilities") is None


PORTABLE = textwrap.dedent('''\
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset
    from torchvision import transforms

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    y = (x.sum(1) > 0).long()
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=8):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
    norm = transforms.Normalize((0.5,), (0.5,))
    print(tuple(model(x).shape), tuple(norm(torch.ones(1, 2, 2)).shape), type(loss.item()).__name__)
''')


def _run(args, cwd, **kwargs):
    return subprocess.run([PY, *args], cwd=cwd, capture_output=True, text=True, timeout=120, **kwargs)


def test_rewritten_script_imports_and_runs(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(PORTABLE)
    result = _run(["-m", "tensorlib.port", str(script)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # nothing missing
    assert result.stdout.splitlines()[0] == "import tensorlib as torch"
    ported = tmp_path / "ported.py"
    ported.write_text(result.stdout)
    run = _run([str(ported)], tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "(32, 2) (1, 2, 2) float"


TEXT_AND_IO = textwrap.dedent('''\
    import torch
    from torchtext.data.utils import get_tokenizer
    from torchtext.vocab import build_vocab_from_iterator
    from torchtext.data.functional import to_map_style_dataset
    from torch.utils.data import DataLoader
    from torchvision.io import encode_png, decode_image, ImageReadMode
    import torchvision.transforms.v2 as T

    lines = [(1, "good movie"), (0, "bad film"), (1, "great movie")]
    tokenizer = get_tokenizer("basic_english")
    vocab = build_vocab_from_iterator((tokenizer(text) for _, text in lines), specials=["<unk>"])
    vocab.set_default_index(vocab["<unk>"])
    dataset = to_map_style_dataset(iter(lines))


    def collate(batch):
        return torch.tensor([label for label, _ in batch]), [torch.tensor(vocab(tokenizer(t))) for _, t in batch]


    labels, ids = next(iter(DataLoader(dataset, batch_size=3, collate_fn=collate)))
    image = decode_image(encode_png(torch.zeros(3, 4, 4, dtype=torch.uint8)), mode=ImageReadMode.RGB)
    x = T.Compose([T.ToDtype(torch.float32, scale=True), T.Normalize([0.5] * 3, [0.5] * 3)])(image)
    print(labels.tolist(), [i.tolist() for i in ids], tuple(x.shape), float(x.min()))
''')


def test_rewritten_torchtext_and_torchvision_io_script_runs(tmp_path):
    script = tmp_path / "text.py"
    script.write_text(TEXT_AND_IO)
    result = _run(["-m", "tensorlib.port", "--write", "text.py"], tmp_path)
    assert result.returncode == 0 and "missing" not in result.stderr and "not in tensorlib" not in result.stderr
    assert "from tensorlib.text.data.functional import to_map_style_dataset" in script.read_text()
    run = _run(["text.py"], tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[1, 0, 1] [[4, 1], [2, 3], [5, 1]] (3, 4, 4) -1.0"


MISSING = textwrap.dedent('''\
    import torch
    import torch.nn as nn
    from torch.utils.data import DataLoader, NoSuchLoader
    import torch.no_such_module as nsm
    import torchaudio, numpy

    x = torch.zeros(3)
    y = torch.no_such_function(x) + nn.Linear(3, 3)(x)
    layer = nn.NoSuchLayer(3)
    torch.backends.cudnn.benchmark = True
    z = torch.nn.functional.no_such_activation(x)
''')


def test_missing_names_are_listed_with_their_lines(tmp_path):
    import ast

    found = find_unsupported(ast.parse(MISSING))
    assert [(u.lineno, u.name) for u in found] == [
        (3, "torch.utils.data.NoSuchLoader"),
        (4, "torch.no_such_module"),
        (5, "torchaudio"),
        (8, "torch.no_such_function"),
        (9, "nn.NoSuchLayer"),
        (11, "torch.nn.functional.no_such_activation"),
    ]
    assert "torchaudio has no tensorlib twin" in found[2].reason
    assert "no module tensorlib.no_such_module" in found[1].reason
    assert "'NoSuchLayer'" in found[4].reason


def test_check_exit_code_and_report(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text(MISSING)
    result = _run(["-m", "tensorlib.port", "--check", "bad.py"], tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert "bad.py:8:5: torch.no_such_function:" in result.stderr
    assert "bad.py: 6 name(s) not provided by tensorlib" in result.stderr
    good = tmp_path / "good.py"
    good.write_text(PORTABLE)
    assert _run(["-m", "tensorlib.port", "--check", "good.py"], tmp_path).returncode == 0


def test_write_rewrites_in_place_keeping_mode(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(PORTABLE)
    os.chmod(script, 0o755)
    result = _run(["-m", "tensorlib.port", "--write", "train.py"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert script.read_text() == rewrite_source(PORTABLE)
    assert os.stat(script).st_mode & 0o777 == 0o755
    assert sorted(os.listdir(tmp_path)) == ["train.py"]  # no temporary file left behind


def test_invalid_python_exits_2(tmp_path):
    (tmp_path / "broken.py").write_text("import torch\ndef f(:\n")
    result = _run(["-m", "tensorlib.port", "broken.py"], tmp_path)
    assert result.returncode == 2 and "broken.py: cannot port" in result.stderr


def test_original_script_runs_under_pytorch_with_the_same_output(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("torchvision")
    script = tmp_path / "train.py"
    script.write_text(PORTABLE)
    run = _run([str(script)], tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "(32, 2) (1, 2, 2) float"
