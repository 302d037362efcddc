"""Pretrained weights: tensorlib.hub downloads, caching, hash checks and mirrors against a local HTTP server
serving checkpoints in torchvision's file format (PyTorch zip, sha256 prefix in the name)."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import sys
import warnings

import numpy as np
import pytest

import tensorlib as tl
from tensorlib import hub
from tensorlib.datasets import utils
from tensorlib.vision import models
from tensorlib.vision.models import MobileNet_V2_Weights, ResNet18_Weights

_HELPER = os.path.join(os.path.dirname(__file__), "..", "helpers", "http_server.py")
_spec = importlib.util.spec_from_file_location("tensorlib_tests_http_server", _HELPER)
http_server = sys.modules.get(_spec.name) or importlib.util.module_from_spec(_spec)
if _spec.name not in sys.modules:
    sys.modules[_spec.name] = http_server
    _spec.loader.exec_module(http_server)


@pytest.fixture
def server():
    srv = http_server.FaultyHTTPServer(chunk_size=1 << 16).start()
    yield srv
    srv.stop()


@pytest.fixture(autouse=True)
def isolated_hub(tmp_path, monkeypatch):
    """The hub cache under tmp_path, fast retries, no mirror from the environment."""
    monkeypatch.setenv("TENSORLIB_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.delenv(hub.HUB_MIRROR_ENV, raising=False)
    monkeypatch.setattr(utils.download_options, "retries", 2)
    monkeypatch.setattr(utils.download_options, "backoff", 0.001)
    monkeypatch.setattr(utils.download_options, "progress", False)


def _checkpoint(state: dict) -> tuple[bytes, str]:
    """``state`` in PyTorch's zip format and its torchvision-style hash prefix (first 8 hex of the sha256)."""
    buffer = io.BytesIO()
    tl.save(state, buffer, format="torch")
    raw = buffer.getvalue()
    return raw, hashlib.sha256(raw).hexdigest()[:8]


def _serve_weights(server, monkeypatch, weights, state: dict) -> str:
    """Serve ``state`` as ``<model>-<hash>.pth`` and point ``weights`` at it, as torchvision's URLs look."""
    raw, prefix = _checkpoint(state)
    stem = os.path.basename(weights.url).split("-")[0]
    url = server.add_file(f"models/{stem}-{prefix}.pth", raw)
    monkeypatch.setattr(weights.value, "url", url)
    return url


