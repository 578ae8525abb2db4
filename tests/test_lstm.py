"""The LSTM lesson: data windows, sampling rules against a slow reference, clipping, bad input."""

import math
import re

import numpy as np
import pytest

import workbench
from lessons.lstm import corpus
from tests.conftest import one_line_error, run_cli
from workbench.errors import BadInput
from workbench.running.quiet import import_tensorflow

tf = import_tensorflow()
import keras  # noqa: E402

from lessons.lstm.sampling import Sampler, pick  # noqa: E402

TINY = {"max_chars": 20000, "epochs": 1, "units": 32, "layers": 1, "seq_len": 32, "embed_dim": 8}


def test_targets_are_the_inputs_shifted_by_one():
    text = corpus.load("pydoc", 5000)
    ids = text.encode(text.text)
    x, y = corpus.windows(ids, 16)
    assert x.shape == y.shape == ((len(ids) - 1) // 16, 16)
    np.testing.assert_array_equal(y[:, :-1], x[:, 1:])
    np.testing.assert_array_equal(y[:-1, -1], x[1:, 0])  # windows are consecutive
    assert "".join(text.vocabulary[i] for i in x[0]) == text.text[:16]
    assert "".join(text.vocabulary[i] for i in y[0]) == text.text[1:17]


def test_split_holds_out_the_last_tenth():
    text = corpus.load("pydoc", 10000)
    x_train, _, x_val, _ = corpus.split(text, 20)
    assert len(x_train) == (9000 - 1) // 20 and len(x_val) == (1000 - 1) // 20


@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    (b"   \n\n", "is empty"),
    (b"\xff\xfe\x00\x01 binary", "is not UTF-8 text (byte 0 cannot be decoded)"),
    (b"text\x00with NUL", "is not text (it contains NUL bytes)"),
    (b"short text", "has 10 characters; seq_len=64 needs at least 650"),
])
def test_bad_corpora_are_refused_before_any_work(tmp_path, content, message):
    path = tmp_path / "corpus.txt"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BadInput, match=re.escape(message)):
        workbench.run("lstm", corpus=str(path), models_dir=str(tmp_path / "m"))
    assert not (tmp_path / "m").exists()


def test_bad_corpus_on_the_command_line_is_one_line(tmp_path):
    proc = run_cli("run", "lstm", "--set", f"corpus={tmp_path}", "--models-dir", str(tmp_path))
    assert proc.returncode == 2
    assert "is a folder; name a UTF-8 text file" in one_line_error(proc)


