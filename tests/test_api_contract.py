"""Every public name of ../shared/docs/api-contract.md lives where the contract says (PyTorch's module paths)."""

import importlib

import pytest

CONTRACT = {
    "tensorlib": "tensor as_tensor from_numpy zeros ones full empty zeros_like ones_like full_like rand randn "
                 "randint randperm arange linspace eye float32 float64 float16 int64 int32 uint8 bool manual_seed "
                 "Generator no_grad enable_grad set_grad_enabled is_grad_enabled inference_mode save load device "
                 "cuda backends accelerator max matmul where cat stack summary Tensor Size",
    "tensorlib.autograd": "grad Function gradcheck backward",
    "tensorlib.nn": "Module Parameter Sequential ModuleList ModuleDict Linear Bilinear Identity Flatten Unflatten "
                    "Conv1d Conv2d ConvTranspose2d MaxPool2d AvgPool2d AdaptiveAvgPool2d MaxPool1d AvgPool1d "
                    "BatchNorm1d BatchNorm2d LayerNorm GroupNorm Dropout Dropout2d Embedding EmbeddingBag RNN LSTM GRU "
                    "RNNCell LSTMCell GRUCell ReLU LeakyReLU ELU GELU SiLU Tanh Sigmoid Softmax LogSoftmax "
                    "CrossEntropyLoss NLLLoss MSELoss L1Loss SmoothL1Loss BCELoss BCEWithLogitsLoss KLDivLoss",
    "tensorlib.nn.functional": "linear conv2d max_pool2d avg_pool2d adaptive_avg_pool2d batch_norm layer_norm dropout "
                               "embedding relu gelu softmax log_softmax cross_entropy nll_loss mse_loss "
                               "binary_cross_entropy binary_cross_entropy_with_logits pad one_hot interpolate unfold "
                               "fold normalize",
    "tensorlib.nn.init": "uniform_ normal_ constant_ zeros_ ones_ xavier_uniform_ xavier_normal_ kaiming_uniform_ "
                         "kaiming_normal_ orthogonal_ trunc_normal_ calculate_gain eye_",
    "tensorlib.nn.utils": "clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters",
    "tensorlib.nn.utils.rnn": "pad_sequence pack_padded_sequence pad_packed_sequence PackedSequence pack_sequence",
    "tensorlib.optim": "Optimizer SGD Adam AdamW RMSprop Adagrad Adadelta Adamax NAdam RAdam",
    "tensorlib.optim.lr_scheduler": "StepLR MultiStepLR ExponentialLR CosineAnnealingLR LambdaLR OneCycleLR "
                                    "ReduceLROnPlateau LinearLR SequentialLR CosineAnnealingWarmRestarts "
                                    "MultiplicativeLR ConstantLR CyclicLR PolynomialLR ChainedScheduler",
    "tensorlib.data": "Dataset IterableDataset TensorDataset ConcatDataset ChainDataset Subset random_split Sampler "
                      "SequentialSampler RandomSampler SubsetRandomSampler WeightedRandomSampler BatchSampler "
                      "default_collate default_convert DataLoader get_worker_info PadCollate pad_collate",
    "tensorlib.utils.data": "DataLoader Dataset DistributedSampler",
    "tensorlib.utils.data.distributed": "DistributedSampler",
    "tensorlib.distributed": "init_process_group is_available is_initialized get_rank get_world_size "
                             "destroy_process_group barrier broadcast all_reduce reduce all_gather all_gather_object "
                             "broadcast_object_list ReduceOp",
    "tensorlib.distributed.run": "main",
    "tensorlib.nn.parallel": "DistributedDataParallel",
    "tensorlib.nn.modules": "SyncBatchNorm",
    "tensorlib.vision.transforms": "Compose ToTensor PILToTensor ToPILImage ConvertImageDtype Normalize Resize "
                                   "CenterCrop RandomCrop RandomResizedCrop RandomHorizontalFlip RandomVerticalFlip "
                                   "RandomRotation RandomAffine ColorJitter Grayscale RandomGrayscale Pad Lambda "
                                   "RandomApply RandomChoice RandomOrder RandomErasing GaussianBlur FiveCrop TenCrop",
    "tensorlib.vision.transforms.functional": "to_tensor normalize resize crop center_crop hflip vflip pad rotate",
    "tensorlib.vision.models": "LeNet5 vgg11 vgg13 vgg16 vgg11_bn resnet18 resnet34 resnet50 resnet20 resnet32 "
                               "resnet56 MobileNetV2 mobilenet_v2 SimpleCNN",
    "tensorlib.vision.utils": "make_grid save_image",
    "tensorlib.vision.datasets": "ImageFolder DatasetFolder MNIST CIFAR10",
    "tensorlib.text": "get_tokenizer ngrams_iterator vocab build_vocab_from_iterator Vocab pad_sequence "
                      "pack_padded_sequence pad_packed_sequence BPETokenizer RegexTokenizer",
    "tensorlib.text.transforms": "Sequential Tokenize VocabTransform Truncate AddToken ToTensor PadTransform "
                                "LabelToIndex StrToIntTransform",
    "tensorlib.text.functional": "to_tensor truncate add_token",
    "tensorlib.datasets": "MNIST FashionMNIST KMNIST EMNIST CIFAR10 CIFAR100 SVHN FakeData AG_NEWS IMDB "
                          "TextClassificationDataset ImageFolder DatasetFolder",
    "tensorlib.datasets.utils": "download_url download_and_extract_archive extract_archive check_integrity",
}


@pytest.mark.parametrize("module", sorted(CONTRACT))
def test_contract_names_exist(module):
    imported = importlib.import_module(module)
    missing = [name for name in CONTRACT[module].split() if not hasattr(imported, name)]
    assert missing == []


def test_no_generic_top_level_packages_are_installed(tmp_path):
    """Outside the repo, only ``tensorlib.*`` imports: no top-level ``vision``/``text``/``datasets`` clash."""
    import subprocess
    import sys

    code = ("import importlib.util, tensorlib.vision, tensorlib.text, tensorlib.datasets\n"
            "print([n for n in ('vision', 'text', 'datasets') if importlib.util.find_spec(n) is not None])")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