def test_get_dir_follows_tensorlib_home_and_set_dir(tmp_path, monkeypatch):
    assert hub.get_dir() == str(tmp_path / "home" / "hub")
    monkeypatch.delenv("TENSORLIB_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "tensorlib" / "hub")
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")


def test_load_state_dict_from_url_downloads_once_and_caches(server, tmp_path):
    state = {"w": tl.randn(3, 4), "b": tl.arange(3)}
    raw, prefix = _checkpoint(state)
    url = server.add_file(f"ckpt/net-{prefix}.pth", raw)
    loaded = hub.load_state_dict_from_url(url, check_hash=True, progress=False)
    np.testing.assert_array_equal(loaded["w"].numpy(), state["w"].numpy())
    cached = tmp_path / "home" / "hub" / "checkpoints" / f"net-{prefix}.pth"
    assert cached.read_bytes() == raw
    again = hub.load_state_dict_from_url(url, check_hash=True)
    np.testing.assert_array_equal(again["b"].numpy(), [0, 1, 2])
    assert len(server.requests_for(f"ckpt/net-{prefix}.pth")) == 1
    assert sorted(os.listdir(cached.parent)) == [cached.name, cached.name + ".lock"]


def test_model_dir_and_file_name(server, tmp_path):
    raw, _ = _checkpoint({"w": tl.ones(2)})
    url = server.add_file("x/weights.pt", raw)
    hub.load_state_dict_from_url(url, model_dir=str(tmp_path / "models"), file_name="renamed.pt")
    assert (tmp_path / "models" / "renamed.pt").exists()


def test_hash_mismatch_is_deleted_and_reported(server, tmp_path):
    raw, _ = _checkpoint({"w": tl.ones(2)})
    url = server.add_file("ckpt/net-deadbeef.pth", raw)
    with pytest.raises(RuntimeError, match=r'invalid hash value \(expected "deadbeef", got "[0-9a-f]{64}"\)'):
        hub.load_state_dict_from_url(url, check_hash=True)
    folder = tmp_path / "home" / "hub" / "checkpoints"
    assert [name for name in os.listdir(folder) if not name.endswith(".lock")] == []
    # without check_hash the same file is accepted (torch.hub's default)
    assert hub.load_state_dict_from_url(url)["w"].shape == (2,)


def test_interrupted_download_resumes_with_range(server):
    raw, prefix = _checkpoint({"w": tl.randn(64, 64)})
    path = f"ckpt/big-{prefix}.pth"
    url = server.add_file(path, raw)
    server.set_fault(path, "reset", after=len(raw) // 2, times=1)
    loaded = hub.load_state_dict_from_url(url, check_hash=True)
    assert loaded["w"].shape == (64, 64)
    assert any("Range" in headers for headers in server.requests_for(path))


def test_offline_mirror_folder_is_used_before_the_url(tmp_path, monkeypatch):
    raw, prefix = _checkpoint({"w": tl.full((2,), 7.0)})
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / f"net-{prefix}.pth").write_bytes(raw)
    monkeypatch.setenv(hub.HUB_MIRROR_ENV, str(mirror))
    loaded = hub.load_state_dict_from_url(f"http://127.0.0.1:9/models/net-{prefix}.pth", check_hash=True)
    assert loaded["w"].tolist() == [7.0, 7.0]


def test_unreachable_url_lists_sources_and_the_offline_variable(tmp_path):
    with pytest.raises(RuntimeError, match=r"(?s)127\.0\.0\.1:9.*TENSORLIB_HUB_MIRROR") as info:
        hub.load_state_dict_from_url("http://127.0.0.1:9/models/none-12345678.pth")
    assert "could not download" in str(info.value)


def test_builder_loads_weights_served_in_torchvision_format(server, monkeypatch):
    reference = models.mobilenet_v2()
    _serve_weights(server, monkeypatch, MobileNet_V2_Weights.IMAGENET1K_V2, reference.state_dict())
    model = models.mobilenet_v2(weights=MobileNet_V2_Weights.DEFAULT, progress=False)
    for (name, ours), theirs in zip(model.state_dict().items(), reference.state_dict().values()):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=name)
    by_name = models.get_model("mobilenet_v2", weights="MobileNet_V2_Weights.IMAGENET1K_V2")
    np.testing.assert_array_equal(by_name.classifier[1].weight.numpy(), reference.classifier[1].weight.numpy())


def test_legacy_pretrained_true_warns_and_loads_v1(server, monkeypatch):
    reference = models.mobilenet_v2()
    _serve_weights(server, monkeypatch, MobileNet_V2_Weights.IMAGENET1K_V1, reference.state_dict())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = models.mobilenet_v2(pretrained=True)
    messages = [str(w.message) for w in caught]
    assert any("'pretrained' is deprecated since 0.13" in m for m in messages)
    assert any("weights=MobileNet_V2_Weights.IMAGENET1K_V1" in m for m in messages)
    np.testing.assert_array_equal(model.features[0][0].weight.numpy(), reference.features[0][0].weight.numpy())


