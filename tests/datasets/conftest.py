"""Fixtures for tensorlib.datasets tests: a local HTTP server and dataset tables pointed at it."""

from __future__ import annotations

import importlib.util
import os
import sys

import pytest
from dataset_files import (
    AG_ROWS,
    CifarFiles,
    MnistFiles,
    ag_news_csv,
    make_cifar10,
    make_imdb_tar,
    make_mnist,
    md5_of,
)

from tensorlib.datasets import utils

_HELPER = os.path.join(os.path.dirname(__file__), "..", "helpers", "http_server.py")
_spec = importlib.util.spec_from_file_location("tensorlib_tests_http_server", _HELPER)
http_server = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = http_server  # dataclasses look their module up while the class is created
_spec.loader.exec_module(http_server)
FaultyHTTPServer = http_server.FaultyHTTPServer


@pytest.fixture
def server():
    """A started FaultyHTTPServer on 127.0.0.1 (stopped after the test)."""
    srv = FaultyHTTPServer(chunk_size=1024).start()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def fast_downloads(monkeypatch):
    """Tiny backoff and timeouts so fault tests run fast; no user mirror leaks in from the environment."""
    monkeypatch.setattr(utils.download_options, "retries", 2)
    monkeypatch.setattr(utils.download_options, "backoff", 0.001)
    monkeypatch.setattr(utils.download_options, "connect_timeout", 2.0)
    monkeypatch.setattr(utils.download_options, "read_timeout", 2.0)
    monkeypatch.setattr(utils.download_options, "progress", False)
    monkeypatch.delenv(utils.MIRROR_ENV, raising=False)


@pytest.fixture
def mnist_files() -> MnistFiles:
    return make_mnist()


@pytest.fixture
def mnist_server(server, mnist_files, monkeypatch):
    """MNIST files served at <server>/mnist/, MNIST's tables pointed at them."""
    from tensorlib.datasets import MNIST

    for name, data in mnist_files.gz.items():
        server.add_file(f"mnist/{name}", data)
    monkeypatch.setattr(MNIST, "resources", mnist_files.resources)
    monkeypatch.setattr(MNIST, "mirrors", [server.url("mnist/")])
    return server


@pytest.fixture
def cifar_files() -> CifarFiles:
    return make_cifar10()


@pytest.fixture
def cifar_server(server, cifar_files, monkeypatch):
    """CIFAR10 archive at <server>/cifar/, CIFAR10's md5 tables pointed at the generated files."""
    from tensorlib.datasets import CIFAR10

    server.add_file("cifar/cifar-10-python.tar.gz", cifar_files.tar_gz)
    monkeypatch.setattr(CIFAR10, "tgz_md5", md5_of(cifar_files.tar_gz))
    monkeypatch.setattr(CIFAR10, "url", server.url("cifar/cifar-10-python.tar.gz"))
    monkeypatch.setattr(CIFAR10, "mirrors", [])
    md5s = {name.split("/")[-1]: md5_of(data) for name, data in cifar_files.members.items()}
    train_list = [[f"data_batch_{i}", md5s[f"data_batch_{i}"]] for i in range(1, 6)]
    monkeypatch.setattr(CIFAR10, "train_list", train_list)
    monkeypatch.setattr(CIFAR10, "test_list", [["test_batch", md5s["test_batch"]]])
    monkeypatch.setattr(CIFAR10, "meta", {"filename": "batches.meta", "key": "label_names",
                                          "md5": md5s["batches.meta"]})
    return server


@pytest.fixture
def ag_news_server(server, monkeypatch):
    from tensorlib.datasets import AG_NEWS

    resources = {}
    for split, rows in AG_ROWS.items():
        data = ag_news_csv(rows)
        server.add_file(f"ag/{split}.csv", data)
        resources[split] = (f"{split}.csv", md5_of(data))
    monkeypatch.setattr(AG_NEWS, "resources", resources)
    monkeypatch.setattr(AG_NEWS, "mirrors", [server.url("ag/")])
    return server


@pytest.fixture
def imdb_server(server, monkeypatch):
    from tensorlib.datasets import IMDB

    data = make_imdb_tar()
    server.add_file("imdb/aclImdb_v1.tar.gz", data)
    monkeypatch.setattr(IMDB, "md5", md5_of(data))
    monkeypatch.setattr(IMDB, "mirrors", [server.url("imdb/")])
    return server
