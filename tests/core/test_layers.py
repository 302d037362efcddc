"""The core's layer rule, checked on the source: each module imports only its own layer and those below.

Layers, bottom up (README "Architecture"): 0 array backend, dtypes, errors, grad mode, graph primitives ->
1 ``Tensor`` -> 2 ``autograd`` -> 3 ``kernels`` -> 4 Tensor-level functions -> 5 ``nn.functional`` -> 6 the
rest (``nn`` modules, ``optim``, ``data``, vision, text, datasets ...).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = {"tensorlib": REPO / "tensorlib", "tensorlib.vision": REPO / "vision",
                "tensorlib.text": REPO / "text", "tensorlib.datasets": REPO / "datasets"}

LAYER_PREFIXES = [  # (module name or package prefix, layer); the longest match wins
    ("tensorlib._backend", 0), ("tensorlib.dtypes", 0), ("tensorlib.errors", 0), ("tensorlib._printing", 0),
    ("tensorlib._atomic", 0), ("tensorlib.return_types", 0), ("tensorlib._grad_mode", 0), ("tensorlib._graph", 0),
    ("tensorlib.tensor", 1),
    ("tensorlib.autograd", 2),
    ("tensorlib.kernels", 3),
    ("tensorlib.functional", 4), ("tensorlib.creation", 4), ("tensorlib.random", 4), ("tensorlib._out", 4),
    ("tensorlib._random_fills", 4), ("tensorlib.linalg", 4), ("tensorlib.serialization", 4),
    ("tensorlib._compat", 4), ("tensorlib._checkpoint_format", 4), ("tensorlib._strict_json", 0),
    ("tensorlib._threads", 0), ("tensorlib._parallel", 0), ("tensorlib._blas", 0),
    ("tensorlib._torch_format", 4), ("tensorlib._parameter", 4),
    ("tensorlib.nn.functional", 5),
    # the jit runtime imports only NumPy and the standard library (it is vendored as one file), so kernels may
    # run its convolution plans; they import it on first use, as its package's __init__ loads the whole library
    ("tensorlib.jit.runtime", 0),
    ("tensorlib", 6),
]
# The one import that runs at the bottom of a module, after the classes that the imported layer builds on.
BOTTOM_IMPORTS = {("tensorlib.tensor", "tensorlib.functional")}


def _modules():
    for package, folder in PACKAGE_DIRS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join((package, *parts)), path


def _layer(module: str) -> int:
    best = max((p for p, _ in LAYER_PREFIXES if module == p or module.startswith(p + ".")), key=len)
    return dict(LAYER_PREFIXES)[best]


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> list:
    """Absolute names a ``from ... import`` statement loads (the module, or its submodules)."""
    if node.level == 0:
        base = node.module or ""
    else:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - node.level + 1]
        base = ".".join(package + ([node.module] if node.module else []))
    if node.module is None:  # from . import x, y: each may be a submodule
        return [f"{base}.{alias.name}" for alias in node.names]
    return [base]


def _top_level_imports(module: str, path: Path):
    """(imported module, is_bottom_import) for every import statement at module level."""
    tree = ast.parse(path.read_text())
    seen_definition = False
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            seen_definition = True
        if isinstance(node, ast.ImportFrom):
            for name in _resolve(module, path, node):
                yield name, seen_definition
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, seen_definition


def test_no_module_imports_a_higher_layer():
    violations = []
    for module, path in _modules():
        if module == "tensorlib":  # the facade re-exports every layer
            continue
        for name, _ in _top_level_imports(module, path):
            if not name.startswith("tensorlib") or (module, name) in BOTTOM_IMPORTS:
                continue
            if _layer(name) > _layer(module):
                violations.append(f"{module} (layer {_layer(module)}) imports {name} (layer {_layer(name)})")
    assert violations == []


def test_exactly_one_bottom_of_module_import():
    bottoms = {(module, name) for module, path in _modules() if module != "tensorlib"
               for name, bottom in _top_level_imports(module, path) if bottom and name.startswith("tensorlib")}
    assert bottoms == BOTTOM_IMPORTS


def test_no_module_assigns_another_modules_globals_at_import_time():
    """No ``other_module.name = ...`` (or ``ImportedClass.attr = ...``) at module level: no patching."""
    offenders = []
    for module, path in _modules():
        body = ast.parse(path.read_text()).body
        imported = {alias.asname or alias.name.split(".")[0] for node in body
                    if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
        for node in body:
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
            for target in targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id in imported:
                    offenders.append(f"{module}:{node.lineno} assigns {target.value.id}.{target.attr}")
    assert offenders == []


def test_kernels_never_see_tensor():
    for module, path in _modules():
        if module.startswith("tensorlib.kernels"):
            names = {name for name, _ in _top_level_imports(module, path)}
            assert "tensorlib.tensor" not in names, module
            assert not any(n.startswith(("tensorlib.functional", "tensorlib.random")) for n in names), module


# ------------------------------------------------------------------------------------------- NumPy guard
# Where NumPy may be imported directly: the array seam, and the host boundaries where bytes, Python lists,
# images and files become arrays. Everything else reaches arrays through tensorlib._backend.xp, or (nn, vision
# models) not at all.
HOST_BOUNDARIES = {
    "tensorlib._backend",
    "tensorlib.data._seeding", "tensorlib.data.collate", "tensorlib.data.padding", "tensorlib.data.sampler",
    "tensorlib.text.functional", "tensorlib.text.sampler", "tensorlib.text._vectors_file",
    "tensorlib.vision.utils", "tensorlib.vision.transforms", "tensorlib.vision.io",
    "tensorlib.datasets",
}
GUARDED = ("tensorlib.nn", "tensorlib.optim", "tensorlib.autograd", "tensorlib.functional", "tensorlib.kernels",
           "tensorlib.text", "tensorlib.vision", "tensorlib.tensor", "tensorlib.creation", "tensorlib.random")
TENSOR_ONLY = ("tensorlib.nn", "tensorlib.vision.models")  # not even the xp seam


def _numpy_imports(tree: ast.AST) -> list:
    """Line numbers of ``import numpy``, ``from numpy ...``, ``__import__('numpy')`` and
    ``importlib.import_module('numpy')``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "numpy" for a in node.names):
            found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "numpy":
            found.append(node.lineno)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and str(node.args[0].value).split(".")[0] == "numpy":
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in ("__import__", "import_module"):
                found.append(node.lineno)
    return found


def _in(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_numpy_is_imported_only_by_the_backend_and_host_boundaries():
    offenders = [f"{module}:{line}" for module, path in _modules()
                 if _in(module, GUARDED) and not _in(module, HOST_BOUNDARIES)
                 for line in _numpy_imports(ast.parse(path.read_text()))]
    assert offenders == []


def test_layers_above_the_kernels_speak_tensor_only():
    offenders = []
    for module, path in _modules():
        if _in(module, TENSOR_ONLY):
            for name, _ in _top_level_imports(module, path):
                if name in ("tensorlib._backend", "numpy"):
                    offenders.append(module)
    assert offenders == []


@pytest.mark.parametrize("source", [
    "import numpy", "import numpy as np", "from numpy import asarray", "x = __import__('numpy')",
    "import importlib\nnp = importlib.import_module('numpy')", "def f():\n    import numpy.linalg",
])
def test_the_numpy_guard_catches_every_spelling(source):
    assert _numpy_imports(ast.parse(source))
