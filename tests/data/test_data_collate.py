import collections

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.data import PadCollate, default_collate, default_convert, pad_collate

Point = collections.namedtuple("Point", ["x", "y"])


def test_tensors_stack_along_new_batch_dim():
    batch = default_collate([tl.ones(2, 3), tl.zeros(2, 3)])
    assert isinstance(batch, tl.Tensor) and tuple(batch.shape) == (2, 2, 3) and batch.dtype == tl.float32
    assert batch.numpy()[0].sum() == 6 and batch.numpy()[1].sum() == 0


def test_numpy_arrays_keep_dtype():
    for dtype in (np.float64, np.float32, np.uint8, np.int32):
        batch = default_collate([np.zeros(3, dtype), np.ones(3, dtype)])
        assert isinstance(batch, tl.Tensor) and batch.numpy().dtype == dtype and tuple(batch.shape) == (2, 3)


def test_numpy_scalars_keep_dtype():
    batch = default_collate([np.float64(1.5), np.float64(2.5)])
    assert batch.dtype == tl.float64 and batch.tolist() == [1.5, 2.5]
    assert default_collate([np.int32(1), np.int32(2)]).dtype == tl.int32


def test_python_numbers():
    ints = default_collate([1, 2, 3])
    assert ints.dtype == tl.int64 and ints.tolist() == [1, 2, 3]
    floats = default_collate([0.5, 1.5])
    assert floats.dtype == tl.float32 and floats.tolist() == [0.5, 1.5]  # PyTorch: float64
    assert default_collate([1, 2.5]).dtype == tl.float32
    bools = default_collate([True, False])
    assert bools.dtype == tl.bool and bools.tolist() == [True, False]


def test_strings_stay_lists():
    assert default_collate(["a", "bc"]) == ["a", "bc"]
    assert default_collate([b"a", b"b"]) == [b"a", b"b"]
    labels_and_names = default_collate([(1, "a"), (2, "b")])
    assert labels_and_names[1] == ("a", "b")  # PyTorch's type: the transposed field is a tuple


def test_tuples_become_lists_of_collated_fields():
    batch = default_collate([(np.zeros(2, np.float32), 0), (np.ones(2, np.float32), 1)])
    assert isinstance(batch, list) and len(batch) == 2
    assert tuple(batch[0].shape) == (2, 2) and batch[1].tolist() == [0, 1]


def test_lists_and_dicts_and_namedtuples():
    batch = default_collate([{"x": 1, "name": "a", "seq": [1, 2]}, {"x": 2, "name": "b", "seq": [3, 4]}])
    assert batch["x"].tolist() == [1, 2] and batch["name"] == ["a", "b"]
    assert [t.tolist() for t in batch["seq"]] == [[1, 3], [2, 4]]
    ordered = default_collate([collections.OrderedDict(a=1), collections.OrderedDict(a=2)])
    assert isinstance(ordered, collections.OrderedDict)
    points = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(points, Point) and points.x.tolist() == [1, 3] and points.y.dtype == tl.float32


def test_unequal_shapes_point_at_pad_collate():
    with pytest.raises(RuntimeError) as info:
        default_collate([tl.zeros(3), tl.zeros(5)])
    message = str(info.value)
    assert "stack expects each tensor to be equal size, but got [3] at entry 0 and [5] at entry 1" in message
    assert "pad_collate" in message
    with pytest.raises(RuntimeError, match=r"\[2, 2\] at entry 0 and \[2, 3\] at entry 1 \(field \[0\]\)"):
        default_collate([(np.zeros((2, 2)), 1), (np.zeros((2, 3)), 2)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1, 2, 3]])
    # first dimensions that differ but add up to a plausible total must not be silently regrouped
    with pytest.raises(RuntimeError, match=r"\[3, 2\] at entry 0 and \[1, 2\] at entry 1"):
        default_collate([tl.zeros(3, 2), tl.zeros(1, 2), tl.zeros(2, 2), tl.zeros(2, 2)])


