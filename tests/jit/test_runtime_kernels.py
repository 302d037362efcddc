"""The runtime's planned kernels against eager: convolution paths (full-width rows with shared or own padding
gaps, exact strided windows, direct 1x1, groups, dilation) split into several batch chunks, with batch norm
folded, bias, fused residual and ReLU; pooling on the channels-first views convolutions return; buffers reused
across calls and batch sizes."""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import nn
from tensorlib.jit import runtime


def assert_close(got, want):
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-5 * (1 + np.abs(want).max()))


class ConvBlock(nn.Module):
    """conv -> bn -> relu, then a 3x3 conv whose output gets the first result added back (a residual)."""

    def __init__(self, cin, cout, kernel, stride, padding, dilation, groups, bias):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding, dilation, groups, bias)
        self.bn = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)

    def forward(self, x):
        y = self.bn(self.conv(x)).relu()
        return (self.conv2(y) + y).relu()


def randomize_bn(model):
    for key, value in model.state_dict().items():
        if key.endswith("running_mean"):
            value.copy_(tl.randn(*value.shape) * 0.3)
        elif key.endswith("running_var"):
            value.copy_(tl.rand(*value.shape) + 0.5)
    return model.eval()


CONV_CASES = {
    "rows_3x3_pad1": (4, 6, 3, 1, 1, 1, 1, True),
    "rows_5x5_unpadded": (3, 4, 5, 1, 0, 1, 1, False),
    "rows_dilated": (4, 4, 3, 1, 2, 2, 1, True),
    "rows_same_even_kernel": (3, 4, 4, 1, "same", 1, 1, True),  # asymmetric padding
    "rows_padding_beyond_span": (3, 4, (3, 1), 1, 1, 1, 1, True),  # a 1-wide kernel with width padding
    "strided_3x3": (4, 8, 3, 2, 1, 1, 1, False),
    "strided_asymmetric": (3, 5, (3, 1), (2, 1), (1, 0), 1, 1, True),  # stride phases down the rows only
    "strided_5x5_pad2": (3, 4, 5, 2, 2, 1, 1, True),
    "strided_2x2_unpadded": (3, 4, 2, 2, 0, 1, 1, False),  # one offset per phase
    "strided_4x4_stride3": (3, 4, 4, 3, 1, 1, 1, True),  # nine phases, some with one offset down or across
    "strided_kernel_below_stride": (3, 4, 2, 3, 0, 1, 1, True),  # phases would hold no offset: exact windows
    "strided_dilated": (3, 4, 3, 2, 2, 2, 1, True),  # no phases with dilation: exact windows
    "direct_1x1_stride2": (4, 8, 1, 2, 0, 1, 1, True),
    "direct_1x1": (4, 8, 1, 1, 0, 1, 1, False),
    "grouped": (4, 8, 3, 1, 1, 1, 2, True),
    "depthwise_strided": (4, 4, 3, 2, 1, 1, 4, True),
}


@pytest.mark.parametrize("layout", ["batch_major", "channels_first"])
@pytest.mark.parametrize("name", sorted(CONV_CASES))
def test_conv_paths_match_eager_across_batch_chunks(name, layout, monkeypatch):
    monkeypatch.setattr(runtime, "CHUNK_BYTES", 3000)  # a few images per chunk, the last chunk shorter
    for limit in ("BATCH_MAJOR_MIN_RUN", "BATCH_MAJOR_MIN_MACS"):
        monkeypatch.setattr(runtime, limit, 0 if layout == "batch_major" else 10 ** 12)
    tl.manual_seed(0)
    model = randomize_bn(ConvBlock(*CONV_CASES[name]))
    traced = tl.jit.trace(model, tl.randn(2, CONV_CASES[name][0], 11, 9))
    ops = [node["op"] for node in traced._program._nodes]
    assert ops == ["conv2d", "conv2d"]  # batch norm folded, residual and relus fused
    for batch in (7, 1, 7):
        x = tl.randn(batch, CONV_CASES[name][0], 11, 9)
        with tl.no_grad():
            assert_close(traced(x).numpy(), model(x).numpy())


