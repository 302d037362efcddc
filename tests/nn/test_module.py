"""Module base and containers: registration, traversal order, shared parameters, state_dict I/O (tl.save/tl.load
round trip, strict errors, prefix hint, non-persistent buffers), train/eval, hooks, repr, Sequential/ModuleList/
ModuleDict/ParameterList/ParameterDict behaviour, and PyTorch parity of keys and repr."""

import numpy as np
import pytest

import tensorlib as tl
import tensorlib.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Linear(4, 4)
        self.register_buffer("running", tl.zeros(4))
        self.register_buffer("scratch", tl.ones(2), persistent=False)
        self.scale = nn.Parameter(tl.ones(1))

    def forward(self, x):
        return self.conv(x) * self.scale + self.running


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Linear(3, 4)
        self.blocks = nn.ModuleList([Block(), Block()])
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        x = self.embed(x)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


EXPECTED_KEYS = ["embed.weight", "embed.bias", "blocks.0.scale", "blocks.0.running", "blocks.0.conv.weight",
                 "blocks.0.conv.bias", "blocks.1.scale", "blocks.1.running", "blocks.1.conv.weight",
                 "blocks.1.conv.bias", "head.1.weight", "head.1.bias"]


def test_registration_and_named_parameters_order():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["embed.weight", "embed.bias", "blocks.0.scale", "blocks.0.conv.weight", "blocks.0.conv.bias",
                     "blocks.1.scale", "blocks.1.conv.weight", "blocks.1.conv.bias", "head.1.weight", "head.1.bias"]
    assert [n for n, _ in net.named_buffers()] == ["blocks.0.running", "blocks.0.scratch", "blocks.1.running",
                                                   "blocks.1.scratch"]
    assert [n for n, _ in net.named_modules()][:5] == ["", "embed", "blocks", "blocks.0", "blocks.0.conv"]
    assert [n for n, _ in net.named_children()] == ["embed", "blocks", "head"]
    assert net.get_submodule("blocks.1.conv") is net.blocks[1].conv
    assert net.get_parameter("head.1.bias") is net.head[1].bias


def test_assignment_rules():
    m = nn.Module()
    m.w = nn.Parameter(tl.ones(2))
    assert "w" in m._parameters
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = tl.ones(2)
    m.w = None
    assert m.w is None and list(m.parameters()) == []
    with pytest.raises(KeyError, match="attribute 'x' already exists"):
        m.x = 1
        m.register_buffer("x", tl.ones(1))
    m.sub = nn.Linear(1, 1)
    del m.sub
    assert list(m.children()) == []
    with pytest.raises(TypeError):
        m.register_parameter("p", tl.ones(1))


def test_shared_parameters_appear_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.named_modules())) == 3
    tied = nn.Module()
    tied.a = nn.Linear(2, 2)
    tied.b = nn.Linear(2, 2)
    tied.b.weight = tied.a.weight
    assert len(list(tied.parameters())) == 3
    # the state_dict keeps both names, as PyTorch does
    assert list(tied.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]


def test_state_dict_keys_exclude_non_persistent_buffers_and_are_detached():
    sd = Net().state_dict()
    assert list(sd) == EXPECTED_KEYS
    assert all(not v.requires_grad for v in sd.values())


def test_state_dict_round_trip_through_save_and_load(tmp_path):
    net, other = Net(), Net()
    with tl.no_grad():
        net.blocks[0].running.fill_(3.0)
    path = tmp_path / "net.pt"
    tl.save(net.state_dict(), path)
    result = other.load_state_dict(tl.load(path))
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (k, a), b in zip(net.state_dict().items(), other.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
    x = tl.randn(2, 3)
    np.testing.assert_array_equal(net(x).detach().numpy(), other(x).detach().numpy())


def test_strict_load_lists_every_problem_and_leaves_module_unchanged():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    bad = dict(Net().state_dict())
    del bad["embed.bias"]
    bad["extra.weight"] = tl.zeros(1)
    bad["head.1.weight"] = tl.zeros(5, 5)
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict for Net:\n\tMissing key(s)")
    assert 'Missing key(s) in state_dict: "embed.bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in message
    assert "size mismatch for head.1.weight: copying a param with shape [5, 5] from checkpoint, the shape in " \
           "current model is [2, 4]" in message
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)


