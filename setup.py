"""Maps the repo's top-level folders into the single ``tensorlib`` namespace.

``vision/`` installs as ``tensorlib.vision``, ``text/`` as ``tensorlib.text`` and ``datasets/`` as
``tensorlib.datasets``; sub-packages are discovered so new folders need no edit here.
"""

from setuptools import find_packages, setup

FOLDERS = {"tensorlib": "tensorlib", "tensorlib.vision": "vision", "tensorlib.text": "text",
           "tensorlib.datasets": "datasets"}


def _packages() -> list:
    packages = []
    for name, folder in FOLDERS.items():
        packages.append(name)
        packages += [f"{name}.{sub}" for sub in find_packages(folder)]
    return packages


setup(packages=_packages(), package_dir=FOLDERS)