class Broadcasts(nn.Module):
    """Adds that cannot be fused per chunk: a per-channel parameter, and a conv output broadcast up."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.squeeze = nn.Conv2d(4, 4, 4)
        self.offset = nn.Parameter(tl.randn(1, 4, 1, 1))

    def forward(self, x):
        y = (self.conv(x) + self.offset).relu()
        return (self.squeeze(y) + y).relu()


def test_residual_adds_that_broadcast_match_eager():
    tl.manual_seed(1)
    model = Broadcasts().eval()
    traced = tl.jit.trace(model, tl.randn(2, 3, 4, 4))
    x = tl.randn(3, 3, 4, 4)
    with tl.no_grad():
        assert_close(traced(x).numpy(), model(x).numpy())


@pytest.mark.parametrize("layout", ["batch_major", "channels_first"])
def test_pooling_reads_convolution_views(layout, monkeypatch):
    for limit in ("BATCH_MAJOR_MIN_RUN", "BATCH_MAJOR_MIN_MACS"):
        monkeypatch.setattr(runtime, limit, 0 if layout == "batch_major" else 10 ** 12)
    tl.manual_seed(2)
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 4, 3, padding=1), nn.MaxPool2d(3, 2, padding=1, dilation=1, ceil_mode=True),
        nn.Conv2d(4, 4, 3, padding=1), nn.AvgPool2d(3, 2, padding=1, ceil_mode=True, count_include_pad=False),
        nn.Conv2d(4, 4, 1), nn.AvgPool2d(2, divisor_override=3), nn.AdaptiveAvgPool2d(1)).eval()
    traced = tl.jit.trace(model, tl.randn(2, 2, 22, 18))
    for batch in (5, 1):
        x = tl.randn(batch, 2, 22, 18)
        with tl.no_grad():
            assert_close(traced(x).numpy(), model(x).numpy())


def test_results_are_not_overwritten_by_the_next_call():
    tl.manual_seed(3)
    model = randomize_bn(ConvBlock(3, 4, 3, 1, 1, 1, 1, True))
    traced = tl.jit.trace(model, tl.randn(2, 3, 8, 8))
    x1, x2 = tl.randn(2, 3, 8, 8), tl.randn(2, 3, 8, 8)
    first = traced(x1).numpy()
    kept = first.copy()
    traced(x2)
    np.testing.assert_array_equal(first, kept)


def test_residual_computed_after_the_convolution_is_fused_in_order():
    """ResNet's shortcut conv comes after the block's second conv in the graph: the fused conv must run later."""
    tl.manual_seed(4)

    class Shortcut(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Conv2d(3, 6, 3, stride=2, padding=1)
            self.short = nn.Conv2d(3, 6, 1, stride=2)

        def forward(self, x):
            main = self.main(x)
            return (main + self.short(x)).relu()

    model = Shortcut().eval()
    traced = tl.jit.trace(model, tl.randn(2, 3, 9, 9))
    assert [node["op"] for node in traced._program._nodes] == ["conv2d", "conv2d"]
    x = tl.randn(4, 3, 9, 9)
    with tl.no_grad():
        assert_close(traced(x).numpy(), model(x).numpy())


class ProjectedResidual(nn.Module):
    """A stride-1 conv whose output gets a 1x1 projection of the same input added (ResNet's shortcut, unstrided)."""

    def __init__(self, kernel, padding, dilation):
        super().__init__()
        self.main = nn.Conv2d(3, 5, kernel, padding=padding, dilation=dilation)
        self.short = nn.Conv2d(3, 5, 1)

    def forward(self, x):
        return (self.main(x) + self.short(x)).relu()


@pytest.mark.parametrize("layout", ["batch_major", "channels_first"])
@pytest.mark.parametrize("kernel, padding, dilation, junk", [(3, 1, 1, 1), (5, 2, 1, 2), (3, 2, 2, 2)])
def test_a_projection_shortcut_computes_the_junk_columns_of_the_conv_it_is_added_to(
        kernel, padding, dilation, junk, layout, monkeypatch):
    monkeypatch.setattr(runtime, "CHUNK_BYTES", 2000)
    for limit in ("BATCH_MAJOR_MIN_RUN", "BATCH_MAJOR_MIN_MACS"):
        monkeypatch.setattr(runtime, limit, 0 if layout == "batch_major" else 10 ** 12)
    tl.manual_seed(5)
    model = ProjectedResidual(kernel, padding, dilation).eval()
    traced = tl.jit.trace(model, tl.randn(2, 3, 10, 9))
    short, main = traced._program._nodes
    assert (short["attrs"].get("_row_pad"), main["attrs"].get("_residual")) == (junk, True)
    for batch in (5, 1):
        x = tl.randn(batch, 3, 10, 9)
        with tl.no_grad():
            assert_close(traced(x).numpy(), model(x).numpy())


def test_a_graph_reading_an_undefined_value_is_refused_at_load(tmp_path):
    path = tmp_path / "model.tlj"
    tl.jit.trace(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), tl.randn(2, 4)).save(path)
    raw = path.read_bytes()  # rewrite the graph (and its digest) so that the ReLU reads an undefined value
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    graph = json.loads(header["__metadata__"][runtime.FORMAT])
    graph["nodes"][1]["inputs"][0] = "nowhere"
    text = json.dumps(graph)
    header["__metadata__"].update({runtime.FORMAT: text, "graph_sha256": hashlib.sha256(text.encode()).hexdigest()})
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + raw[8 + length:])
    with pytest.raises(runtime.CorruptFileError, match="'nowhere', which is neither an input, a weight nor"):
        runtime.load(str(path))
    with pytest.raises(tl.serialization.CorruptFileError, match="'nowhere'"):
        tl.jit.load(path)


def test_a_residual_is_widened_only_over_a_convolution_output_that_holds_the_columns():
    context = runtime._Context()
    buffer = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5).copy()  # owns its memory
    assert runtime._widened(buffer[..., :4], 5, context) is None  # not a convolution's: its extra column is data
    context.conv_outputs[id(buffer)] = buffer
    np.testing.assert_array_equal(runtime._widened(buffer[..., :4], 5, context), buffer)
    assert runtime._widened(buffer[..., 1:], 5, context) is None  # would run past the buffer's end