def test_non_strict_load_returns_incompatible_keys():
    net = Net()
    partial = {"embed.weight": tl.zeros(4, 3), "junk": tl.ones(1)}
    result = net.load_state_dict(partial, strict=False)
    assert result.unexpected_keys == ["junk"] and "embed.bias" in result.missing_keys
    assert net.embed.weight.detach().numpy().max() == 0


def test_module_prefix_hint():
    net = nn.Linear(2, 2)
    prefixed = {"module." + k: v for k, v in net.state_dict().items()}
    with pytest.raises(RuntimeError, match="extra prefix 'module.'"):
        nn.Linear(2, 2).load_state_dict(prefixed)


def test_train_eval_propagates():
    net = Net()
    net.eval()
    assert all(not m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.blocks.eval()
    assert net.training and not net.blocks[0].conv.training


def test_forward_hooks_and_removal():
    layer = nn.Linear(2, 2)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = layer(tl.ones(1, 2))
    np.testing.assert_allclose(out.detach().numpy(), layer.bias.detach().numpy()[None] + 1, rtol=1e-6)
    assert calls == [(1, 2)]
    pre.remove()
    post.remove()
    layer(tl.ones(1, 2))
    assert len(calls) == 1


def test_apply_to_zero_grad_requires_grad():
    net = Net()
    net.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
    assert net.head[1].bias.tolist() == [0.0, 0.0]
    assert net.double().embed.weight.dtype == tl.float64
    assert net.blocks[0].running.dtype == tl.float64
    assert net.float().embed.weight.dtype == tl.float32
    net(tl.randn(2, 3)).sum().backward()
    assert net.embed.weight.grad is not None
    net.zero_grad()
    assert net.embed.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


NESTED_REPR = """Net(
  (embed): Linear(in_features=3, out_features=4, bias=True)
  (blocks): ModuleList(
    (0-1): 2 x Block(
      (conv): Linear(in_features=4, out_features=4, bias=True)
    )
  )
  (head): Sequential(
    (0): ReLU()
    (1): Linear(in_features=4, out_features=2, bias=True)
  )
)"""


def test_repr_of_nested_model():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.ReLU(), nn.Dropout(0.1)))
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n"
                           "  (1): Sequential(\n    (0): ReLU()\n    (1): Dropout(p=0.1, inplace=False)\n  )\n)")
    # identical consecutive ModuleList entries are compressed, as in PyTorch
    assert repr(Net()) == NESTED_REPR


def test_sequential_indexing_slicing_append_delete():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert isinstance(seq[-1], nn.Linear) and seq[-1] is seq[2]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    assert head(tl.randn(4, 2)).shape == (4, 3)
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and list(seq._modules) == ["0", "1", "2", "3"]
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and isinstance(seq[1], nn.Linear)
    seq[2] = nn.Tanh()
    assert isinstance(seq[2], nn.Tanh)
    with pytest.raises(IndexError):
        seq[5]
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.act is named[1]


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.insert(0, nn.Tanh())
    assert isinstance(layers[0], nn.Tanh) and len(layers) == 5
    del layers[0]
    assert isinstance(layers[0], nn.Linear)
    assert isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 3
    d = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert list(d.keys()) == ["a", "b"] and "a" in d
    d["c"] = nn.Linear(1, 2)
    assert list(d.state_dict()) == ["a.weight", "a.bias", "c.weight", "c.bias"]
    d.pop("a")
    assert list(d) == ["b", "c"]
    plist = nn.ParameterList([nn.Parameter(tl.ones(1)), tl.zeros(2)])
    assert len(list(plist.parameters())) == 2 and isinstance(plist[1], nn.Parameter)
    pdict = nn.ParameterDict({"x": nn.Parameter(tl.ones(3))})
    assert list(pdict.state_dict()) == ["x"]


@pytest.mark.torch
def test_keys_and_repr_match_pytorch():
    torch = pytest.importorskip("torch")

    class TBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Linear(4, 4)
            self.register_buffer("running", torch.zeros(4))
            self.register_buffer("scratch", torch.ones(2), persistent=False)
            self.scale = torch.nn.Parameter(torch.ones(1))

    class TNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = torch.nn.Linear(3, 4)
            self.blocks = torch.nn.ModuleList([TBlock(), TBlock()])
            self.head = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(4, 2))

    ours, theirs = Net(), TNet()
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert repr(ours).replace("Net(", "X(").replace("Block(", "B(") == \
        repr(theirs).replace("TNet(", "X(").replace("TBlock(", "B(")
    assert repr(ours) == NESTED_REPR
