"""Word vectors (torchtext.vocab.Vectors/GloVe/FastText/CharNGram semantics): parsing, caching, lookup,
downloads through the datasets' machinery, bad files named by line."""

from __future__ import annotations

import gzip
import importlib.util
import io
import os
import sys
import warnings
import zipfile

import numpy as np
import pytest

import tensorlib as tl
from tensorlib.datasets import utils
from tensorlib.text.vocab import CharNGram, FastText, GloVe, Vectors

_HELPER = os.path.join(os.path.dirname(__file__), "..", "helpers", "http_server.py")
_spec = importlib.util.spec_from_file_location("tensorlib_tests_http_server", _HELPER)
http_server = sys.modules.get(_spec.name) or importlib.util.module_from_spec(_spec)
if _spec.name not in sys.modules:
    sys.modules[_spec.name] = http_server
    _spec.loader.exec_module(http_server)

TEXT = "the 0.1 0.2 0.3\nThe 1 2 3\ncat -1.5 2.5e-1 0\nnaïve 4 5 6\n"


@pytest.fixture(autouse=True)
def quiet_downloads(monkeypatch):
    monkeypatch.setattr(utils.download_options, "retries", 1)
    monkeypatch.setattr(utils.download_options, "backoff", 0.001)
    monkeypatch.setattr(utils.download_options, "progress", False)
    monkeypatch.delenv(utils.MIRROR_ENV, raising=False)


def _write(tmp_path, text: str, name: str = "vec.txt") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def test_parse_and_lookup(tmp_path):
    vectors = Vectors(_write(tmp_path, TEXT), cache=str(tmp_path / "cache"))
    assert vectors.itos == ["the", "The", "cat", "naïve"] and vectors.stoi["cat"] == 2
    assert vectors.dim == 3 and len(vectors) == 4 and vectors.vectors.dtype == tl.float32
    np.testing.assert_allclose(vectors["cat"].numpy(), [-1.5, 0.25, 0.0])
    np.testing.assert_array_equal(vectors["unknown"].numpy(), [0, 0, 0])
    batch = vectors.get_vecs_by_tokens(["the", "naïve", "missing"])
    assert batch.shape == (3, 3)
    np.testing.assert_allclose(batch.numpy()[1], [4, 5, 6])
    assert vectors.get_vecs_by_tokens("cat").shape == (3,)


def test_lower_case_backup(tmp_path):
    vectors = Vectors(_write(tmp_path, "cat 1 2\nThe 3 4\n"), cache=str(tmp_path / "c"))
    np.testing.assert_array_equal(vectors.get_vecs_by_tokens(["CAT", "The"]).numpy(), [[0, 0], [3, 4]])
    np.testing.assert_array_equal(vectors.get_vecs_by_tokens(["CAT", "The"], lower_case_backup=True).numpy(),
                                  [[1, 2], [3, 4]])


def test_unk_init_and_max_vectors(tmp_path):
    path = _write(tmp_path, TEXT)
    vectors = Vectors(path, cache=str(tmp_path / "c"), unk_init=lambda t: t.fill_(-1.0), max_vectors=2)
    assert vectors.itos == ["the", "The"]
    np.testing.assert_array_equal(vectors["cat"].numpy(), [-1, -1, -1])
    assert os.path.exists(tmp_path / "c" / "vec.txt_2.npz")


def test_cache_is_used_and_refreshed_when_the_source_changes(tmp_path):
    path = _write(tmp_path, TEXT)
    Vectors(path, cache=str(tmp_path / "c"))
    cache = tmp_path / "c" / "vec.txt.npz"
    assert cache.exists()
    os.remove(path)  # torchtext keeps working from its cache when the text file is gone
    assert Vectors(os.path.basename(path), cache=str(tmp_path / "c")).itos[0] == "the"
    # a cache is only used when built from the file as it is now
    _write(tmp_path / "c", "dog 9 9\n", "vec.txt")
    assert Vectors(os.path.basename(path), cache=str(tmp_path / "c")).itos == ["dog"]


