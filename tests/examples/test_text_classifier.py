"""examples/train_text_classifier.py end to end on small generated topic CSVs (no network, no AG_NEWS)."""

from __future__ import annotations

import csv
import os
import random
import sys
from pathlib import Path

import pytest

import tensorlib as tl

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "examples"))

import train_text_classifier as script  # noqa: E402

TOPICS = {
    "sports": "goal match striker league coach tournament referee season".split(),
    "business": "stocks market profit shares investors earnings bank merger".split(),
    "science": "physics experiment telescope genome laboratory quantum molecule researchers".split(),
    "world": "election minister parliament embassy treaty president protest border".split(),
}
NOISE = "the a of to in and on for with said new after over year week report people".split()


def write_topic_csv(path: Path, rows: int, seed: int = 0, labels: dict | None = None) -> Path:
    """``rows`` texts cycling through the four topics: 3 topic words among 6 shared noise words.

    ``labels`` renames the topics in the label column (e.g. to integers).
    """
    rng = random.Random(seed)
    names = list(TOPICS)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "text"])
        for i in range(rows):
            topic = names[i % len(names)]
            words = rng.sample(TOPICS[topic], 3) + rng.choices(NOISE, k=6)
            rng.shuffle(words)
            writer.writerow([(labels or {}).get(topic, topic), " ".join(words).capitalize() + "."])
    return path


def run(*argv: str) -> dict:
    return script.main([*argv, "--no-progress"])


@pytest.fixture(scope="module")
def bag_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bag")
    data = write_topic_csv(folder / "topics.csv", rows=400)
    result = run("--csv", str(data), "--epochs", "5", "--out-dir", str(folder / "out"), "--seed", "0")
    return folder, data, result


