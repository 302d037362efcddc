"""The library's public error types, in one place. Each is a ``RuntimeError`` subclass, as PyTorch raises
``RuntimeError`` for the same faults, so code that catches PyTorch's errors catches these too."""

__all__ = ["CorruptFileError", "GradcheckError", "InputShapeError", "LinAlgError", "ModuleShapeError"]

# What a CUDA request should do instead; the end of every "CPU only" error.
CPU_ONLY_HINT = ("use device='cpu' (the default) or drop the .cuda() call; a script that should run on both picks "
                 "device = 'cuda' if torch.cuda.is_available() else 'cpu' and moves things with .to(device)")


class InputShapeError(RuntimeError):
    """A kernel got an input whose shape it can't handle (too small, wrong rank).

    ``Module.__call__`` turns it into a ``ModuleShapeError`` that names the layer and its path in the model.
    """


class ModuleShapeError(RuntimeError):
    """A layer got an input of the wrong shape; the message names the layer's path in the model."""


class CorruptFileError(RuntimeError):
    """The file is truncated, tampered with or not a tensorlib/safetensors file."""


class GradcheckError(RuntimeError):
    """``gradcheck`` found analytic and numerical gradients that disagree."""


class LinAlgError(RuntimeError):
    """A linear-algebra routine failed on its input (a singular matrix, one that is not positive-definite);
    ``tensorlib.linalg.LinAlgError``, as ``torch.linalg.LinAlgError``."""