def test_weights_metadata_and_transforms_are_torchvisions():
    weights = ResNet18_Weights.IMAGENET1K_V1
    assert ResNet18_Weights.DEFAULT is weights
    assert weights.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    meta = weights.meta
    assert len(meta["categories"]) == 1000 and meta["categories"][:2] == ["tench", "goldfish"]
    assert meta["categories"][207] == "golden retriever" and meta["categories"][-1] == "toilet tissue"
    assert meta["num_params"] == 11689512 == sum(p.numel() for p in models.resnet18().parameters())
    assert meta["min_size"] == (1, 1) and meta["_metrics"]["ImageNet-1K"]["acc@1"] == 69.758
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    preprocess = models.ResNet50_Weights.DEFAULT.transforms()
    assert preprocess.resize_size == [232] and preprocess.crop_size == [224]
    image = tl.randint(0, 256, (3, 300, 400), dtype=tl.uint8)
    out = preprocess(image)
    assert out.shape == (3, 224, 224) and out.dtype == tl.float32
    # resize shorter edge to 232 then crop 224, scale to [0, 1], normalize: the mean pixel matches a manual pipeline
    from tensorlib.vision.transforms import functional as F

    manual = F.normalize(F.convert_image_dtype(F.center_crop(F.resize(image, [232], antialias=True), [224]),
                                               tl.float32), [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    np.testing.assert_allclose(out.numpy(), manual.numpy(), rtol=1e-6)


def test_every_model_with_torchvision_weights_has_an_enum():
    for name in ("resnet18", "resnet34", "resnet50", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
                 "vgg16_bn", "mobilenet_v2"):
        enum = models.get_model_weights(name)
        assert enum.DEFAULT.url.startswith("https://download.pytorch.org/models/" + name.replace("_bn", ""))
        assert models.get_model_weights(getattr(models, name)) is enum
        assert models.get_weight(f"{enum.__name__}.DEFAULT") is enum.DEFAULT
    with pytest.raises(ValueError, match="no pretrained weights"):
        models.get_model_weights("resnet20")


def test_bad_weights_arguments():
    with pytest.raises(KeyError, match="available: IMAGENET1K_V1, DEFAULT"):
        models.resnet18(weights="IMAGENET1K_V9")
    with pytest.raises(TypeError, match="expected ResNet18_Weights but received MobileNet_V2_Weights"):
        models.resnet18(weights=MobileNet_V2_Weights.DEFAULT)
    with pytest.raises(ValueError, match="'num_classes' expected value 1000 but got 10"):
        models.resnet18(weights="DEFAULT", num_classes=10)
    with pytest.raises(ValueError, match="Invalid weight name"):
        models.get_weight("ResNet18_Weights")


def test_torchvision_checkpoint_written_by_torch_loads(server, monkeypatch, tmp_path):
    torch = pytest.importorskip("torch")
    reference = models.resnet18()
    theirs = {k: torch.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()}
    buffer = io.BytesIO()
    torch.save(theirs, buffer)
    raw = buffer.getvalue()
    url = server.add_file(f"models/resnet18-{hashlib.sha256(raw).hexdigest()[:8]}.pth", raw)
    monkeypatch.setattr(ResNet18_Weights.IMAGENET1K_V1.value, "url", url)
    model = models.resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
    np.testing.assert_array_equal(model.fc.weight.numpy(), reference.fc.weight.numpy())
    np.testing.assert_array_equal(model.layer4[1].bn2.running_var.numpy(), reference.layer4[1].bn2.running_var.numpy())


def test_legacy_format_checkpoint_loads(server, monkeypatch):
    """torchvision's older files (e.g. vgg16-397923af.pth) are in PyTorch's legacy, pre-zip format."""
    torch = pytest.importorskip("torch")
    reference = models.mobilenet_v2()
    buffer = io.BytesIO()
    torch.save({k: torch.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()}, buffer,
               _use_new_zipfile_serialization=False)
    raw = buffer.getvalue()
    url = server.add_file(f"models/mobilenet_v2-{hashlib.sha256(raw).hexdigest()[:8]}.pth", raw)
    monkeypatch.setattr(MobileNet_V2_Weights.IMAGENET1K_V1.value, "url", url)
    model = models.mobilenet_v2(weights="IMAGENET1K_V1")
    np.testing.assert_array_equal(model.classifier[1].bias.numpy(), reference.classifier[1].bias.numpy())


def test_vit_b_16_weights_describe_the_model_the_builder_makes():
    from tensorlib.vision import models

    weights = models.get_weight("ViT_B_16_Weights.DEFAULT")
    assert weights is models.ViT_B_16_Weights.IMAGENET1K_V1
    assert models.get_model_weights("vit_b_16") is models.ViT_B_16_Weights
    assert weights.url.endswith("/vit_b_16-c867db91.pth") and weights.meta["min_size"] == (224, 224)
    model = models.vit_b_16()
    assert sum(p.numel() for p in model.parameters()) == weights.meta["num_params"]
    assert len(weights.meta["categories"]) == 1000
