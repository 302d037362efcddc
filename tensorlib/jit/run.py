"""``python -m tensorlib.jit.run model.tlj input.npy [--output out.npy]``: run a traced model with the runtime."""

import sys

from .runtime import main

if __name__ == "__main__":
    sys.exit(main())
