"""``DatasetFolder`` / ``ImageFolder``: samples laid out as ``root/<class>/**/<file>`` (torchvision's API).

Hidden entries (names starting with ``.``, e.g. ``.ipynb_checkpoints``, ``.DS_Store``) are skipped, both
as class folders and as files. Symlinked folders are followed but every real folder is listed once (symlink
loops are harmless), and only regular files are samples (never a FIFO or device node).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Tuple, Union

from PIL import Image

from tensorlib.data import Dataset
from tensorlib.datasets._repr import dataset_repr

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")

__all__ = ["DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "default_loader", "pil_loader", "find_classes",
           "make_dataset", "has_file_allowed_extension", "is_image_file"]


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def has_file_allowed_extension(filename: str, extensions: Union[str, Tuple[str, ...]]) -> bool:
    """Whether ``filename`` ends (case-insensitively) with one of ``extensions``."""
    return filename.lower().endswith(extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename: str) -> bool:
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory: Union[str, os.PathLike]) -> Tuple[List[str], Dict[str, int]]:
    """Sorted non-hidden sub-folder names of ``directory`` and their indices."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Dataset folder {directory!r} does not exist or is not a directory.")
    with os.scandir(directory) as entries:
        classes = sorted(e.name for e in entries if e.is_dir() and not _is_hidden(e.name))
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}: expected one sub-folder per "
                                "class, e.g. root/cat/1.png.")
    return classes, {name: index for index, name in enumerate(classes)}


def _walk_visible(top: str, visited: set) -> List[Tuple[str, List[str]]]:
    """(folder, sorted visible regular-file names) under ``top`` in sorted folder order, hidden folders pruned.

    Symlinked folders are followed, but each real folder (by ``(st_dev, st_ino)``) is visited once across all
    calls sharing ``visited`` (which starts with the dataset root and every class folder, so a link back to
    them adds nothing): a symlink loop or a second link to a folder lists nothing twice. Only regular files (or
    links to them) are listed: a FIFO or device named ``x.png`` would block or misbehave when opened.
    """
    found = []
    pending = [top]
    while pending:
        folder = pending.pop()
        key = _identity(folder)
        if key is None or (folder is not top and key in visited):
            continue
        visited.add(key)
        files, subfolders = [], []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if _is_hidden(entry.name):
                        continue
                    try:
                        if entry.is_dir():
                            subfolders.append(entry.path)
                        elif entry.is_file():
                            files.append(entry.name)
                    except OSError:  # vanished or unreadable: like os.walk, skip it
                        continue
        except OSError:
            continue
        found.append((folder, sorted(files)))
        pending.extend(sorted(subfolders, reverse=True))  # visit in sorted order: the first path to a folder wins
    return sorted(found)


def _identity(path: str) -> Tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def make_dataset(directory: Union[str, os.PathLike], class_to_idx: Dict[str, int] | None = None,
                 extensions: Union[str, Tuple[str, ...]] | None = None,
                 is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False) -> List[Tuple[str, int]]:
    """(path, class_index) for every valid non-hidden file under each class folder, in sorted order."""
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the same time")
    if extensions is not None:
        def is_valid_file(path: str) -> bool:
            return has_file_allowed_extension(path, extensions)

    instances = []
    available = set()
    # real folders already listed or reserved: the root and the class folders are reached only as themselves
    visited = {_identity(directory)} | {_identity(os.path.join(directory, name)) for name in class_to_idx}
    walked = set()
    for target_class in sorted(class_to_idx):
        class_index = class_to_idx[target_class]
        target_dir = os.path.join(directory, target_class)
        if not os.path.isdir(target_dir) or _identity(target_dir) in walked:  # a class linked to another
            continue
        walked.add(_identity(target_dir))
        for root, filenames in _walk_visible(target_dir, visited):
            for filename in filenames:
                path = os.path.join(root, filename)
                if is_valid_file(path):
                    instances.append((path, class_index))
                    available.add(target_class)
    empty_classes = set(class_to_idx) - available
    if empty_classes and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty_classes))} in {directory}. "
        if extensions is not None:
            listed = extensions if isinstance(extensions, str) else ", ".join(extensions)
            msg += f"Supported extensions are: {listed}"
        raise FileNotFoundError(msg)
    return instances


class DatasetFolder(Dataset):
    """A generic folder dataset: ``root/<class>/**/<file>`` -> (loader(path), class_index).

    Attributes: ``classes`` (sorted names), ``class_to_idx``, ``samples`` (list of (path, index)),
    ``targets`` (the indices).
    """

    def __init__(self, root: Union[str, os.PathLike], loader: Callable[[str], Any],
                 extensions: Tuple[str, ...] | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None, is_valid_file: Callable[[str], bool] | None = None,
                 allow_empty: bool = False):
        self.root = os.fspath(root) if isinstance(root, (str, os.PathLike)) else root
        self.transform = transform
        self.target_transform = target_transform
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx, extensions, is_valid_file,
                                    allow_empty=allow_empty)
        self.loader = loader
        self.extensions = extensions
        self.classes = classes
        self.class_to_idx = class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def make_dataset(directory: str, class_to_idx: Dict[str, int], extensions: Tuple[str, ...] | None = None,
                     is_valid_file: Callable[[str], bool] | None = None,
                     allow_empty: bool = False) -> List[Tuple[str, int]]:
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty=allow_empty)

    def find_classes(self, directory: str) -> Tuple[List[str], Dict[str, int]]:
        return find_classes(directory)

    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self) -> int:
        return len(self.samples)

    def __repr__(self) -> str:
        return dataset_repr(self, self.root, transform=self.transform, target_transform=self.target_transform)


def pil_loader(path: str) -> Image.Image:
    """Open ``path`` fully decoded as RGB; unreadable or truncated files raise ``OSError`` naming the file."""
    try:
        with open(path, "rb") as stream:
            image = Image.open(stream)
            return image.convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise OSError(f"Cannot read image file {path!r}: {exc}") from exc


def default_loader(path: str) -> Image.Image:
    return pil_loader(path)


class ImageFolder(DatasetFolder):
    """Images in ``root/<class>/**/<image>`` -> (PIL RGB image, class_index); ``imgs`` aliases ``samples``."""

    def __init__(self, root: Union[str, os.PathLike], transform: Callable | None = None,
                 target_transform: Callable | None = None, loader: Callable[[str], Any] = default_loader,
                 is_valid_file: Callable[[str], bool] | None = None, allow_empty: bool = False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform=transform,
                         target_transform=target_transform, is_valid_file=is_valid_file,
                         allow_empty=allow_empty)
        self.imgs = self.samples