def test_header_line_is_skipped_and_gz_is_read(tmp_path):
    path = tmp_path / "wiki.xx.vec.gz"
    path.write_bytes(gzip.compress(b"2 3\nhello 1 2 3\nworld 4 5 6 \n"))
    with pytest.warns(UserWarning, match="header"):
        vectors = Vectors(str(path), cache=str(tmp_path / "c"))
    assert vectors.itos == ["hello", "world"]
    np.testing.assert_array_equal(vectors["world"].numpy(), [4, 5, 6])


def test_inconsistent_dimensions_name_the_line(tmp_path):
    path = _write(tmp_path, "a 1 2 3\nb 1 2 3\nc 1 2\n")
    with pytest.raises(RuntimeError, match=r"line 3: vector for token 'c' has 2 dimensions.*3 dimensions"):
        Vectors(path, cache=str(tmp_path / "c"))
    path = _write(tmp_path, "a 1 2\nb 1 x\n", "bad.txt")
    with pytest.raises(RuntimeError, match=r"line 2 \(token b'b'\) has a field that is not a number"):
        Vectors(path, cache=str(tmp_path / "c"))


def test_chunked_parsing_matches_and_numbers_lines_across_chunks(tmp_path, monkeypatch):
    from tensorlib.text import _vectors_file

    rows = [f"w{i} {i} {-i} {i / 4}" for i in range(50)]
    path = _write(tmp_path, "\n".join(rows))  # no final newline: the last line is still read
    whole = Vectors(path, cache=str(tmp_path / "a"))
    monkeypatch.setattr(_vectors_file, "CHUNK_BYTES", 7)
    chunked = Vectors(path, cache=str(tmp_path / "b"))
    assert chunked.itos == whole.itos == [f"w{i}" for i in range(50)]
    np.testing.assert_array_equal(chunked.vectors.numpy(), whole.vectors.numpy())
    assert Vectors(path, cache=str(tmp_path / "c"), max_vectors=7).itos == [f"w{i}" for i in range(7)]
    bad = _write(tmp_path, "\n".join(rows[:40] + ["oops 1 2"] + rows[40:]), "bad.txt")
    with pytest.raises(RuntimeError, match=r"line 41: vector for token 'oops'"):
        Vectors(bad, cache=str(tmp_path / "d"))


VARIANTS = [
    b"a 1 2\nb 3 4",
    b"a 1 2 \nb 3 4 \n",                       # fastText's trailing spaces
    b"2 2\na 1 2\nb 3 4\n",                    # header
    b"a 1 2\r\nb 3 4\r\n",                     # CRLF
    b"a 1 2\n\nb 3 4\n\n",                     # blank lines
    b"a 1 2\n\xff\xfe 5 6\nb 3 4\n",            # a token that is not UTF-8 is skipped
    b"a 1 2\nb 3 4 \nc 5 6\n",                 # one trailing space
    b"a 1.5e-3 -2\nb nan inf\n",
    b"a 1  2\nb 3 4\n",                        # two spaces: torchtext sees 3 values
    b"a 1 2\nb 3 4 5\n",
    b"a 1 x\nb 3 4\n",
    b"a\nb 1 2\n",
]


@pytest.mark.parametrize("raw", VARIANTS)
def test_block_fast_path_agrees_with_the_line_parser(tmp_path, monkeypatch, raw):
    from tensorlib.text import _vectors_file

    path = tmp_path / "v.txt"
    path.write_bytes(raw)

    def run():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                itos, vectors = _vectors_file.read_vectors_file(str(path))
            return itos, vectors.tolist()
        except RuntimeError as error:
            return str(error)

    fast = run()
    monkeypatch.setattr(_vectors_file, "_parse_regular_block", lambda *args: None)
    slow = run()
    assert repr(fast) == repr(slow)