def test_bag_model_learns_the_topics(bag_run, capsys):
    _, _, result = bag_run
    assert result["classes"] == ["business", "science", "sports", "world"]  # sorted label values
    assert result["history"][-1]["test_accuracy"] >= 0.9
    assert result["history"][-1]["train_loss"] < result["history"][0]["train_loss"]
    matrix = result["confusion"]
    assert sum(map(sum, matrix)) == 40  # the seeded 10% test split of 400 rows
    correct = sum(matrix[i][i] for i in range(4))
    assert correct / 40 == pytest.approx(result["history"][-1]["test_accuracy"])
    assert os.path.getsize(result["confusion_png"]) > 500
    with open(result["confusion_png"], "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_bag_learning_rate_follows_the_tutorial_rule(bag_run):
    """SGD lr 5; StepLR(1, gamma=0.1) steps after an epoch whose validation accuracy dropped."""
    history = bag_run[2]["history"]
    assert history[0]["lr"] == 5.0
    best = None
    for record, following in zip(history, history[1:]):
        improved = best is None or record["valid_accuracy"] >= best  # the tutorial cuts only on a drop
        assert following["lr"] == pytest.approx(record["lr"] if improved else record["lr"] * 0.1)
        best = record["valid_accuracy"] if improved else best


def test_checkpoint_is_self_contained_and_predicts(bag_run, capsys):
    folder, data, result = bag_run
    state = tl.load(result["checkpoint"])
    assert state["kind"] == script.CHECKPOINT_KIND
    assert state["hparams"]["model"] == "bag" and state["classes"] == result["classes"]
    assert state["encoder"]["tokenizer"] == {"name": "basic_english"}
    itos = state["encoder"]["vocab"]["itos"]
    assert itos[:2] == ["<unk>", "<pad>"] and "striker" in itos
    assert state["encoder"]["vocab"]["default_index"] == 0
    assert set(state["model"]) == {"embedding.weight", "fc.weight", "fc.bias"}

    moved = folder / "elsewhere.pt"
    os.replace(result["checkpoint"], moved)
    os.replace(data, folder / "gone.csv")  # prediction needs no training data
    try:
        capsys.readouterr()
        sports = run("--predict", "The striker scored a late goal and the coach praised the referee",
                     "--checkpoint", str(moved))
        business = run("--predict", "Investors sold shares as bank earnings and profit fell",
                       "--checkpoint", str(moved))
    finally:
        os.replace(moved, result["checkpoint"])
        os.replace(folder / "gone.csv", data)
    assert sports["label"] == "sports" and business["label"] == "business"
    assert sum(sports["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)
    assert sports["probabilities"]["sports"] == max(sports["probabilities"].values())
    out = capsys.readouterr().out
    assert "predicted: sports" in out and "predicted: business" in out


@pytest.mark.parametrize("model", ["lstm", "gru"])
def test_rnn_models_train_and_predict(tmp_path, model):
    data = write_topic_csv(tmp_path / "tiny.csv", rows=96, seed=1)
    result = run("--csv", str(data), "--model", model, "--epochs", "2", "--batch-size", "16",
                 "--hidden-size", "16", "--embed-dim", "16", "--out-dir", str(tmp_path / "out"))
    first, last = result["history"]
    assert last["train_loss"] < first["train_loss"]
    state = tl.load(result["checkpoint"])
    assert state["hparams"]["model"] == model and "rnn.weight_hh_l0_reverse" in state["model"]
    assert state["hparams"]["max_length"] == 256  # --predict truncates as training did
    prediction = run("--predict", "Parliament met as the minister and president signed a treaty",
                     "--checkpoint", result["checkpoint"])
    assert prediction["label"] in result["classes"]
    assert sum(prediction["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)


def test_bpe_tokenizer_trains_saves_and_restores(tmp_path):
    data = write_topic_csv(tmp_path / "topics.csv", rows=200, seed=2)
    result = run("--csv", str(data), "--tokenizer", "bpe", "--bpe-vocab-size", "300", "--epochs", "3",
                 "--out-dir", str(tmp_path / "out"))
    state = tl.load(result["checkpoint"])
    tokenizer = state["encoder"]["tokenizer"]
    assert tokenizer["name"] == "bpe" and tokenizer["merges"].shape == (300 - 256, 2)
    restored = script.TextEncoder.from_state(state["encoder"])
    texts = [row[1] for row in csv.reader(open(data, encoding="utf-8"))][1:]
    # The tokenizer was trained on exactly the seeded 90% training rows.
    assert restored.bpe.merges == script.BPETokenizer.train(
        [texts[i] for i in _train_rows(len(texts), seed=0)], vocab_size=300).merges
    sentence = "The telescope team of researchers measured a quantum molecule"
    assert restored.bpe.decode(restored.bpe.encode(sentence)) == sentence
    assert all(i != restored.unk_index for i in restored.encode("telescope genome"))
    assert run("--predict", sentence, "--checkpoint", result["checkpoint"])["label"] in result["classes"]


def _train_rows(n: int, seed: int) -> list[int]:
    generator = tl.Generator().manual_seed(seed)
    n_test = max(1, round(0.1 * n))
    train_part, _ = tl.data.random_split(range(n), [n - n_test, n_test], generator)
    return train_part.indices


def test_integer_labels_and_test_csv(tmp_path):
    ids = {"business": 30, "science": 4, "sports": 12, "world": 7}
    train = write_topic_csv(tmp_path / "train.csv", rows=160, seed=3, labels=ids)
    test = write_topic_csv(tmp_path / "test.csv", rows=40, seed=4, labels=ids)
    result = run("--csv", str(train), "--test-csv", str(test), "--epochs", "4", "--batch-size", "16",
                 "--out-dir", str(tmp_path / "o"))
    assert result["classes"] == ["4", "7", "12", "30"]  # numeric order, not string order
    assert sum(map(sum, result["confusion"])) == 40
    assert result["history"][-1]["test_accuracy"] >= 0.8


def test_missing_csv_column_names_the_columns_found(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("category,body\nsports,a goal\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        run("--csv", str(bad))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert "'category'" in err[0] and "'body'" in err[0] and "'label'" in err[0] and "--label-column" in err[0]


def test_missing_ag_news_without_download_fails_with_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("--data-dir", str(tmp_path / "empty"))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: AG_NEWS is not available") and "--download" in err[0]
    assert not (tmp_path / "empty" / "AG_NEWS" / "train.csv").exists()


@pytest.mark.parametrize("flag, value", [("--epochs", "0"), ("--max-length", "0"), ("--bpe-vocab-size", "100")])
def test_out_of_range_options_fail_with_one_line(flag, value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("--csv", "unused.csv", flag, value)
    assert exit_info.value.code == 2
    assert f"{flag} must be at least" in capsys.readouterr().err


def test_predict_needs_an_existing_checkpoint(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run("--predict", "hello", "--checkpoint", str(tmp_path / "nope.pt"))
    assert exit_info.value.code == 2
    assert "nope.pt" in capsys.readouterr().err


def test_collate_bag_gives_flat_ids_and_offsets():
    (flat, offsets), labels = script.collate_bag([([3, 4, 5], 0), ([6], 2), ([7, 8], 1)])
    assert flat.tolist() == [3, 4, 5, 6, 7, 8] and offsets.tolist() == [0, 3, 4]
    assert labels.tolist() == [0, 2, 1] and flat.dtype == tl.int64 and offsets.dtype == tl.int64


def test_collate_padded_pads_with_the_pad_index_and_truncates():
    (padded, lengths), labels = script.CollatePadded(pad_index=1, max_length=3)([([3, 4, 5, 9], 0), ([6], 2)])
    assert padded.tolist() == [[3, 4, 5], [6, 1, 1]] and lengths.tolist() == [3, 1] and labels.tolist() == [0, 2]


def test_models_match_pytorch():
    torch = pytest.importorskip("torch")
    batch = [([3, 4, 5], 0), ([6, 7, 8, 9, 10, 2], 1), ([11], 2)]

    bag = script.TextClassificationModel(20, 8, 3)
    torch_bag = torch.nn.Sequential()
    torch_bag.embedding = torch.nn.EmbeddingBag(20, 8, mode="mean")
    torch_bag.fc = torch.nn.Linear(8, 3)
    torch_bag.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in bag.state_dict().items()})
    (flat, offsets), _ = script.collate_bag(batch)
    expected = torch_bag.fc(torch_bag.embedding(torch.from_numpy(flat.numpy()), torch.from_numpy(offsets.numpy())))
    assert abs(bag(flat, offsets).detach().numpy() - expected.detach().numpy()).max() < 1e-5

    rnn = script.RNNClassifier(20, 8, 6, 3, cell="lstm", padding_idx=1).eval()
    embedding = torch.nn.Embedding(20, 8, padding_idx=1)
    lstm = torch.nn.LSTM(8, 6, batch_first=True, bidirectional=True)
    fc = torch.nn.Linear(12, 3)
    weights = {k: torch.from_numpy(v.numpy().copy()) for k, v in rnn.state_dict().items()}
    for prefix, module in (("embedding.", embedding), ("rnn.", lstm), ("fc.", fc)):
        module.load_state_dict({k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)})
    (padded, lengths), _ = script.CollatePadded(pad_index=1)(batch)
    packed = torch.nn.utils.rnn.pack_padded_sequence(embedding(torch.from_numpy(padded.numpy())),
                                                     torch.from_numpy(lengths.numpy()), batch_first=True,
                                                     enforce_sorted=False)
    _, (h_n, _) = lstm(packed)
    expected = fc(torch.cat([h_n[-2], h_n[-1]], dim=1)).detach().numpy()
    assert abs(rnn(padded, lengths).detach().numpy() - expected).max() < 1e-5


def write_keyword_position_csv(path: Path, rows: int, seed: int = 0) -> Path:
    """Class by where "keyword" sits among 8-12 noise words: in the first 3 ("early") or from the 7th on
    ("late"). A bag of words cannot tell them apart; the model needs positions and attention."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "text"])
        for i in range(rows):
            words = rng.choices(NOISE, k=rng.randint(8, 12))
            late = i % 2 == 1
            words[rng.randrange(6, len(words)) if late else rng.randrange(0, 3)] = "keyword"
            writer.writerow(["late" if late else "early", " ".join(words)])
    return path


def test_transformer_learns_keyword_position_and_predicts(tmp_path):
    data = write_keyword_position_csv(tmp_path / "position.csv", rows=800)
    result = run("--csv", str(data), "--model", "transformer", "--epochs", "5", "--embed-dim", "32",
                 "--hidden-size", "64", "--nhead", "4", "--batch-size", "32", "--out-dir", str(tmp_path / "out"))
    assert result["history"][-1]["test_accuracy"] >= 0.95
    state = tl.load(result["checkpoint"])
    assert state["hparams"]["model"] == "transformer" and state["hparams"]["positions"] == "sinusoidal"
    assert "encoder.layers.0.self_attn.in_proj_weight" in state["model"]
    assert "position_table" not in state["model"]  # recomputed, not stored
    early = run("--predict", "keyword the a of to in and on for with", "--checkpoint", result["checkpoint"])
    late = run("--predict", "the a of to in and on keyword for with", "--checkpoint", result["checkpoint"])
    assert early["label"] == "early" and late["label"] == "late"


def test_transformer_ignores_padding():
    """A text's logits do not change when it is batched with a longer one (padding is masked out)."""
    tl.manual_seed(0)
    model = script.TransformerClassifier(20, 16, 2, 32, 2, 3, padding_idx=1, max_length=16,
                                         positions="learned").eval()
    short = tl.tensor([[5, 6, 7, 1, 1, 1]])
    batch = tl.tensor([[5, 6, 7, 1, 1, 1], [2, 3, 4, 5, 6, 7]])
    alone = model(short[:, :3], tl.tensor([3]))
    together = model(batch, tl.tensor([3, 6]))
    assert tl.allclose(alone[0], together[0], atol=1e-5)


def test_transformer_heads_must_divide_embedding(capsys):
    with pytest.raises(SystemExit):
        script.parse_args(["--model", "transformer", "--embed-dim", "30", "--nhead", "4"])
    assert "divisible by --nhead" in capsys.readouterr().err
