"""tensorlib.vision.models against compact PyTorch re-statements of torchvision's ResNet, VGG and MobileNetV2
(torchvision itself is not installed): identical state_dict keys/shapes, and the same logits after copying
our weights into the torch model."""

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.vision import models

torch = pytest.importorskip("torch")
tnn = torch.nn

pytestmark = pytest.mark.torch


# --------------------------------------------------------------------------- torch reference models
def _conv_bn(cin, cout, k, stride=1, groups=1, act=tnn.ReLU6):
    layers = [tnn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), tnn.BatchNorm2d(cout)]
    return tnn.Sequential(*layers, act(inplace=True))


class TorchBasicBlock(tnn.Module):
    expansion = 1

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, cin, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.conv2 = tnn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.conv3 = tnn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchResNet(tnn.Module):
    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0], 1)
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = tnn.Sequential(tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                                        tnn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class TorchInvertedResidual(tnn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = int(round(inp * t))
        self.use_res_connect = stride == 1 and inp == oup
        layers = [_conv_bn(inp, hidden, 1)] if t != 1 else []
        layers += [_conv_bn(hidden, hidden, 3, stride, hidden), tnn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
                   tnn.BatchNorm2d(oup)]
        self.conv = tnn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class TorchMobileNetV2(tnn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2],
                   [6, 320, 1, 1]]
        features, cin = [_conv_bn(3, 32, 3, 2)], 32
        for t, c, n, s in setting:
            for i in range(n):
                features.append(TorchInvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        features.append(_conv_bn(cin, 1280, 1))
        self.features = tnn.Sequential(*features)
        self.classifier = tnn.Sequential(tnn.Dropout(0.2), tnn.Linear(1280, num_classes))

    def forward(self, x):
        x = torch.nn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


def torch_vgg_features(cfg, batch_norm):
    layers, cin = [], 3
    for v in cfg:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
        else:
            layers += [tnn.Conv2d(cin, v, 3, padding=1)] + ([tnn.BatchNorm2d(v)] if batch_norm else [])
            layers.append(tnn.ReLU(inplace=True))
            cin = v
    return tnn.Sequential(*layers)


# ------------------------------------------------------------------------------------------- helpers
def copy_into_torch(ours, theirs):
    """Strict-load our state_dict into the torch model (fails on any key or shape difference)."""
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state, strict=True)


def assert_same_logits(ours, theirs, shape, atol=2e-4):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours.eval()
    theirs.eval()
    with tl.no_grad():
        mine = ours(tl.tensor(x)).numpy()
    with torch.no_grad():
        ref = theirs(torch.from_numpy(x)).numpy()
    scale = max(1.0, float(np.abs(ref).max()))
    np.testing.assert_allclose(mine, ref, rtol=1e-4, atol=atol * scale)


def _randomise_bn_stats(model):
    """Non-trivial running stats and affine params so eval-mode BN is really exercised."""
    rng = np.random.default_rng(1)
    for name, tensor in model.state_dict().items():
        if name.endswith(("running_mean", "bias")):
            tensor.copy_(tl.tensor(rng.normal(0, 0.1, tensor.shape).astype(np.float32)))
        elif name.endswith(("running_var", "bn1.weight", "bn2.weight", "bn3.weight")):
            tensor.copy_(tl.tensor(rng.uniform(0.5, 1.5, tensor.shape).astype(np.float32)))


# --------------------------------------------------------------------------------------------- tests
@pytest.mark.parametrize("ours, theirs", [
    (lambda: models.resnet18(num_classes=10), lambda: TorchResNet(TorchBasicBlock, [2, 2, 2, 2], 10)),
    (lambda: models.resnet50(num_classes=10), lambda: TorchResNet(TorchBottleneck, [3, 4, 6, 3], 10)),
], ids=["resnet18", "resnet50"])
def test_resnet_matches_torch_reference(ours, theirs):
    tl.manual_seed(0)
    mine, ref = ours(), theirs()
    assert list(mine.state_dict()) == list(ref.state_dict())
    _randomise_bn_stats(mine)
    copy_into_torch(mine, ref)
    assert_same_logits(mine, ref, (2, 3, 32, 32))


def test_mobilenet_v2_matches_torch_reference():
    tl.manual_seed(0)
    mine, ref = models.mobilenet_v2(num_classes=10), TorchMobileNetV2(10)
    assert list(mine.state_dict()) == list(ref.state_dict())
    assert sum(p.numel() for p in TorchMobileNetV2().parameters()) == 3_504_872
    copy_into_torch(mine, ref)
    assert_same_logits(mine, ref, (2, 3, 32, 32))


def test_vgg_features_match_torch_reference():
    tl.manual_seed(0)
    mine = models.vgg11_bn(input_size=32, num_classes=10)
    ref_features = torch_vgg_features(models.vgg.cfgs["A"], batch_norm=True)
    assert list(mine.features.state_dict()) == list(ref_features.state_dict())
    ref = tnn.Sequential()
    ref.features = ref_features
    ref.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
    ref.flatten = tnn.Flatten(1)
    ref.classifier = tnn.Sequential(tnn.Linear(512, 512), tnn.ReLU(), tnn.Dropout(), tnn.Linear(512, 512),
                                    tnn.ReLU(), tnn.Dropout(), tnn.Linear(512, 10))
    copy_into_torch(mine, ref)
    assert_same_logits(mine, ref, (2, 3, 32, 32))


def test_resnet18_train_mode_step_matches_torch():
    tl.manual_seed(0)
    mine, ref = models.resnet18(num_classes=4), TorchResNet(TorchBasicBlock, [2, 2, 2, 2], 4)
    copy_into_torch(mine, ref)
    x = np.random.default_rng(2).standard_normal((2, 3, 64, 64)).astype(np.float32)
    out = mine.train()(tl.tensor(x))
    out.sum().backward()
    ref_out = ref.train()(torch.from_numpy(x))
    ref_out.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), ref_out.detach().numpy(), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(mine.conv1.weight.grad.numpy(), ref.conv1.weight.grad.numpy(), rtol=1e-3,
                               atol=1e-3 * float(ref.conv1.weight.grad.abs().max()))
    np.testing.assert_allclose(mine.layer1[0].bn1.running_mean.numpy(), ref.layer1[0].bn1.running_mean.numpy(),
                               rtol=1e-4, atol=1e-5)