def test_missing_file_without_url(tmp_path):
    with pytest.raises(RuntimeError, match="no vectors found at"):
        Vectors("nope.txt", cache=str(tmp_path))


def test_glove_downloads_zip_through_the_datasets_machinery(tmp_path, monkeypatch):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("glove.6B.50d.txt", "king 1 0\nqueen 0 1\n")
        z.writestr("glove.6B.100d.txt", "king 1 0 0\n")
    server = http_server.FaultyHTTPServer().start()
    try:
        url = server.add_file("data/glove.6B.zip", archive.getvalue())
        monkeypatch.setitem(GloVe.url, "6B", url)
        glove = GloVe(name="6B", dim=50, cache=str(tmp_path / "cache"))
        assert glove.itos == ["king", "queen"] and glove.dim == 2
        again = GloVe(name="6B", dim=100, cache=str(tmp_path / "cache"))  # already extracted: no request
        assert again.dim == 3 and len(server.requests_for("data/glove.6B.zip")) == 1
    finally:
        server.stop()
    with pytest.raises(ValueError, match="available: 42B, 840B"):
        GloVe(name="7B")


def test_offline_mirror_and_md5(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "wiki.xx.vec").write_bytes(b"1 2\nbonjour 0.5 0.25\n")
    monkeypatch.setenv(utils.MIRROR_ENV, str(mirror))
    monkeypatch.setattr(FastText, "url_base", "http://127.0.0.1:9/fasttext/wiki.{}.vec")
    with pytest.warns(UserWarning, match="header"):
        vectors = FastText(language="xx", cache=str(tmp_path / "c"))
    np.testing.assert_array_equal(vectors["bonjour"].numpy(), [0.5, 0.25])
    with pytest.raises(RuntimeError, match="md5"):
        Vectors("wiki.yy.vec", cache=str(tmp_path / "d"), url="http://127.0.0.1:9/wiki.xx.vec", md5="0" * 32)


def test_charngram_averages_known_ngrams(tmp_path):
    (tmp_path / "charNgram.txt").write_text("2gram-#BEGIN#a 1 0\n2gram-ab 3 0\n3gram-ab#END# 0 4\n")
    vectors = CharNGram(cache=str(tmp_path))  # already in the cache folder: nothing is downloaded
    np.testing.assert_allclose(vectors["ab"].numpy(), [[4 / 3, 4 / 3]])
    np.testing.assert_array_equal(vectors["zz"].numpy(), [[0, 0]])
    assert vectors["<unk>"].shape == (1, 2)


def test_embedding_from_pretrained_matches_torch(tmp_path):
    vectors = Vectors(_write(tmp_path, TEXT), cache=str(tmp_path / "c"))
    embedding = tl.nn.Embedding.from_pretrained(vectors.vectors, freeze=True, padding_idx=0)
    assert not embedding.weight.requires_grad and embedding.padding_idx == 0
    np.testing.assert_array_equal(embedding(tl.tensor([2])).numpy(), vectors["cat"].numpy()[None])
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Embedding.from_pretrained(torch.from_numpy(vectors.vectors.numpy()), freeze=False)
    ours = tl.nn.Embedding.from_pretrained(vectors.vectors, freeze=False)
    assert ours.weight.requires_grad == theirs.weight.requires_grad and ours.embedding_dim == theirs.embedding_dim


@pytest.mark.slow
def test_400k_word_file_parses_vectorised(tmp_path):
    rng = np.random.default_rng(0)
    rows = [" ".join(f"{x:.5f}" for x in row) for row in rng.standard_normal((1000, 50))]
    text = "".join(f"w{i} {rows[i % 1000]}\n" for i in range(400_000))
    vectors = Vectors(_write(tmp_path, text), cache=str(tmp_path / "c"))
    assert vectors.vectors.shape == (400_000, 50) and vectors.stoi["w399999"] == 399_999
    np.testing.assert_allclose(vectors["w1001"].numpy(), np.array(rows[1].split(), dtype=np.float32))
