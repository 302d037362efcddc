"""Image grids and image files: ``make_grid``/``save_image`` (torchvision's layout) and report figures."""

from __future__ import annotations

import math
import os
from typing import BinaryIO, List, Sequence, Tuple, Union

import numpy as np
from PIL import Image, ImageDraw, ImageFont

import tensorlib as tl
from tensorlib._atomic import atomic_write

__all__ = ["make_grid", "save_image", "draw_confusion_matrix", "save_prediction_grid"]


def _as_batch(tensor) -> np.ndarray:
    """A float (N, C, H, W) copy of a tensor / list of tensors, gray images repeated to 3 channels."""
    if isinstance(tensor, list):
        for item in tensor:
            if not isinstance(item, tl.Tensor):
                raise TypeError(f"tensor or list of tensors expected, got a list containing {type(item)}")
        array = np.stack([item.detach().numpy() for item in tensor], axis=0)
    elif isinstance(tensor, tl.Tensor):
        array = tensor.detach().numpy()
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 3:
        if array.shape[0] == 1:
            array = np.concatenate((array, array, array), axis=0)
        array = array[None]
    if array.ndim == 4 and array.shape[1] == 1:
        array = np.concatenate((array, array, array), axis=1)
    if array.ndim != 4:
        raise ValueError(f"make_grid expects a (B, C, H, W), (C, H, W) or (H, W) tensor, got {array.shape}")
    return array.copy()


def _normalize_range(array: np.ndarray, value_range: Tuple[float, float] | None, scale_each: bool) -> None:
    """Clamp to ``value_range`` (default: min/max, per image if ``scale_each``), map it to [0, 1] in place."""
    def norm(part: np.ndarray, low: float, high: float) -> None:
        np.clip(part, low, high, out=part)
        part -= low
        part /= max(high - low, 1e-5)

    parts = list(array) if scale_each else [array]
    for part in parts:
        if value_range is not None:
            norm(part, value_range[0], value_range[1])
        else:
            norm(part, float(part.min()), float(part.max()))


def make_grid(tensor, nrow: int = 8, padding: int = 2, normalize: bool = False,
              value_range: Tuple[float, float] | None = None, scale_each: bool = False,
              pad_value: float = 0.0) -> tl.Tensor:
    """Tile a (B, C, H, W) batch (or list of (C, H, W)) into one (C, H', W') image, ``nrow`` images per row.

    Cell k sits at row ``k // nrow``, column ``k % nrow``; its top-left pixel is at
    ``(row * (H + padding) + padding, col * (W + padding) + padding)``. The grid is
    ``(ceil(B / nrow) * (H + padding) + padding, min(nrow, B) * (W + padding) + padding)`` and everything
    outside the images (padding and empty cells) is ``pad_value``. Single images are returned as they are
    (gray ones as 3 channels), like torchvision.
    """
    array = _as_batch(tensor)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        if not np.issubdtype(array.dtype, np.floating):
            array = array.astype(np.float32)
        _normalize_range(array, value_range, scale_each)
    if array.shape[0] == 1:
        return tl.from_numpy(np.ascontiguousarray(array[0]))
    count, channels, height, width = array.shape
    columns = min(nrow, count)
    rows = int(math.ceil(float(count) / columns))
    # Every cell is its image with `padding` pad_value rows/columns before it; empty cells are all pad_value.
    cell_h, cell_w = height + padding, width + padding
    cells = np.full((rows * columns, channels, cell_h, cell_w), pad_value, dtype=array.dtype)
    cells[:count, :, padding:, padding:] = array
    grid = cells.reshape(rows, columns, channels, cell_h, cell_w)
    grid = grid.transpose(2, 0, 3, 1, 4).reshape(channels, rows * cell_h, columns * cell_w)
    out = np.full((channels, grid.shape[1] + padding, grid.shape[2] + padding), pad_value, dtype=array.dtype)
    out[:, :grid.shape[1], :grid.shape[2]] = grid
    return tl.from_numpy(out)


