"""Train a text classifier on AG_NEWS or on your own CSV; predict from a saved checkpoint.

    python examples/train_text_classifier.py --download                      # AG_NEWS, EmbeddingBag model
    python examples/train_text_classifier.py --model lstm --epochs 2 --download
    python examples/train_text_classifier.py --model transformer --num-layers 2 --download
    python examples/train_text_classifier.py --csv reviews.csv --tokenizer bpe   # header row: label,text
    python examples/train_text_classifier.py --predict "Stocks rallied on Wall Street" \\
        --checkpoint runs/text/bag.pt

Models: ``bag`` is the torchtext tutorial's TextClassificationModel (EmbeddingBag(mean) + Linear, SGD lr 5
with StepLR(1, gamma=0.1) applied when validation accuracy stops improving); ``lstm``/``gru`` embed, run a
packed bidirectional RNN and classify the concatenated final states (Adam); ``transformer`` adds sinusoidal
(or learned, ``--positions learned``) positions to the token embeddings, runs a ``TransformerEncoder`` with the
padding masked out, mean-pools the real tokens and classifies (Adam). Prints test accuracy each
epoch and a confusion matrix (also saved as PNG), then writes a pickle-free checkpoint holding the
weights, hyper-parameters, vocabulary and tokenizer, so ``--predict`` needs no training data.
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from common import Timer, fail, progress, save_checkpoint  # noqa: E402

import tensorlib as tl  # noqa: E402
import tensorlib.metrics as tm  # noqa: E402
import tensorlib.nn as nn  # noqa: E402
import tensorlib.optim as optim  # noqa: E402
from tensorlib.data import DataLoader, Dataset, random_split  # noqa: E402
from tensorlib.data.padding import PadCollate  # noqa: E402
from tensorlib.datasets import AG_NEWS, TextClassificationDataset  # noqa: E402
from tensorlib.text import BPETokenizer, Vocab, build_vocab_from_iterator, get_tokenizer  # noqa: E402

CHECKPOINT_KIND = "tensorlib-text-classifier"
SPECIALS = ["<unk>", "<pad>"]


# ------------------------------------------------------------------------------------------------ models
class TextClassificationModel(nn.Module):
    """The torchtext tutorial model: mean of the token embeddings of each text, then one Linear layer.

    ``forward(text, offsets)``: ``text`` [N] flat token ids of the whole batch, ``offsets`` [B] where each
    text starts; returns logits [B, num_class].
    """

    def __init__(self, vocab_size: int, embed_dim: int, num_class: int):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, mode="mean")
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self) -> None:
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


class RNNClassifier(nn.Module):
    """Embedding -> packed (bi)LSTM/GRU -> Linear on the last layer's final states (both directions).

    ``forward(padded, lengths)``: ``padded`` [B, T] token ids (padding after each text), ``lengths`` [B];
    returns logits [B, num_class]. Padding never reaches the RNN thanks to packing.
    """

    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, num_class: int, cell: str = "lstm",
                 num_layers: int = 1, bidirectional: bool = True, dropout: float = 0.0, padding_idx: int = 1):
        super().__init__()
        rnn_class = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.cell = cell
        self.bidirectional = bidirectional
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=padding_idx)
        self.rnn = rnn_class(embed_dim, hidden_size, num_layers=num_layers, batch_first=True,
                             bidirectional=bidirectional, dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_class)

    def forward(self, padded, lengths):
        embedded = self.embedding(padded)
        packed = nn.utils.rnn.pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        _, hidden = self.rnn(packed)
        h_n = hidden[0] if self.cell == "lstm" else hidden  # [num_layers * directions, B, H]
        final = tl.cat([h_n[-2], h_n[-1]], dim=1) if self.bidirectional else h_n[-1]
        return self.fc(self.dropout(final))


def sinusoidal_positions(length: int, dim: int) -> tl.Tensor:
    """``(length, dim)`` encodings of "Attention Is All You Need": sin on even, cos on odd features."""
    position = tl.arange(length, dtype=tl.float32).unsqueeze(1)
    frequency = tl.exp(tl.arange(0, dim, 2, dtype=tl.float32) * (-math.log(10000.0) / dim))
    table = tl.zeros(length, dim)
    table[:, 0::2] = tl.sin(position * frequency)
    table[:, 1::2] = tl.cos(position * frequency)[:, : dim // 2]
    return table


class TransformerClassifier(nn.Module):
    """Embedding + positions -> TransformerEncoder (padding masked) -> mean of the real tokens -> Linear.

    ``forward(padded, lengths)``: ``padded`` [B, T] token ids (padding after each text), ``lengths`` [B];
    returns logits [B, num_class]. Positions are sinusoidal or learned (``max_length`` of them).
    """

    def __init__(self, vocab_size: int, d_model: int, nhead: int, dim_feedforward: int, num_layers: int,
                 num_class: int, dropout: float = 0.0, padding_idx: int = 1, max_length: int = 256,
                 positions: str = "sinusoidal"):
        super().__init__()
        self.d_model = d_model
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)
        if positions == "learned":
            self.positions = nn.Embedding(max_length, d_model)
        else:
            self.register_buffer("position_table", sinusoidal_positions(max_length, d_model), persistent=False)
            self.positions = None
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout=dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d_model, num_class)

    def forward(self, padded, lengths):
        length = padded.size(1)
        steps = tl.arange(length)
        position = self.positions(steps) if self.positions is not None else self.position_table[:length]
        x = self.embedding(padded) + position
        padding = steps.unsqueeze(0) >= lengths.unsqueeze(1)  # [B, T], True = padding (ignored)
        h = self.encoder(x, src_key_padding_mask=padding)
        keep = (~padding).unsqueeze(2).to(h.dtype)
        pooled = (h * keep).sum(1) / lengths.unsqueeze(1).to(h.dtype)
        return self.fc(pooled)


def build_model(hparams: dict) -> nn.Module:
    """The model described by ``hparams`` (as stored in checkpoints)."""
    if hparams["model"] == "bag":
        return TextClassificationModel(hparams["vocab_size"], hparams["embed_dim"], hparams["num_class"])
    if hparams["model"] == "transformer":
        return TransformerClassifier(hparams["vocab_size"], hparams["embed_dim"], hparams["nhead"],
                                     hparams["hidden_size"], hparams["num_layers"], hparams["num_class"],
                                     dropout=hparams["dropout"], padding_idx=hparams["padding_idx"],
                                     max_length=hparams["max_length"], positions=hparams["positions"])
    return RNNClassifier(hparams["vocab_size"], hparams["embed_dim"], hparams["hidden_size"],
                         hparams["num_class"], cell=hparams["model"], num_layers=hparams["num_layers"],
                         bidirectional=True, dropout=hparams["dropout"], padding_idx=hparams["padding_idx"])


# --------------------------------------------------------------------------------------- text -> token ids
class TextEncoder:
    """Tokenizer + vocabulary: ``encode(text)`` gives a non-empty list of vocabulary indices.

    With BPE the tokens are the BPE ids written as strings, so the vocabulary (specials, ``min_freq``)
    works the same for both tokenizers.
    """

    def __init__(self, tokenizer_name: str, vocab: Vocab, bpe: BPETokenizer | None = None):
        self.tokenizer_name = tokenizer_name
        self.vocab = vocab
        self.bpe = bpe
        self._tokenize = _tokenizer(tokenizer_name, bpe)
        self.unk_index = vocab["<unk>"]
        self.pad_index = vocab["<pad>"]

    @classmethod
    def fit(cls, texts: list[str], tokenizer_name: str, min_freq: int = 1, bpe_vocab_size: int = 2000,
            max_tokens: int | None = None) -> TextEncoder:
        """Train the tokenizer (BPE) and build the vocabulary on the training texts."""
        bpe = BPETokenizer.train(texts, vocab_size=bpe_vocab_size) if tokenizer_name == "bpe" else None
        tokenize = _tokenizer(tokenizer_name, bpe)
        vocab = build_vocab_from_iterator(map(tokenize, texts), min_freq=min_freq, specials=SPECIALS,
                                          max_tokens=max_tokens)
        vocab.set_default_index(vocab["<unk>"])
        return cls(tokenizer_name, vocab, bpe)

    def encode(self, text: str) -> list[int]:
        return self.vocab.lookup_indices(self._tokenize(text)) or [self.unk_index]

    def state(self) -> dict:
        """Everything needed to rebuild this encoder, as JSON-able values and tensors."""
        tokenizer: dict = {"name": self.tokenizer_name}
        if self.bpe is not None:
            merges = tl.tensor(self.bpe.merges, dtype=tl.int64).reshape(-1, 2)
            tokenizer.update(pattern=self.bpe.pattern, special_tokens=list(self.bpe.special_tokens),
                             merges=merges)
        return {"tokenizer": tokenizer,
                "vocab": {"itos": self.vocab.get_itos(), "default_index": self.vocab.get_default_index()}}

    @classmethod
    def from_state(cls, state: dict) -> TextEncoder:
        tokenizer = state["tokenizer"]
        bpe = None
        if tokenizer["name"] == "bpe":
            bpe = BPETokenizer(tokenizer["merges"].tolist(), tokenizer["special_tokens"], tokenizer["pattern"])
        vocab = Vocab(state["vocab"]["itos"], state["vocab"]["default_index"])
        return cls(tokenizer["name"], vocab, bpe)


def _tokenizer(name: str, bpe: BPETokenizer | None):
    if name == "bpe":
        return lambda text: [str(i) for i in bpe.encode(text)]
    return get_tokenizer(name)


class EncodedTexts(Dataset):
    """``(token ids, class index)`` pairs, encoded once up front so batches only need collating."""

    def __init__(self, ids: list[list[int]], labels: list[int]):
        self.ids = ids
        self.labels = labels

    def __getitem__(self, index: int):
        return self.ids[index], self.labels[index]

    def __len__(self) -> int:
        return len(self.labels)


def collate_bag(batch):
    """``((flat ids [N], offsets [B]), labels [B])`` for :class:`TextClassificationModel`."""
    ids, labels = zip(*batch)
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    # One C-level pass over all token ids (tl.tensor on a long list inspects every element in Python).
    flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
    offsets = np.concatenate([[0], np.cumsum(lengths[:-1])]).astype(np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    return (tl.from_numpy(flat), tl.from_numpy(offsets)), tl.from_numpy(labels)


class CollatePadded:
    """``((padded ids [B, T], lengths [B]), labels [B])`` for :class:`RNNClassifier`; truncates to
    ``max_length`` tokens."""

    def __init__(self, pad_index: int, max_length: int | None = None):
        self.pad = PadCollate(padding_value=pad_index)
        self.max_length = max_length

    def __call__(self, batch):
        if self.max_length is not None:
            batch = [(ids[: self.max_length], label) for ids, label in batch]
        (padded, lengths), labels = self.pad(batch)
        return (padded, lengths), labels


# ------------------------------------------------------------------------------------------------ data
def load_texts(args):
    """``(train_labels, train_texts, test_labels, test_texts, labels, class_names)``: raw label values,
    then ``labels`` (every value, sorted: its position is the class index) and their display names."""
    if args.csv is None:
        return _load_ag_news(args)
    train = _read_csv(args.csv, args)
    if args.test_csv is not None:
        test = _read_csv(args.test_csv, args)
        train_rows, test_rows = list(range(len(train))), None
    else:
        generator = tl.Generator().manual_seed(args.seed)
        n_test = max(1, round(0.1 * len(train)))
        train_part, test_part = random_split(range(len(train)), [len(train) - n_test, n_test], generator)
        train_rows, test_rows, test = train_part.indices, test_part.indices, train
    if test_rows is None:
        test_rows = list(range(len(test)))
    labels = sorted(set(train.labels) | set(test.labels), key=_label_sort_key)
    return ([train.labels[i] for i in train_rows], [train.texts[i] for i in train_rows],
            [test.labels[i] for i in test_rows], [test.texts[i] for i in test_rows],
            labels, [str(label) for label in labels])


def _load_ag_news(args):
    try:
        train = AG_NEWS(args.data_dir, split="train", download=args.download)
        test = AG_NEWS(args.data_dir, split="test", download=args.download)
    except RuntimeError as exc:
        # The dataset's own hint speaks of download=True; the script's flag is --download.
        first = str(exc).strip().splitlines()[0].split(" You can use download=True")[0]
        hint = "" if args.download else (" (pass --download, or set TENSORLIB_DATASETS_MIRROR to a folder "
                                         "holding train.csv and test.csv, or use --csv)")
        fail(f"AG_NEWS is not available under {args.data_dir!r}: {first}{hint}")
    labels = [1, 2, 3, 4]
    return train.labels, train.texts, test.labels, test.texts, labels, list(AG_NEWS.classes)


def _read_csv(path: str, args) -> TextClassificationDataset:
    if not os.path.isfile(path):
        fail(f"CSV file {path!r} not found")
    try:
        return TextClassificationDataset(path, label_column=args.label_column, text_column=args.text_column)
    except ValueError as exc:
        hint = " (choose them with --label-column/--text-column)" if "columns found" in str(exc) else ""
        fail(f"{exc}{hint}")


def _label_sort_key(label):
    return (isinstance(label, str), label)


def make_loaders(args, encoder: TextEncoder, train_texts, train_targets, test_texts, test_targets):
    """Encode the texts; split off a seeded validation part (5%) as the torchtext tutorial does."""
    encode = encoder.encode
    train_set = EncodedTexts([encode(t) for t in progress(train_texts, "encode train", enabled=args.progress)],
                             train_targets)
    test_set = EncodedTexts([encode(t) for t in test_texts], test_targets)
    generator = tl.Generator().manual_seed(args.seed)
    n_valid = int(round(args.valid_fraction * len(train_set)))
    if n_valid > 0:
        train_part, valid_part = random_split(train_set, [len(train_set) - n_valid, n_valid], generator)
    else:
        train_part, valid_part = train_set, None
    collate = collate_bag if args.model == "bag" else CollatePadded(encoder.pad_index, args.max_length)
    common = {"collate_fn": collate, "num_workers": args.num_workers}
    train_loader = DataLoader(train_part, batch_size=args.batch_size, shuffle=True, generator=generator, **common)
    valid_loader = None if valid_part is None else DataLoader(valid_part, batch_size=256, **common)
    test_loader = DataLoader(test_set, batch_size=256, **common)
    return train_loader, valid_loader, test_loader


# ------------------------------------------------------------------------------------------- training
def evaluate(model, loader, criterion) -> tuple[float, float, tl.Tensor, tl.Tensor]:
    """``(accuracy, mean loss, predictions [N], targets [N])`` of ``model`` on ``loader``."""
    model.eval()
    total_loss, predictions, targets = 0.0, [], []
    with tl.no_grad():
        for inputs, labels in loader:
            logits = model(*inputs)
            total_loss += criterion(logits, labels).item() * labels.size(0)
            predictions.append(logits.argmax(1))
            targets.append(labels)
    model.train()
    predictions, targets = tl.cat(predictions), tl.cat(targets)
    count = max(targets.numel(), 1)
    accuracy = tm.functional.accuracy(predictions, targets, task="multiclass", num_classes=logits.shape[1])
    return accuracy.item(), total_loss / count, predictions, targets


def make_optimizer(args, model):
    if args.model == "bag":
        optimizer = optim.SGD(model.parameters(), lr=args.lr if args.lr is not None else 5.0)
        return optimizer, optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.1), 0.1
    optimizer = optim.Adam(model.parameters(), lr=args.lr if args.lr is not None else 2e-3)
    return optimizer, None, 5.0


def train(args, model, loaders, class_names):
    train_loader, valid_loader, test_loader = loaders
    criterion = nn.CrossEntropyLoss()
    optimizer, scheduler, max_grad_norm = make_optimizer(args, model)
    history, best_valid = [], None
    for epoch in range(1, args.epochs + 1):
        running, seen, correct = 0.0, 0, 0
        with Timer() as epoch_timer:
            batches = progress(train_loader, f"epoch {epoch}/{args.epochs}", enabled=args.progress)
            for step, (inputs, labels) in enumerate(batches):
                if args.limit_train_batches is not None and step >= args.limit_train_batches:
                    break
                optimizer.zero_grad()
                logits = model(*inputs)
                loss = criterion(logits, labels)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                optimizer.step()
                running += loss.item() * labels.size(0)
                correct += (logits.argmax(1) == labels).sum().item()
                seen += labels.size(0)
        valid_accuracy = None
        if valid_loader is not None:
            valid_accuracy = evaluate(model, valid_loader, criterion)[0]
        lr = optimizer.param_groups[0]["lr"]
        if scheduler is not None:
            # The tutorial's rule: cut the learning rate tenfold when validation accuracy drops (not on a tie).
            if best_valid is not None and valid_accuracy is not None and valid_accuracy < best_valid:
                scheduler.step()
            elif valid_accuracy is not None:
                best_valid = valid_accuracy
        test_accuracy, test_loss, predictions, targets = evaluate(model, test_loader, criterion)
        record = {"epoch": epoch, "train_loss": running / max(seen, 1), "train_accuracy": correct / max(seen, 1),
                  "valid_accuracy": valid_accuracy, "test_loss": test_loss, "test_accuracy": test_accuracy,
                  "lr": lr, "seconds": epoch_timer.seconds}
        history.append(record)
        valid_text = "" if valid_accuracy is None else f"  valid accuracy {valid_accuracy:.2%}"
        print(f"epoch {epoch}: train loss {record['train_loss']:.4f}{valid_text}  "
              f"test accuracy {test_accuracy:.2%}  lr {lr:g}  ({epoch_timer.seconds:.1f}s)")
    return history, predictions, targets


# ----------------------------------------------------------------------------------------- entry points
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["bag", "lstm", "gru", "transformer"], default="bag")
    parser.add_argument("--data-dir", default="data", help="AG_NEWS root (files in DATA_DIR/AG_NEWS)")
    parser.add_argument("--download", action="store_true", help="download AG_NEWS (or copy from a mirror)")
    parser.add_argument("--csv", default=None, help="training CSV/TSV with a header row (label,text)")
    parser.add_argument("--test-csv", default=None, help="test CSV; without it a seeded 10%% of --csv")
    parser.add_argument("--label-column", default="label")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--tokenizer", choices=["basic_english", "bpe"], default="basic_english")
    parser.add_argument("--bpe-vocab-size", type=int, default=2000, help="256 bytes + merges")
    parser.add_argument("--min-freq", type=int, default=1, help="drop rarer tokens from the vocabulary")
    parser.add_argument("--max-vocab", type=int, default=None, help="keep only the most frequent tokens")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=None,
                        help="default: 5 (bag, SGD), 2e-3 (lstm/gru/transformer, Adam)")
    parser.add_argument("--embed-dim", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=64,
                        help="lstm/gru hidden size per direction; transformer feed-forward size")
    parser.add_argument("--nhead", type=int, default=4, help="transformer: attention heads (divide --embed-dim)")
    parser.add_argument("--positions", choices=["sinusoidal", "learned"], default="sinusoidal",
                        help="transformer: position encodings")
    parser.add_argument("--num-layers", type=int, default=1)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--max-length", type=int, default=256,
                        help="lstm/gru/transformer: truncate texts to this")
    parser.add_argument("--valid-fraction", type=float, default=0.05, help="held out of training for the LR rule")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-workers", type=int, default=0)
    parser.add_argument("--limit-train-batches", type=int, default=None, help="stop each epoch early")
    parser.add_argument("--out-dir", default="runs/text")
    parser.add_argument("--checkpoint", default=None, help="where to save (default OUT_DIR/MODEL.pt), or "
                                                           "what --predict loads")
    parser.add_argument("--predict", default=None, metavar="TEXT", help="classify TEXT with --checkpoint")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    args.progress = not args.no_progress
    for name, least in (("epochs", 1), ("batch_size", 1), ("max_length", 1), ("embed_dim", 1), ("hidden_size", 1),
                        ("num_layers", 1), ("min_freq", 1), ("bpe_vocab_size", 256)):
        if getattr(args, name) < least:
            flag = "--" + name.replace("_", "-")
            extra = " (the 256 byte ids plus merges)" if name == "bpe_vocab_size" else ""
            parser.error(f"{flag} must be at least {least}{extra}, got {getattr(args, name)}")
    if args.model == "transformer" and (args.nhead < 1 or args.embed_dim % args.nhead):
        parser.error(f"--embed-dim ({args.embed_dim}) must be divisible by --nhead ({args.nhead})")
    if args.predict is not None and args.checkpoint is None:
        parser.error("--predict needs --checkpoint PATH")
    return args


def load_classifier(path: str):
    """``(model, encoder, class_names, hparams)`` from a checkpoint written by this script."""
    if not os.path.isfile(path):
        fail(f"checkpoint {path!r} not found")
    state = tl.load(path)
    if not isinstance(state, dict) or state.get("kind") != CHECKPOINT_KIND:
        fail(f"{path!r} is not a text-classifier checkpoint written by {os.path.basename(__file__)}")
    model = build_model(state["hparams"])
    model.load_state_dict(state["model"])
    model.eval()
    return model, TextEncoder.from_state(state["encoder"]), state["classes"], state["hparams"]


def predict(text: str, checkpoint: str) -> dict:
    """Classify ``text``; prints and returns the class name and the class probabilities."""
    model, encoder, class_names, hparams = load_classifier(checkpoint)
    ids = encoder.encode(text)
    batch = collate_bag([(ids, 0)]) if isinstance(model, TextClassificationModel) else \
        CollatePadded(encoder.pad_index, hparams.get("max_length"))([(ids, 0)])  # truncated as in training
    with tl.no_grad():
        probabilities = model(*batch[0]).softmax(1)[0].tolist()
    best = max(range(len(class_names)), key=probabilities.__getitem__)
    print(f"predicted: {class_names[best]}")
    for name, p in sorted(zip(class_names, probabilities), key=lambda item: -item[1]):
        print(f"  {name:<20} {p:.3f}")
    return {"label": class_names[best], "probabilities": dict(zip(class_names, probabilities))}


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.predict is not None:
        return predict(args.predict, args.checkpoint)
    tl.manual_seed(args.seed)
    train_labels, train_texts, test_labels, test_texts, labels, class_names = load_texts(args)
    if not train_texts or not test_texts:
        fail(f"need at least one training and one test text, got {len(train_texts)} and {len(test_texts)} "
             "(a CSV without --test-csv needs at least 2 data rows)")
    label_to_index = {label: i for i, label in enumerate(labels)}
    train_targets = [label_to_index[label] for label in train_labels]
    test_targets = [label_to_index[label] for label in test_labels]

    with Timer() as prep:
        encoder = TextEncoder.fit(train_texts, args.tokenizer, min_freq=args.min_freq,
                                  bpe_vocab_size=args.bpe_vocab_size, max_tokens=args.max_vocab)
        loaders = make_loaders(args, encoder, train_texts, train_targets, test_texts, test_targets)
    hparams = {"model": args.model, "vocab_size": len(encoder.vocab), "embed_dim": args.embed_dim,
               "num_class": len(class_names), "hidden_size": args.hidden_size, "num_layers": args.num_layers,
               "dropout": args.dropout, "padding_idx": encoder.pad_index, "max_length": args.max_length,
               "nhead": args.nhead, "positions": args.positions}
    model = build_model(hparams)
    print(f"{args.model}: {sum(p.numel() for p in model.parameters()):,} parameters; vocabulary "
          f"{len(encoder.vocab):,} ({args.tokenizer}); {len(train_texts):,} training / {len(test_texts):,} "
          f"test texts; {len(class_names)} classes (prepared in {prep.seconds:.1f}s)")

    with Timer() as total:
        history, predictions, targets = train(args, model, loaders, class_names)
    per_class = {name: fn(predictions, targets, num_classes=len(class_names), average=None)
                 for name, fn in (("precision", tm.functional.multiclass_precision),
                                  ("recall", tm.functional.multiclass_recall),
                                  ("f1", tm.functional.multiclass_f1_score))}
    matrix = tm.functional.multiclass_confusion_matrix(predictions, targets, num_classes=len(class_names))
    print(tm.format_classification_report({**per_class, "confusion": matrix}, class_names))

    os.makedirs(args.out_dir, exist_ok=True)
    checkpoint = args.checkpoint or os.path.join(args.out_dir, f"{args.model}.pt")
    save_checkpoint(checkpoint, kind=CHECKPOINT_KIND, version=1, model=model.state_dict(), hparams=hparams,
                    classes=class_names, encoder=encoder.state(), history=history,
                    args={k: v for k, v in vars(args).items() if k != "predict"})
    matrix_png = os.path.join(args.out_dir, f"{args.model}_confusion.png")
    tm.plot_confusion_matrix(matrix, class_names, matrix_png)
    print(f"done in {total.seconds:.1f}s: final test accuracy {history[-1]['test_accuracy']:.2%}")
    print(f"checkpoint: {checkpoint}\nconfusion matrix: {matrix_png}")
    return {"history": history, "checkpoint": checkpoint, "confusion_png": matrix_png,
            "confusion": matrix.tolist(), "classes": class_names}


if __name__ == "__main__":
    main()
