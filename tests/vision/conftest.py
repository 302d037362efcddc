"""Small deterministic images shared by the vision tests."""

import numpy as np
import pytest


@pytest.fixture
def hwc_uint8() -> np.ndarray:
    """A (6, 8, 3) uint8 image whose every pixel is distinct per channel."""
    values = np.arange(6 * 8 * 3, dtype=np.int64).reshape(6, 8, 3)
    return ((values * 37) % 256).astype(np.uint8)