def _to_uint8_hwc(grid: np.ndarray) -> np.ndarray:
    """torchvision's ``mul(255).add_(0.5).clamp_(0, 255)`` then truncation to uint8, as (H, W, C)."""
    scaled = np.clip(grid.astype(np.float32) * 255 + 0.5, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(scaled.transpose(1, 2, 0))


def _atomic_save(image: Image.Image, path: Union[str, os.PathLike], format: str | None) -> None:
    """Write ``image`` to a temporary file beside ``path`` and rename it into place."""
    path = os.fspath(path)
    if format is None:
        extension = os.path.splitext(path)[1].lower()
        format = Image.registered_extensions().get(extension)
        if format is None:
            raise ValueError(f"unknown file extension {extension!r} for {path!r}: pass format=")
    with atomic_write(path) as stream:
        image.save(stream, format=format)


def save_image(tensor, fp: Union[str, os.PathLike, BinaryIO], format: str | None = None, **kwargs) -> None:
    """Save a tensor (or batch, arranged by ``make_grid(**kwargs)``) as an image; values in [0, 1].

    Paths are written atomically (temporary name, then rename); the format comes from the extension
    unless ``format`` is given. File objects are written directly.
    """
    grid = make_grid(tensor, **kwargs).numpy()
    image = Image.fromarray(_to_uint8_hwc(grid))
    if isinstance(fp, (str, os.PathLike)):
        _atomic_save(image, fp, format)
    else:
        image.save(fp, format=format)


def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default()


def draw_confusion_matrix(matrix, class_names: Sequence[str], path: Union[str, os.PathLike],
                          cell: int = 36) -> None:
    """Render a (K, K) confusion matrix (rows: true class, columns: predicted) as a PNG with counts.

    Cells are shaded by their fraction of the row; the diagonal is green, errors red.
    """
    counts = matrix.numpy() if isinstance(matrix, tl.Tensor) else np.asarray(matrix)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] != len(class_names):
        raise ValueError(f"draw_confusion_matrix expects a (K, K) matrix with K = len(class_names) = "
                         f"{len(class_names)}, got shape {counts.shape}")
    classes = len(class_names)
    font = _font()
    label_width = max(int(font.getlength(str(name))) for name in class_names) + 10
    margin_top = 30
    size = (label_width + classes * cell + 10, margin_top + label_width + classes * cell)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.text((5, 5), "rows: true, columns: predicted", fill="black", font=font)
    row_totals = np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fractions = counts / row_totals
    origin_x, origin_y = label_width, margin_top + label_width
    for r in range(classes):
        draw.text((5, origin_y + r * cell + cell // 3), str(class_names[r]), fill="black", font=font)
        for c in range(classes):
            shade = int(255 * (1.0 - fractions[r, c]))
            color = (shade, 255, shade) if r == c else (255, shade, shade)
            left, top = origin_x + c * cell, origin_y + r * cell
            box = (left, top, left + cell, top + cell)
            draw.rectangle(box, fill=color, outline="gray")
            draw.text((box[0] + 4, box[1] + cell // 3), str(int(counts[r, c])), fill="black", font=font)
    for c in range(classes):
        name_image = Image.new("RGB", (label_width, cell), "white")
        ImageDraw.Draw(name_image).text((2, cell // 3), str(class_names[c]), fill="black", font=font)
        image.paste(name_image.rotate(90, expand=True), (origin_x + c * cell, margin_top))
    _atomic_save(image, path, None)


def save_prediction_grid(images, preds, targets, path: Union[str, os.PathLike],
                         class_names: Sequence[str] | None = None, nrow: int = 8) -> None:
    """Save a grid of (N, C, H, W) images, each captioned "pred / true" (wrong ones in red).

    Images in [0, 1] are shown as they are; if any value falls outside (e.g. normalised inputs), each image
    is min-max rescaled for display.
    """
    pixels = _as_batch(images).astype(np.float32)
    if pixels.size and (pixels.min() < 0.0 or pixels.max() > 1.0):
        _normalize_range(pixels, None, scale_each=True)
    predicted = np.asarray(preds.tolist() if isinstance(preds, tl.Tensor) else preds).reshape(-1)
    true = np.asarray(targets.tolist() if isinstance(targets, tl.Tensor) else targets).reshape(-1)
    if not (len(predicted) == len(true) == pixels.shape[0]):
        raise ValueError(f"save_prediction_grid: {pixels.shape[0]} images but {len(predicted)} predictions "
                         f"and {len(true)} targets")
    scale = max(1, 64 // max(pixels.shape[-2:]))
    tiles: List[Image.Image] = []
    font = _font()
    for image, pred, target in zip(pixels, predicted, true):
        tile = Image.fromarray(_to_uint8_hwc(image)).resize(
            (image.shape[-1] * scale, image.shape[-2] * scale), Image.Resampling.NEAREST)
        name = (lambda k: str(class_names[int(k)]) if class_names is not None else str(int(k)))
        caption = f"{name(pred)} / {name(target)}"
        width = max(tile.width, int(font.getlength(caption)) + 4)
        framed = Image.new("RGB", (width, tile.height + 14), "white")
        framed.paste(tile, ((width - tile.width) // 2, 0))
        color = (0, 128, 0) if int(pred) == int(target) else (220, 0, 0)
        ImageDraw.Draw(framed).text((2, tile.height + 1), caption, fill=color, font=font)
        tiles.append(framed)
    cell_w = max(t.width for t in tiles) + 4
    cell_h = max(t.height for t in tiles) + 4
    columns = min(nrow, len(tiles))
    rows = int(math.ceil(len(tiles) / columns))
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h + 16), "white")
    ImageDraw.Draw(sheet).text((2, 2), "predicted / true", fill="black", font=font)
    for k, tile in enumerate(tiles):
        sheet.paste(tile, ((k % columns) * cell_w + 2, (k // columns) * cell_h + 18))
    _atomic_save(sheet, path, None)
