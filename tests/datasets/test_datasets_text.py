"""AG_NEWS, IMDB and TextClassificationDataset: items (label, text) like torchtext."""

from __future__ import annotations

import os
import pickle

import pytest
from dataset_files import AG_ROWS, IMDB_REVIEWS

from tensorlib.datasets import AG_NEWS, IMDB, TextClassificationDataset


def test_ag_news_download_and_items(ag_news_server, tmp_path):
    ds = AG_NEWS(str(tmp_path), split="train", download=True)
    assert (tmp_path / "AG_NEWS" / "train.csv").exists()
    assert len(ds) == len(AG_ROWS["train"])
    label, text = ds[1]
    assert label == 4 and text == 'Space probe A probe, launched in 2004, reached "orbit".'
    assert [ds[i][0] for i in range(len(ds))] == [r[0] for r in AG_ROWS["train"]]
    assert ds[-1] == (2, "Cup final Home side wins 2-1.")
    with pytest.raises(IndexError):
        ds[len(ds)]
    test = AG_NEWS(str(tmp_path), split="test", download=True, transform=str.upper,
                   target_transform=lambda y: y - 1)
    assert test[0] == (1, "MATCH REPORT A DRAW.")


def test_ag_news_offline_error_and_bad_split(tmp_path, monkeypatch):
    monkeypatch.setattr(AG_NEWS, "mirrors", ["http://127.0.0.1:9/ag/"])
    with pytest.raises(RuntimeError) as info:
        AG_NEWS(str(tmp_path), split="test", download=True)
    assert "http://127.0.0.1:9/ag/test.csv" in str(info.value)
    assert os.path.join(str(tmp_path), "AG_NEWS", "test.csv") in str(info.value)
    with pytest.raises(ValueError, match="split"):
        AG_NEWS(str(tmp_path), split="valid")


def test_ag_news_bad_row_is_named(tmp_path):
    folder = tmp_path / "AG_NEWS"
    folder.mkdir()
    (folder / "train.csv").write_text('"3","ok","fine"\n"x","bad","row"\n')
    with pytest.raises(RuntimeError, match="line 2"):
        AG_NEWS(str(tmp_path))


def test_imdb_download_and_items(imdb_server, tmp_path):
    ds = IMDB(str(tmp_path), split="train", download=True)
    neg, pos = IMDB_REVIEWS[("train", "neg")], IMDB_REVIEWS[("train", "pos")]
    assert len(ds) == len(neg) + len(pos)
    assert [ds[i] for i in range(len(ds))] == [(1, t) for t in neg] + [(2, t) for t in pos]
    test = IMDB(str(tmp_path), split="test")
    positives = [text for label, text in (test[i] for i in range(len(test))) if label == 2]
    assert sorted(positives) == sorted(IMDB_REVIEWS[("test", "pos")])
    assert (tmp_path / "IMDB" / "aclImdb_v1.tar.gz").exists()


def test_text_classification_csv_and_tsv(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('id,text,label\n1,"hello, world",2\n2,bye,0\n')
    ds = TextClassificationDataset(str(path))
    assert len(ds) == 2 and ds[0] == (2, "hello, world") and ds[1] == (0, "bye")
    assert ds.classes == [0, 2]
    tsv = tmp_path / "data.tsv"
    tsv.write_text("label\ttext\npos\tgreat, really\nneg\tmeh\n")
    ds = TextClassificationDataset(str(tsv), target_transform=lambda y: y.upper())
    assert ds[0] == ("POS", "great, really") and ds.class_to_idx == {"neg": 0, "pos": 1}
    with pytest.raises(IndexError):
        ds[2]


def test_text_classification_missing_column_names_columns_found(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("category,body\n1,x\n")
    with pytest.raises(ValueError) as info:
        TextClassificationDataset(str(path))
    message = str(info.value)
    assert "'label'" in message and "'text'" in message and "['category', 'body']" in message
    assert TextClassificationDataset(str(path), label_column="category", text_column="body")[0] == (1, "x")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="empty"):
        TextClassificationDataset(str(empty))


def test_short_row_error_gives_the_file_line_after_blank_lines_and_multiline_fields(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('label,text\n1,"two\nlines"\n\n2\n')
    with pytest.raises(ValueError, match="line 5: expected at least 2 fields, got 1"):
        TextClassificationDataset(str(path))


def test_default_split_returns_train_and_test_like_torchtext(tmp_path):
    folder = tmp_path / "AG_NEWS"
    folder.mkdir()
    (folder / "train.csv").write_text('"3","wall","street"\n"1","world","news"\n')
    (folder / "test.csv").write_text('"2","goal","scored"\n')
    train, test = AG_NEWS(str(tmp_path))
    assert (train.split, len(train), test.split, len(test)) == ("train", 2, "test", 1)
    assert test[0] == (2, "goal scored")
    (only_test,) = AG_NEWS(str(tmp_path), split=("test",))
    assert len(only_test) == 1
    restored = pickle.loads(pickle.dumps(train))  # what a spawned DataLoader worker receives
    assert isinstance(restored, AG_NEWS) and restored.split == "train" and restored[0] == (3, "wall street")