@pytest.fixture(scope="module")
def tiny_lstm(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lstm")
    return workbench.run("lstm", models_dir=str(folder), **TINY)


def test_tiny_run_reports_loss_perplexity_bits_and_gradient_norm(tiny_lstm):
    m = tiny_lstm.metrics
    assert m["final_val_perplexity"] == pytest.approx(math.exp(m["final_val_loss"]))
    assert m["final_val_bits_per_char"] == pytest.approx(m["final_val_loss"] / math.log(2))
    assert m["final_loss"] < m["uniform_loss"] == pytest.approx(math.log(m["vocabulary_size"]))
    assert m["final_grad_norm"] > 0
    info = workbench.results.store.describe(tiny_lstm.model_path)
    assert info.metadata["vocabulary"] == corpus.load("pydoc", 20000).vocabulary
    assert tiny_lstm.model_path.endswith("lstm.h5")


@pytest.fixture(scope="module")
def sampler(tiny_lstm):
    model = keras.models.load_model(tiny_lstm.model_path)  # plain Keras, as a user would
    vocabulary = workbench.results.store.describe(tiny_lstm.model_path).metadata["vocabulary"]
    return model, Sampler(model, vocabulary)


def slow_reference_logits(model, vocabulary, text):
    """The Keras-example way: re-read the whole text with model.predict."""
    ids = np.array([[vocabulary.index(c) for c in text]], dtype="int32")
    return model.predict(ids, verbose=0)[0, -1]


def test_temperature_zero_is_the_argmax_of_the_slow_reference(sampler):
    model, fast = sampler
    prime = "The "
    text = "".join(fast.generate(prime, 25, temperature=0.0))
    expected = prime
    for _ in range(25):
        expected += fast.vocabulary[int(np.argmax(slow_reference_logits(model, fast.vocabulary, expected)))]
    assert prime + text == expected


def test_top_k_never_leaves_the_k_likeliest(sampler):
    model, fast = sampler
    prime, k = "def ", 3
    text = prime + "".join(fast.generate(prime, 30, temperature=1.5, top_k=k, seed=4))
    for position in range(len(prime), len(text)):
        logits = slow_reference_logits(model, fast.vocabulary, text[:position])
        allowed = {fast.vocabulary[i] for i in np.argsort(logits)[-k:]}
        assert text[position] in allowed


def test_top_k_of_one_is_greedy_at_any_temperature(sampler):
    _, fast = sampler
    greedy = "".join(fast.generate("in", 40, temperature=0.0))
    assert "".join(fast.generate("in", 40, temperature=2.0, top_k=1, seed=9)) == greedy


def test_the_same_seed_gives_the_same_text_whatever_the_chunking(sampler):
    _, fast = sampler
    a = "".join(fast.generate("The ", 150, temperature=1.0, seed=7))
    b = "".join(fast.generate("The ", 150, temperature=1.0, seed=7, chunk=17))
    c = "".join(fast.generate("The ", 150, temperature=1.0, seed=8))
    assert a == b and a != c and len(a) == 150


def test_pick_samples_the_tempered_softmax():
    logits = tf.constant([2.0, 1.0, 0.0, -1.0])
    for temperature in (0.5, 1.0, 2.0):
        draws = np.bincount([int(pick(logits, tf.constant(temperature), tf.constant(4),
                                      tf.constant([0, i]))) for i in range(3000)], minlength=4)
        expected = np.exp(logits.numpy() / temperature)
        expected /= expected.sum()
        np.testing.assert_allclose(draws / 3000, expected, atol=0.03)
    masked = {int(pick(logits, tf.constant(5.0), tf.constant(2), tf.constant([1, i]))) for i in range(300)}
    assert masked == {0, 1}


def test_clipping_bounds_the_step_and_the_saved_optimizer_knows_it(tmp_path):
    # seq_len 64: backpropagation multiplies by the gain-3 recurrent matrix 64 times
    result = workbench.run("lstm", clip_demo=True, models_dir=str(tmp_path), **{**TINY, "seq_len": 64})
    m = result.metrics
    assert m["clip_demo_unclipped_max_grad_norm"] > 1e3  # the vanilla RNN's gradient explodes
    assert m["clip_demo_clipped_longest_step"] == pytest.approx(0.1 * 5.0)  # lr * clipnorm
    assert m["clip_demo_unclipped_longest_step"] > 1e3 * m["clip_demo_clipped_longest_step"]
    assert m["clip_demo_unclipped_recurrent_weight_norm"] > 100 * m["clip_demo_clipped_recurrent_weight_norm"]
    clipped = keras.models.load_model(result.model_path)
    assert clipped.optimizer.global_clipnorm == 5.0
    unclipped = workbench.run("lstm", clipnorm=0, out=str(tmp_path / "noclip.h5"), **TINY)
    assert keras.models.load_model(unclipped.model_path).optimizer.global_clipnorm is None


def test_generate_round_trip_from_the_command_line(tiny_lstm):
    args = ["generate", tiny_lstm.model_path, "--prime", "The ", "--length", "80", "--seed", "3"]
    first, again = run_cli(*args), run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout
    assert first.stdout.startswith("The ") and len(first.stdout) == len("The ") + 80 + 1
    assert first.stderr == ""


@pytest.mark.parametrize("args, message", [
    (["--prime", "Thé€"], "prime has characters not in the model's vocabulary: 'é', '€'"),
    (["--length", "-5"], "length must be 0..100000; got -5"),
    (["--temperature", "-0.5"], "temperature must be >= 0; got -0.5"),
    (["--top-k", "-1"], "top_k must be >= 0; got -1"),
    (["--temperature", "hot"], "temperature: expected a number, got 'hot'"),
])
def test_generate_refuses_bad_arguments(tiny_lstm, args, message):
    proc = run_cli("generate", tiny_lstm.model_path, *args)
    assert proc.returncode == 2
    assert message in one_line_error(proc)
    assert proc.stdout == ""


def test_generate_refuses_files_that_are_not_a_workbench_lstm(tmp_path, saved_knn):
    (tmp_path / "junk.h5").write_bytes(b"\x89HDF\r\n junk")
    for path, message in [(tmp_path / "missing.h5", "does not exist"),
                          (tmp_path / "junk.h5", "not an HDF5 file"),
                          (saved_knn, "is a 'knn' model; this needs a 'lstm' model")]:
        proc = run_cli("generate", str(path))
        assert proc.returncode == 2
        assert message in one_line_error(proc)
