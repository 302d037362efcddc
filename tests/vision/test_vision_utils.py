"""make_grid layout, save_image round trip and the report figures."""

import os

import numpy as np
import pytest
from PIL import Image

import tensorlib as tl
from tensorlib.vision.utils import draw_confusion_matrix, make_grid, save_image, save_prediction_grid


def _load(path, mode=None):
    with Image.open(path) as image:
        return np.asarray(image.convert(mode) if mode else image), image.format, image.size


def _batch(n, c=3, h=4, w=5):
    values = np.stack([np.full((c, h, w), (k + 1) / 10, dtype=np.float32) for k in range(n)])
    return tl.from_numpy(values)


def test_make_grid_layout_and_padding_positions():
    grid = make_grid(_batch(5), nrow=3, padding=2, pad_value=0.5).numpy()
    # 2 rows x 3 columns of 4x5 cells with 2px padding between and around
    assert grid.shape == (3, 2 * (4 + 2) + 2, 3 * (5 + 2) + 2)
    for k in range(5):
        row, col = divmod(k, 3)
        top, left = row * 6 + 2, col * 7 + 2
        np.testing.assert_allclose(grid[:, top:top + 4, left:left + 5], (k + 1) / 10)
    np.testing.assert_array_equal(grid[:, :2, :], 0.5)  # top border
    np.testing.assert_array_equal(grid[:, 6:8, :], 0.5)  # between rows
    np.testing.assert_array_equal(grid[:, :, 7:9], 0.5)  # between columns 0 and 1
    np.testing.assert_array_equal(grid[:, 8:12, 16:21], 0.5)  # the empty sixth cell
    np.testing.assert_array_equal(grid[:, -2:, :], 0.5)  # bottom border


def test_make_grid_single_image_gray_and_list_inputs():
    single = make_grid(_batch(1, c=1))
    assert tuple(single.shape) == (3, 4, 5)  # gray repeated to 3 channels, no padding for one image
    gray_batch = make_grid(_batch(2, c=1), padding=0)
    assert tuple(gray_batch.shape) == (3, 4, 10)
    as_list = make_grid([_batch(1)[0], _batch(2)[1]], nrow=1, padding=1)
    assert tuple(as_list.shape) == (3, 2 * 5 + 1, 7)
    with pytest.raises(TypeError, match="tensor or list of tensors"):
        make_grid(np.zeros((2, 3, 4, 4)))


def test_make_grid_normalize_ranges():
    x = tl.from_numpy(np.stack([np.full((3, 2, 2), v, dtype=np.float32) for v in (-1.0, 3.0)]))
    grid = make_grid(x, normalize=True, padding=0).numpy()
    np.testing.assert_allclose(grid[:, :, :2], 0.0)
    np.testing.assert_allclose(grid[:, :, 2:], 1.0)
    clamped = make_grid(x, normalize=True, value_range=(0.0, 2.0), padding=0).numpy()
    np.testing.assert_allclose(clamped[:, :, 2:], 1.0)
    np.testing.assert_allclose(clamped[:, :, :2], 0.0)
    each = make_grid(x, normalize=True, scale_each=True, padding=0).numpy()
    np.testing.assert_allclose(each, 0.0)  # each constant image maps to 0 (max(high - low, 1e-5))
    assert float(x.numpy().min()) == -1.0  # the input is untouched
    with pytest.raises(TypeError, match="value_range"):
        make_grid(x, normalize=True, value_range=[0, 1])


def test_save_image_round_trip_and_quantisation(tmp_path):
    x = tl.from_numpy(np.random.default_rng(0).random((2, 3, 4, 5)).astype(np.float32))
    path = tmp_path / "grid.png"
    save_image(x, path, nrow=2, padding=1)
    loaded, _, _ = _load(path)
    expected = make_grid(x, nrow=2, padding=1).numpy()
    quantised = np.clip(expected * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(loaded, quantised)
    assert [p.name for p in tmp_path.iterdir()] == ["grid.png"]  # no temporary file left behind


def test_save_image_file_object_and_format(tmp_path):
    stream = open(tmp_path / "out.bin", "wb")
    with stream:
        save_image(tl.ones(3, 2, 2), stream, format="PNG")
    assert _load(tmp_path / "out.bin")[0].min() == 255
    with pytest.raises(ValueError, match="unknown file extension"):
        save_image(tl.ones(3, 2, 2), tmp_path / "x.unknownext")
    assert not any(p.name.startswith(".tmp") for p in tmp_path.iterdir())


def test_draw_confusion_matrix_writes_png(tmp_path):
    path = tmp_path / "cm.png"
    draw_confusion_matrix(tl.tensor([[5, 1], [0, 7]]), ["cat", "dog"], path)
    _, image_format, size = _load(path)
    assert image_format == "PNG" and size[0] > 72
    with pytest.raises(ValueError, match="K = len\\(class_names\\) = 3"):
        draw_confusion_matrix(np.eye(2), ["a", "b", "c"], path)


def test_save_prediction_grid_marks_wrong_predictions_red(tmp_path):
    path = tmp_path / "preds.png"
    images = tl.from_numpy(np.full((2, 1, 8, 8), 0.5, dtype=np.float32))
    save_prediction_grid(images, tl.tensor([1, 0]), tl.tensor([1, 1]), path, class_names=["zero", "one"])
    pixels = _load(path, "RGB")[0].reshape(-1, 3).astype(int)
    red = (pixels[:, 0] > 180) & (pixels[:, 1] < 60) & (pixels[:, 2] < 60)
    green = (pixels[:, 1] > 100) & (pixels[:, 0] < 60) & (pixels[:, 2] < 60)
    assert red.any() and green.any()
    assert os.listdir(tmp_path) == ["preds.png"]
    normalised = tl.from_numpy(np.linspace(-2, 3, 2 * 64, dtype=np.float32).reshape(2, 1, 8, 8))
    save_prediction_grid(normalised, [0, 1], [0, 1], path)
    assert _load(path)[2][0] > 16
    with pytest.raises(ValueError, match="2 images but 1 predictions"):
        save_prediction_grid(images, [1], [1, 1], path)
