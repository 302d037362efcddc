"""tensorlib.vision.models: shapes, torchvision parameter counts and state_dict names, init, errors."""

import math

import pytest

import tensorlib as tl
from tensorlib import nn
from tensorlib.nn.modules.module import ModuleShapeError
from tensorlib.vision import models

# torchvision's published ``num_params`` (weights meta) for the default configurations
TORCHVISION_PARAMS = {
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032, "mobilenet_v2": 3_504_872,
    "vgg11": 132_863_336, "vgg11_bn": 132_868_840, "vgg13": 133_047_848, "vgg13_bn": 133_053_736,
    "vgg16": 138_357_544, "vgg16_bn": 138_365_992,
}
# He et al. 2016 CIFAR ResNets with option-A shortcuts and 10 classes (paper: 0.27M, 0.46M, 0.85M)
CIFAR_PARAMS = {"resnet20": 269_722, "resnet32": 464_154, "resnet56": 853_018}
# torchvision's VGG classifier for 224 input: 512*7*7 -> 4096 -> 4096 -> 1000
VGG_FULL_HEAD_PARAMS = (25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.fixture(autouse=True)
def _seed():
    tl.manual_seed(0)


# ---------------------------------------------------------------------------------------------- counts
@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50", "mobilenet_v2"])
def test_parameter_count_matches_torchvision(name):
    assert n_params(models.get_model(name)) == TORCHVISION_PARAMS[name]


@pytest.mark.parametrize("name", sorted(CIFAR_PARAMS))
def test_cifar_resnet_parameter_count(name):
    assert n_params(models.get_model(name)) == CIFAR_PARAMS[name]


def test_small_model_parameter_counts():
    assert n_params(models.LeNet5()) == 156 + 2416 + 48120 + 10164 + 850
    assert n_params(models.SimpleCNN()) == 94_762


@pytest.mark.parametrize("name", ["vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn"])
def test_vgg_features_plus_torchvision_head_match_published_count(name):
    # the compact head keeps ``features`` identical; building the 123M-parameter head is covered (once) below
    model = models.get_model(name, input_size=32)
    assert n_params(model.features) + VGG_FULL_HEAD_PARAMS == TORCHVISION_PARAMS[name]


@pytest.mark.slow
def test_vgg11_default_layout_is_torchvision():
    model = models.vgg11(init_weights=False)
    assert n_params(model) == TORCHVISION_PARAMS["vgg11"]
    sd = model.state_dict()
    assert tuple(sd["classifier.0.weight"].shape) == (4096, 25088)
    assert tuple(sd["classifier.6.weight"].shape) == (1000, 4096)
    assert model.avgpool.output_size in ((7, 7), 7)
    with tl.no_grad():
        assert model.eval()(tl.randn(1, 3, 32, 32)).shape == (1, 1000)  # 1x1 features pooled up to 7x7


# ------------------------------------------------------------------------------------- output shapes
SHAPE_CASES = [
    ("lenet5", {}, (2, 1, 28, 28)),
    ("simple_cnn", {}, (2, 3, 32, 32)),
    ("resnet20", {}, (2, 3, 32, 32)),
    ("resnet32", {}, (1, 3, 16, 16)),
    ("resnet56", {}, (1, 3, 16, 16)),
    ("resnet18", {}, (1, 3, 64, 64)),
    ("resnet34", {}, (1, 3, 32, 32)),
    ("resnet50", {}, (1, 3, 32, 32)),
    ("mobilenet_v2", {}, (1, 3, 32, 32)),
    ("vgg11", {"input_size": 32}, (1, 3, 32, 32)),
    ("vgg13_bn", {"input_size": 32}, (1, 3, 32, 32)),
    ("vgg16", {"input_size": 64}, (1, 3, 64, 64)),
    ("vgg16_bn", {"input_size": 32}, (1, 3, 32, 32)),
]


@pytest.mark.parametrize("name, kwargs, shape", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_output_shape(name, kwargs, shape):
    model = models.get_model(name, num_classes=7, **kwargs).eval()
    with tl.no_grad():
        out = model(tl.randn(*shape))
    assert out.shape == (shape[0], 7)
    assert out.dtype == tl.float32
    assert bool(tl.isfinite(out).all())


@pytest.mark.parametrize("name", ["lenet5", "simple_cnn", "resnet20", "resnet18", "mobilenet_v2", "vgg11_bn"])
def test_in_channels(name):
    kwargs = {"input_size": 32} if name.startswith("vgg") else {}
    model = models.get_model(name, in_channels=1, num_classes=3, **kwargs).eval()
    size = 28 if name == "lenet5" else 32
    with tl.no_grad():
        assert model(tl.randn(1, 1, size, size)).shape == (1, 3)


# ------------------------------------------------------------------------------- forward / backward
def _first_conv(model: nn.Module) -> nn.Conv2d:
    return next(m for m in model.modules() if isinstance(m, nn.Conv2d))


BACKWARD_CASES = [
    # (name, kwargs, input shape, train mode); big models run in eval mode at batch 1 to stay fast
    ("lenet5", {}, (2, 1, 28, 28), True),
    ("simple_cnn", {}, (2, 3, 16, 16), True),
    ("resnet20", {}, (2, 3, 16, 16), True),
    ("resnet32", {"shortcut": "B"}, (2, 3, 8, 8), True),
    ("resnet56", {}, (1, 3, 8, 8), False),
    ("resnet18", {}, (2, 3, 32, 32), True),
    ("resnet34", {}, (1, 3, 16, 16), False),
    ("resnet50", {}, (1, 3, 16, 16), False),
    ("mobilenet_v2", {}, (2, 3, 32, 32), True),
    ("vgg11", {"input_size": 32}, (2, 3, 32, 32), True),
    ("vgg13", {"input_size": 32}, (1, 3, 32, 32), False),
    ("vgg16_bn", {"input_size": 32}, (1, 3, 32, 32), False),
]


@pytest.mark.parametrize("name, kwargs, shape, train", BACKWARD_CASES, ids=[c[0] for c in BACKWARD_CASES])
def test_backward_reaches_first_conv(name, kwargs, shape, train):
    model = models.get_model(name, num_classes=5, **kwargs).train(train)
    out = model(tl.randn(*shape))
    loss = nn.functional.cross_entropy(out, tl.tensor([1] * shape[0]))
    loss.backward()
    grad = _first_conv(model).weight.grad
    assert grad is not None and grad.shape == _first_conv(model).weight.shape
    assert float(grad.abs().sum()) > 0
    assert all(p.grad is not None for p in model.parameters())


def test_train_mode_updates_batchnorm_running_stats():
    model = models.resnet20().train()
    before = model.bn1.running_mean.clone()
    model(tl.randn(4, 3, 8, 8) + 3.0)
    assert not bool(tl.equal(before, model.bn1.running_mean))
    assert int(model.bn1.num_batches_tracked) == 1


# -------------------------------------------------------------------------------------- state_dict
def test_resnet18_state_dict_names_match_torchvision():
    sd = models.resnet18().state_dict()
    assert len(sd) == 122
    expected = {
        "conv1.weight": (64, 3, 7, 7), "bn1.weight": (64,), "bn1.running_mean": (64,),
        "bn1.num_batches_tracked": (), "layer1.0.conv1.weight": (64, 64, 3, 3), "layer1.1.bn2.bias": (64,),
        "layer2.0.conv1.weight": (128, 64, 3, 3), "layer2.0.downsample.0.weight": (128, 64, 1, 1),
        "layer2.0.downsample.1.running_var": (128,), "layer3.1.conv2.weight": (256, 256, 3, 3),
        "layer4.0.downsample.0.weight": (512, 256, 1, 1), "layer4.1.bn2.weight": (512,),
        "fc.weight": (1000, 512), "fc.bias": (1000,),
    }
    for key, shape in expected.items():
        assert tuple(sd[key].shape) == shape, key
    assert "layer1.0.downsample.0.weight" not in sd
    assert list(sd)[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
                            "bn1.num_batches_tracked"]


def test_resnet50_bottleneck_names():
    sd = models.resnet50().state_dict()
    assert tuple(sd["layer1.0.conv3.weight"].shape) == (256, 64, 1, 1)
    assert tuple(sd["layer1.0.downsample.0.weight"].shape) == (256, 64, 1, 1)
    assert tuple(sd["layer2.0.conv2.weight"].shape) == (128, 128, 3, 3)  # stride sits on the 3x3 (V1.5)
    assert models.resnet50().layer2[0].conv2.stride == (2, 2)
    assert tuple(sd["fc.weight"].shape) == (1000, 2048)


def test_mobilenet_v2_state_dict_names_match_torchvision():
    sd = models.mobilenet_v2().state_dict()
    assert len(sd) == 314
    expected = {
        "features.0.0.weight": (32, 3, 3, 3), "features.0.1.running_var": (32,),
        "features.1.conv.0.0.weight": (32, 1, 3, 3), "features.1.conv.0.1.weight": (32,),
        "features.1.conv.1.weight": (16, 32, 1, 1), "features.1.conv.2.num_batches_tracked": (),
        "features.2.conv.0.0.weight": (96, 16, 1, 1), "features.2.conv.1.0.weight": (96, 1, 3, 3),
        "features.2.conv.2.weight": (24, 96, 1, 1), "features.2.conv.3.bias": (24,),
        "features.17.conv.2.weight": (320, 960, 1, 1), "features.18.0.weight": (1280, 320, 1, 1),
        "features.18.1.bias": (1280,), "classifier.1.weight": (1000, 1280), "classifier.1.bias": (1000,),
    }
    for key, shape in expected.items():
        assert tuple(sd[key].shape) == shape, key
    assert "features.0.0.bias" not in sd


def test_vgg_feature_names_match_torchvision():
    sd = models.vgg16(input_size=32).state_dict()
    assert tuple(sd["features.0.weight"].shape) == (64, 3, 3, 3)
    assert tuple(sd["features.28.weight"].shape) == (512, 512, 3, 3)
    sd_bn = models.vgg16_bn(input_size=32).state_dict()
    assert tuple(sd_bn["features.40.weight"].shape) == (512, 512, 3, 3)
    assert tuple(sd_bn["features.41.running_var"].shape) == (512,)
    assert {k.rsplit(".", 1)[0] for k in sd_bn if k.startswith("classifier")} == \
        {"classifier.0", "classifier.3", "classifier.6"}


def test_state_dict_round_trip_through_save_load(tmp_path):
    model = models.resnet20().eval()
    path = tmp_path / "resnet20.safetensors"
    tl.save(model.state_dict(), path)
    fresh = models.resnet20().eval()
    fresh.load_state_dict(tl.load(path))
    x = tl.randn(2, 3, 8, 8)
    with tl.no_grad():
        assert bool(tl.allclose(model(x), fresh(x)))


# -------------------------------------------------------------------------------------- init, options
def test_resnet_init_is_torchvisions():
    model = models.resnet18()
    w = model.layer4[1].conv2.weight  # fan_out = 512 * 9 -> std sqrt(2 / 4608)
    assert abs(float(w.std()) - math.sqrt(2 / (512 * 9))) < 0.05 * math.sqrt(2 / (512 * 9))
    assert bool((model.layer3[0].bn1.weight == 1).all()) and bool((model.layer3[0].bn1.bias == 0).all())
    # zero_init_residual zeroes the last BN of every block
    assert float(model.layer1[0].bn2.weight.abs().sum()) > 0
    zeroed = models.resnet18(zero_init_residual=True)
    assert all(float(b.bn2.weight.abs().sum()) == 0 for layer in (zeroed.layer1, zeroed.layer4) for b in layer)
    bottleneck = models.ResNet(models.Bottleneck, [1, 1, 1, 1], zero_init_residual=True)
    assert float(bottleneck.layer2[0].bn3.weight.abs().sum()) == 0
    assert float(bottleneck.layer2[0].bn2.weight.abs().sum()) > 0


def test_vgg_and_mobilenet_linear_init():
    vgg = models.vgg11(input_size=32)
    assert abs(float(vgg.classifier[0].weight.std()) - 0.01) < 0.001
    assert bool((vgg.classifier[0].bias == 0).all()) and bool((vgg.features[0].bias == 0).all())
    mobile = models.mobilenet_v2()
    assert abs(float(mobile.classifier[1].weight.std()) - 0.01) < 0.001


def test_vgg_compact_head_for_small_inputs():
    model = models.vgg11(input_size=32, num_classes=10, dropout=0.3)
    assert model.avgpool.output_size in ((1, 1), 1)
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(512, 512), (512, 512), (512, 10)]
    assert model.classifier[2].p == 0.3
    with pytest.raises(ValueError, match="input_size >= 32"):
        models.vgg11(input_size=16)


def test_mobilenet_v2_options():
    half = models.mobilenet_v2(width_mult=0.5)
    assert half.features[0][0].out_channels == 16 and half.last_channel == 1280
    wide = models.mobilenet_v2(width_mult=1.4, num_classes=4)
    assert wide.features[0][0].out_channels == 48 and wide.last_channel == 1792
    model = models.mobilenet_v2()
    assert model.features[1].conv[0][0].groups == 32  # depthwise
    assert model.features[3].use_res_connect and not model.features[2].use_res_connect
    with pytest.raises(ValueError, match="inverted_residual_setting"):
        models.MobileNetV2(inverted_residual_setting=[[1, 16, 1]])


def test_cifar_shortcut_options():
    option_a = models.resnet20()
    assert isinstance(option_a.layer2[0].downsample, models.PadShortcut)
    assert n_params(option_a.layer2[0].downsample) == 0
    option_b = models.resnet20(shortcut="B")
    assert tuple(option_b.state_dict()["layer2.0.downsample.0.weight"].shape) == (32, 16, 1, 1)
    shortcut = models.PadShortcut(16, 32, 2)
    x = tl.randn(2, 16, 5, 5)
    y = shortcut(x)
    assert y.shape == (2, 32, 3, 3)
    assert bool(tl.equal(y[:, 8:24], x[:, :, ::2, ::2])) and float(y[:, :8].abs().sum()) == 0
    with pytest.raises(ValueError, match="shortcut"):
        models.resnet20(shortcut="C")


# ------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("name, expected", [
    ("vgg11", "features.0 (Conv2d(3, 64, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))) expected input "
              "with 3 channels, got (2, 1, 32, 32)"),
    ("resnet18", "conv1 (Conv2d(3, 64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3), bias=False)) "
                 "expected input with 3 channels, got (2, 1, 32, 32)"),
    ("mobilenet_v2", "features.0.0 (Conv2d(3, 32, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
                     "bias=False)) expected input with 3 channels, got (2, 1, 32, 32)"),
    ("resnet20", "conv1 (Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)) "
                 "expected input with 3 channels, got (2, 1, 32, 32)"),
])
def test_wrong_channel_count_names_layer_and_shapes(name, expected):
    kwargs = {"input_size": 32} if name.startswith("vgg") else {}
    model = models.get_model(name, **kwargs)
    with pytest.raises(RuntimeError) as info:
        model(tl.randn(2, 1, 32, 32))
    assert isinstance(info.value, ModuleShapeError)
    assert str(info.value) == expected