def test_stacked_batch_keeps_sample_order_and_values():
    samples = [np.full((2, 3), i, dtype=np.int16) for i in range(5)]
    batch = default_collate(samples)
    assert batch.shape == (5, 2, 3) and batch.dtype == tl.int16
    np.testing.assert_array_equal(batch.numpy(), np.stack(samples))
    scalars = default_collate([np.array(1.5), np.array(2.5)])
    assert scalars.shape == (2,) and scalars.tolist() == [1.5, 2.5]


def test_mismatched_types_name_types_and_position():
    expected = r"element 2 of the batch \(field \['label'\]\) is str but element 0 is int"
    with pytest.raises(TypeError, match=expected):
        default_collate([{"label": 0}, {"label": 1}, {"label": "two"}])
    with pytest.raises(KeyError, match="element 1 of the batch has keys"):
        default_collate([{"a": 1}, {"b": 1}])


def test_unsupported_types():
    with pytest.raises(TypeError, match="batch must contain tensors, numpy arrays, numbers, dicts or lists"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_default_convert():
    array = np.arange(3, dtype=np.float64)
    converted = default_convert(array)
    assert isinstance(converted, tl.Tensor) and converted.dtype == tl.float64
    sample = {"a": np.zeros(2, np.float32), "b": (np.int64(3), "s"), "c": Point(np.ones(1), 2)}
    nested = default_convert(sample)
    assert isinstance(nested["a"], tl.Tensor) and isinstance(nested["b"], list)
    assert nested["b"][0].item() == 3 and nested["b"][1] == "s"
    assert isinstance(nested["c"], Point) and isinstance(nested["c"].x, tl.Tensor) and nested["c"].y == 2
    assert default_convert(5) == 5
    strings = np.array(["a"])
    assert default_convert(strings) is strings


def test_pad_collate_tensors_right_and_lengths():
    padded, lengths = pad_collate([tl.tensor([1, 2, 3]), tl.tensor([4]), tl.tensor([5, 6])])
    assert padded.tolist() == [[1, 2, 3], [4, 0, 0], [5, 6, 0]] and padded.dtype == tl.int64
    assert lengths.tolist() == [3, 1, 2] and lengths.dtype == tl.int64


def test_pad_collate_left_time_major_and_value():
    collate = PadCollate(padding_value=-1, batch_first=False, padding_side="left")
    padded, lengths = collate([np.array([[1.0, 1.0]], np.float32), np.array([[2, 2], [3, 3]], np.float32)])
    assert tuple(padded.shape) == (2, 2, 2) and padded.dtype == tl.float32
    assert padded.numpy()[:, 0].tolist() == [[-1, -1], [1, 1]]
    assert padded.numpy()[:, 1].tolist() == [[2, 2], [3, 3]]
    assert lengths.tolist() == [1, 2]


def test_pad_collate_structure_lists_of_numbers_and_labels():
    batch = pad_collate([{"tokens": [5, 6, 7], "label": 1, "text": "abc"},
                         {"tokens": [8], "label": 0, "text": "d"}])
    assert batch["tokens"].padded.tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["tokens"].lengths.tolist() == [3, 1]
    assert batch["label"].tolist() == [1, 0] and batch["text"] == ["abc", "d"]
    tokens, label = pad_collate([([1.5], 0), ([2.5, 3.5], 1)])
    assert tokens.padded.dtype == tl.float32 and tokens.padded.tolist() == [[1.5, 0], [2.5, 3.5]]
    assert label.tolist() == [0, 1]


def test_pad_collate_errors():
    with pytest.raises(RuntimeError, match="can differ only in dim 0"):
        pad_collate([np.zeros((2, 3)), np.zeros((2, 4))])
    with pytest.raises(TypeError, match="element 1 of the batch"):
        pad_collate([tl.zeros(2), 5])
    with pytest.raises(ValueError, match="padding_side"):
        PadCollate(padding_side="middle")
