"""The kernel layer: every differentiable op as an ``autograd.Function`` on raw arrays, forward beside backward.

One topic per module. Kernels import only ``_backend`` (the array module), ``dtypes``, ``errors``,
``autograd.function`` and each other; they never see a ``Tensor``. Non-tensor arguments are passed to
``apply`` as keywords and kept as plain attributes, so a recorded forward pass can be replayed.
"""