def test_too_small_or_wrong_size_input_is_reported():
    with pytest.raises(ModuleShapeError, match=r"VGG expected input of at least 32x32 .* got \(1, 3, 16, 16\)"):
        models.vgg11(input_size=32)(tl.randn(1, 3, 16, 16))
    with pytest.raises(ModuleShapeError, match=r"LeNet5 expected 28x28 images, got \(2, 1, 32, 32\)"):
        models.LeNet5()(tl.randn(2, 1, 32, 32))
    with pytest.raises(ModuleShapeError, match=r"SimpleCNN .* at least 4x4 .* got \(1, 3, 3, 3\)"):
        models.SimpleCNN()(tl.randn(1, 3, 3, 3))
    inner = nn.Sequential(models.LeNet5())  # the path is added by enclosing models
    with pytest.raises(ModuleShapeError, match=r"^0 \(LeNet5\) expected 28x28"):
        inner(tl.randn(2, 1, 32, 32))


@pytest.mark.parametrize("kwargs", [{"pretrained": True}, {"weights": "DEFAULT"},
                                    {"weights": "IMAGENET1K_V1"}])
@pytest.mark.parametrize("name", ["resnet20", "lenet5"])  # models torchvision has no weights for
def test_pretrained_weights_are_refused_with_instructions(name, kwargs):
    with pytest.raises(ValueError, match=r"no pretrained weights for .*load_state_dict\(tl.load\(path\)\)"):
        models.get_model(name, **kwargs)


def test_weights_none_and_pretrained_false_are_accepted():
    assert isinstance(models.resnet20(weights=None, pretrained=False, progress=False), models.CifarResNet)


# ----------------------------------------------------------------------------------------- registry
def test_list_and_get_model():
    names = models.list_models()
    assert names == sorted(names)
    assert {"lenet5", "simple_cnn", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "resnet18",
            "resnet34", "resnet50", "resnet20", "resnet32", "resnet56", "mobilenet_v2", "vit_tiny",
            "vit_b_16"} == set(names)
    assert models.list_models(include="vgg1[13]*", exclude="*_bn") == ["vgg11", "vgg13"]
    assert models.list_models(include=["lenet*", "mobile*"]) == ["lenet5", "mobilenet_v2"]
    model = models.get_model("ResNet20", num_classes=3)
    assert isinstance(model, models.CifarResNet) and model.fc.out_features == 3
    assert models.get_model_builder("resnet18") is models.resnet18
    with pytest.raises(ValueError, match="Unknown model 'resnet1000'.*resnet18"):
        models.get_model("resnet1000")


def test_exports():
    for name in models.__all__:
        assert hasattr(models, name), name
    assert models.ConvBNReLU is models.Conv2dNormActivation
