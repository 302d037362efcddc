"""Text classification datasets: map-style, items ``(label, text)`` like torchtext.

``TextClassificationDataset`` reads any CSV/TSV with a header row naming its ``label`` and ``text``
columns; ``AG_NEWS`` (labels 1..4) and ``IMDB`` (1 = neg, 2 = pos) fetch and read the upstream files.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from typing import Any, Callable, Iterator, Union

from ._base import Dataset, DownloadableDataset
from ._errors import CorruptDatasetError
from ._fetch import Mirrors, Resource

_SPLITS = ("train", "test")


def _raise_csv_field_limit() -> None:
    # Reviews and articles can exceed csv's default 128 KiB field limit.
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:
            limit //= 10


def _csv_rows(path: str, delimiter: str = ",", encoding: str = "utf-8") -> Iterator[tuple[int, list[str]]]:
    """``(first line number, fields)`` of each non-empty row of the CSV/TSV at ``path``, read strictly.

    Raises ``CorruptDatasetError`` naming the file and line for bytes that are not ``encoding`` text, a quote
    that is never closed (which would otherwise swallow every following row into one field) or other
    malformed quoting.
    """
    _raise_csv_field_limit()
    with open(path, "rb") as f:
        raw = f.read()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise CorruptDatasetError(f"{path!r} line {line}: byte {raw[error.start:error.start + 1]!r} is not "
                                  f"{encoding} text ({error.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problem = ("a quoted field opened on this line is never closed" if "end of data" in str(error)
                       else f"malformed CSV ({error})")
            raise CorruptDatasetError(f"{path!r} line {line}: {problem}") from None
        if row:
            yield line, row
        line = reader.line_num + 1


class _TextItems:
    """Shared item access over parallel ``labels`` / ``texts`` lists."""

    labels: list[Any]
    texts: list[str]
    transform: Callable | None
    target_transform: Callable | None

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        """``(label, text)`` after ``target_transform`` (on the label) and ``transform`` (on the text)."""
        n = len(self.labels)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for {type(self).__name__} of length {n}")
        label, text = self.labels[index], self.texts[index]
        if self.target_transform is not None:
            label = self.target_transform(label)
        if self.transform is not None:
            text = self.transform(text)
        return label, text

    def __len__(self) -> int:
        return len(self.labels)


class TextClassificationDataset(_TextItems, Dataset):
    """``(label, text)`` rows of the CSV/TSV at ``path`` whose header names ``label_column``/``text_column``.

    The delimiter defaults to a tab for ``.tsv`` files and a comma otherwise. Labels that are all integers
    are returned as ``int``, otherwise as ``str``; ``classes`` lists the distinct labels, sorted.
    Raises ``CorruptDatasetError`` (a ``ValueError``) naming the file: the columns found when a requested column
    is missing, the line of a short row, of malformed quoting (an unclosed quote) or of bytes that are not
    ``encoding`` text.
    """

    def __init__(self, path: str, label_column: str = "label", text_column: str = "text",
                 delimiter: str | None = None, encoding: str = "utf-8", transform: Callable | None = None,
                 target_transform: Callable | None = None) -> None:
        self.path = os.fspath(path)
        self.transform = transform
        self.target_transform = target_transform
        if delimiter is None:
            delimiter = "\t" if self.path.lower().endswith(".tsv") else ","
        lines = _csv_rows(self.path, delimiter, encoding)
        _, header = next(lines, (0, None))
        if header is None:
            raise CorruptDatasetError(f"{self.path!r} is empty; expected a header row with columns "
                                      f"{label_column!r} and {text_column!r}")
        header = [name.strip() for name in header]
        missing = [c for c in (label_column, text_column) if c not in header]
        if missing:
            raise CorruptDatasetError(f"{self.path!r} has no column {', '.join(repr(c) for c in missing)}; "
                                      f"columns found: {header}")
        label_at, text_at = header.index(label_column), header.index(text_column)
        width = max(label_at, text_at) + 1
        rows = []
        for line, row in lines:
            if len(row) < width:
                raise CorruptDatasetError(f"{self.path!r} line {line}: expected at least {width} fields, "
                                          f"got {len(row)}")
            rows.append(row)
        raw_labels = [row[label_at].strip() for row in rows]
        self.texts: list[str] = [row[text_at] for row in rows]
        self.labels: list[Union[int, str]] = _maybe_ints(raw_labels)
        self.classes = sorted(set(self.labels))
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}


class _SplitsLikeTorchtext:
    """``split`` may be a tuple of split names, as torchtext's default ``('train', 'test')``: the constructor then
    returns a tuple with one dataset per name (``train, test = AG_NEWS(root)``)."""

    split: str
    root: str

    def __new__(cls, root: str = ".data", split: Union[str, tuple] = ("train", "test"), *args: Any,
                **kwargs: Any):
        if isinstance(split, (tuple, list)):
            return tuple(cls(root, name, *args, **kwargs) for name in split)
        return super().__new__(cls)

    def __getnewargs__(self) -> tuple:
        return self.root, self.split  # unpickling (spawned DataLoader workers) rebuilds one dataset


class AG_NEWS(_SplitsLikeTorchtext, _TextItems, DownloadableDataset):
    """AG News topic classification: ``(label in 1..4, title + ' ' + description)`` like torchtext.

    Files: ``root/AG_NEWS/train.csv`` and ``root/AG_NEWS/test.csv`` (upstream CSV, no header, columns
    label, title, description).
    """

    mirrors = ["https://raw.githubusercontent.com/mhjabreel/CharCnn_Keras/master/data/ag_news_csv/"]
    resources = {"train": ("train.csv", "b1a00f826fdfbd249f79597b59e1dc12"),
                 "test": ("test.csv", "d52ea96a97a2d943681189a97654912d")}
    classes = ["World", "Sports", "Business", "Sci/Tech"]

    def __init__(self, root: str = ".data", split: Union[str, tuple] = ("train", "test"),
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, mirrors: Mirrors = None) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform, mirrors=mirrors)
        self.split = _check_split(split)
        self._prepare(download)
        self.labels, self.texts = self._read(os.path.join(self._folder, self.resources[split][0]))

    @property
    def _folder(self) -> str:
        return os.path.join(self.root, type(self).__name__)

    def _resource_list(self) -> list[Resource]:
        filename, md5 = self.resources[self.split]
        return [Resource(filename=filename, md5=md5, extract=False)]

    @staticmethod
    def _read(path: str) -> tuple[list[int], list[str]]:
        labels, texts = [], []
        for line, row in _csv_rows(path):
            label = row[0].strip()
            if len(row) < 2 or not (label.isascii() and label.isdigit() and len(label) <= 9):
                raise CorruptDatasetError(f"{path!r} line {line}: expected an AG_NEWS row "
                                          f"'label,title,description' with an integer label, got {row[:3]!r}")
            labels.append(int(label))
            texts.append(" ".join(row[1:]))
        return labels, texts

    def extra_repr(self) -> str:
        return f"Split: {self.split}"


class IMDB(_SplitsLikeTorchtext, _TextItems, DownloadableDataset):
    """IMDB movie reviews: ``(1 = neg | 2 = pos, review text)`` like torchtext; neg reviews first.

    Files: ``root/IMDB/aclImdb_v1.tar.gz``, unpacked to ``root/IMDB/aclImdb/<split>/{neg,pos}/*.txt``.
    """

    mirrors = ["http://ai.stanford.edu/~amaas/data/sentiment/"]
    filename = "aclImdb_v1.tar.gz"
    md5 = "7c2ac02c03563afcf9b574c7e56c153a"
    label_ids = {"neg": 1, "pos": 2}

    def __init__(self, root: str = ".data", split: Union[str, tuple] = ("train", "test"),
                 transform: Callable | None = None, target_transform: Callable | None = None,
                 download: bool = False, mirrors: Mirrors = None) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform, mirrors=mirrors)
        self.split = _check_split(split)
        self._prepare(download)
        self.labels, self.texts = self._read_split()

    @property
    def _folder(self) -> str:
        return os.path.join(self.root, type(self).__name__)

    def _resource_list(self) -> list[Resource]:
        payload = tuple((f"aclImdb/{split}/{label}/", None) for split in _SPLITS for label in self.label_ids)
        return [Resource(filename=self.filename, md5=self.md5, payload=payload)]

    def _read_split(self) -> tuple[list[int], list[str]]:
        labels, texts = [], []
        for name, label in self.label_ids.items():
            folder = os.path.join(self._folder, "aclImdb", self.split, name)
            if not os.path.isdir(folder):
                raise RuntimeError(f"IMDB: expected a folder of reviews at {folder!r}")
            names = sorted(n for n in os.listdir(folder) if n.endswith(".txt"))
            for filename in names:
                texts.append(_read_text(os.path.join(folder, filename)))
            labels += [label] * len(names)
        return labels, texts

    def extra_repr(self) -> str:
        return f"Split: {self.split}"


def _read_text(path: str) -> str:
    with open(path, "rb") as f:
        raw = f.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise CorruptDatasetError(f"{path!r} line {line}: byte {raw[error.start:error.start + 1]!r} is not "
                                  "UTF-8 text") from None


def _check_split(split: str) -> str:
    if split not in _SPLITS:
        raise ValueError(f"Unknown value '{split}' for argument split. Valid values are {{'train', 'test'}}.")
    return split


def _maybe_ints(values: list[str]) -> list[Union[int, str]]:
    try:
        return [int(v) for v in values]
    except ValueError:
        return list(values)