@pytest.mark.parametrize("rows, depth, columns, pieces", [
    (16, 145, 1056, 3),  # ResNet's 16-channel 3x3 layer, one image: 2.45M multiply-adds in three pieces
    (32, 145, 256, 2),  # its stride-2 16 -> 32 layer: two pieces of 128 columns
    (16, 28, 4224, 2),  # its 3-channel stem, four images
    (64, 577, 640, 1),  # 64 output channels: never cut
    (32, 289, 272, 1),  # its 32 -> 32 layer: pieces that divide 272 would be narrower than 128 columns
    (16, 145, 1049, 1),  # no equal cut (1049 is prime)
    (6, 25, 4704, 1),  # small already
])
def test_column_pieces_follow_the_size_rule(rows, depth, columns, pieces):
    assert runtime._column_pieces(rows, depth, columns) == pieces


def test_column_pieces_are_views_of_the_same_memory():
    a = np.arange(2 * 3 * 12, dtype=np.float32).reshape(2, 3, 12)
    split = runtime._split_columns(a, 4)
    assert split.shape == (2, 4, 3, 3) and np.shares_memory(split, a)
    np.testing.assert_array_equal(split, np.stack(np.split(a, 4, axis=2), axis=1))
    w = np.ones((5, 3), np.float32)
    out = np.empty((2, 5, 12), np.float32)
    np.matmul(w, split, out=runtime._split_columns(out, 4))
    np.testing.assert_array_equal(out, w @ a)


class NarrowNet(nn.Module):
    """A 3-channel stem and a 16-channel 3x3 layer at 32x32, then a stride-2 16 -> 32 layer: their GEMMs are cut
    into column pieces."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 16, 3, padding=1)
        self.conv = nn.Conv2d(16, 16, 3, padding=1)
        self.down = nn.Conv2d(16, 32, 3, stride=2, padding=1)

    def forward(self, x):
        return self.down(self.conv(self.stem(x).relu()).relu())


def test_convolutions_in_column_pieces_match_eager_and_any_thread_count(tmp_path, monkeypatch):
    monkeypatch.setattr(runtime, "PARALLEL_MIN_MACS", 0)
    pieces = []
    split = runtime._split_columns
    monkeypatch.setattr(runtime, "_split_columns", lambda a, count: pieces.append(count) or split(a, count))
    tl.manual_seed(3)
    model = NarrowNet().eval()
    path = tmp_path / "narrow.tlj"
    tl.jit.save(tl.jit.trace(model, tl.randn(2, 3, 32, 32)), path)
    x = tl.randn(5, 3, 32, 32)
    one, two = runtime.load(str(path)), runtime.load(str(path), threads=2)
    got = one(x.numpy())
    assert max(pieces) > 1  # some products were cut
    with tl.no_grad():
        assert_close(got, model(x).numpy())
    np.testing.assert_array_equal(two(x.numpy()), got)


@pytest.mark.parametrize("stride, groups, bias", [(1, 1, True), (2, 1, True), (2, 1, False), (1, 2, True),
                                                  (1, 3, False)])
def test_a_plan_reloaded_with_other_weights_equals_a_plan_made_with_them(stride, groups, bias):
    # the training convolution reuses one plan per geometry, loading each layer's weights into it (phase-ordered
    # weight columns for strided kernels, the bias as a GEMM column or added after for groups)
    rng = np.random.default_rng(7)
    c, oc, kernel = 6, 6, 3
    x = rng.standard_normal((5, c, 11, 9), dtype=np.float32)
    pads = ((1, 1), (1, 1))

    def weights():
        w = rng.standard_normal((groups, oc // groups, c // groups * kernel * kernel), dtype=np.float32)
        return w, (rng.standard_normal((groups, oc // groups, 1), dtype=np.float32) if bias else None)

    (w1, b1), (w2, b2) = weights(), weights()
    reloaded = runtime._conv_plan(x.shape, np.float32, pads, (stride, stride), (1, 1), (kernel, kernel), w1, b1,
                                  None, runtime._Context())
    reloaded(x)
    reloaded.load_weight(w2, b2)
    fresh = runtime._conv_plan(x.shape, np.float32, pads, (stride, stride), (1, 1), (kernel, kernel), w2.copy(),
                               None if b2 is None else b2.copy(), None, runtime._Context())
    want = fresh(x).copy()
    assert reloaded(x).tobytes() == np.ascontiguousarray(want).tobytes()
    # and written into a caller's array chunk by chunk: the same numbers, in that array
    into = np.full((5, oc) + want.shape[2:], np.nan, np.float32)
    assert reloaded(x, into=into) is into
    assert into.tobytes() == np.ascontiguousarray(want).tobytes()
    w_eager = tl.tensor(w2.reshape(oc, c // groups, kernel, kernel))
    b_eager = None if b2 is None else tl.tensor(b2.reshape(oc))
    assert_close(want, tl.nn.functional.conv2d(tl.tensor(x), w_eager, b_eager, stride, 1, groups=groups).numpy())
