"""The LSTM lesson's `task=shapes`: the five recurrent shapes, their tasks against hand
computations, their models' shapes and sizes against the LSTM parameter formula, a run
whose saved model is reloaded and re-scored, the text knobs refused, `generate` refusing
the model, and the path's claims judged both ways."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import workbench
from lessons.lstm import LstmSettings, corpus, figures, shapes, shapes_run
from tests.conftest import one_line_error, refused_before_any_work, run_cli
from workbench import registry
from workbench.course import guide
from workbench.course.notes_figures import is_fresh
from workbench.errors import BadInput
from workbench.running.quiet import import_tensorflow

import_tensorflow()
import keras  # noqa: E402

SHAPES_STEP = 13  # the path's experiment with task=shapes


# -- the tasks, against the rule each states ------------------------------------------

def test_each_task_gives_the_labels_its_rule_says():
    rng = np.random.default_rng(3)
    x, y = shapes.plain_labels(rng, 50)
    assert [int(v) for v in y] == [(3 * int(d)) % 10 for d in x[:, 0]]
    x, y = shapes.counting_up(rng, 50)
    assert all(list(row) == [(int(d) + k) % 10 for k in range(5)] for d, row in zip(x[:, 0], y))
    x, y = shapes.sequence_sum(rng, 50)
    assert x.max() <= 3 and [int(v) for v in y] == [sum(map(int, row)) for row in x]
    x, y = shapes.reversed_sequence(rng, 50)
    assert all(list(out) == list(reversed(list(seq))) for seq, out in zip(x, y))
    x, y = shapes.running_max(rng, 50)
    assert all(list(out) == list(itertools.accumulate(seq, max)) for seq, out in zip(x, y))


def test_counting_up_from_seven_wraps_round_ten():
    class Seven:
        def integers(self, low, high, size):
            return np.full(size, 7)
    _, y = shapes.counting_up(Seven(), 1)
    assert y.tolist() == [[7, 8, 9, 0, 1]]


def test_guessing_scores_the_commonest_label_at_each_step():
    y_train = np.array([[1, 2], [1, 3], [0, 3]])
    y_test = np.array([[1, 3], [0, 3], [1, 2], [1, 3]])
    # step 0 guesses 1 (right 3 of 4), step 1 guesses 3 (right 3 of 4)
    assert shapes.majority_accuracy(y_train, y_test) == pytest.approx(6 / 8)


def test_the_synced_reading_bound_is_the_best_a_model_reading_in_order_can_do():
    # Output t is input 4 - t, known once read (t >= 4 - t): t = 2, 3, 4; t = 0, 1 guessed.
    assert shapes.reading_bound() == pytest.approx((3 + 2 * 0.1) / 5)
    # The best causal predictor, by brute force over all 10^5 sequences: at step t it sees
    # the first t + 1 digits and outputs input 4 - t when seen, else any fixed guess.
    every = np.array(list(itertools.product(range(10), repeat=5)))
    target = every[:, ::-1]
    right = [np.mean(target[:, t] == (every[:, 4 - t] if 4 - t <= t else 0)) for t in range(5)]
    assert np.mean(right) == pytest.approx(shapes.reading_bound())


# -- the models: the layers that make each shape, sizes by the formula -----------------

def lstm_params(inputs: int, units: int) -> int:
    """Four gates, each a (inputs + units) x units matrix and a bias."""
    return 4 * (units * (inputs + units) + units)


def test_each_model_has_its_shape_and_the_size_the_formula_gives():
    e, u, d, embed = shapes.EMBED, shapes.UNITS, shapes.DIGITS, shapes.DIGITS * shapes.EMBED
    expected = {
        "one_to_one": ((None, 1), (None, d), embed + (e * u + u) + (u * d + d)),
        "one_to_many": ((None, 1), (None, 5, d), embed + lstm_params(e, u) + u * d + d),
        "many_to_one": ((None, 5), (None, 16), embed + lstm_params(e, u) + u * 16 + 16),
        "seq2seq": ((None, 5), (None, 5, d),
                    embed + lstm_params(e, u) + lstm_params(u, u) + u * d + d),
        "synced": ((None, 5), (None, 5, d), embed + lstm_params(e, u) + u * d + d),
    }
    for shape in shapes.SHAPES:
        model = shape.build()
        assert (tuple(model.input_shape), tuple(model.output_shape), model.count_params()) \
            == expected[shape.name], shape.name


def test_the_sequence_shapes_are_made_by_the_layers_the_notes_name():
    def kinds(name):
        model = next(s for s in shapes.SHAPES if s.name == name).build()
        return [(type(layer).__name__, getattr(layer, "return_sequences", None))
                for layer in model.layers[2:]]

    assert kinds("one_to_many") == [("Flatten", None), ("RepeatVector", None),
                                    ("LSTM", True), ("TimeDistributed", None)]
    assert kinds("many_to_one") == [("LSTM", False), ("Dense", None)]
    assert kinds("seq2seq") == [("LSTM", False), ("RepeatVector", None), ("LSTM", True),
                                ("TimeDistributed", None)]
    assert kinds("synced") == [("LSTM", True), ("TimeDistributed", None)]
    assert not any(isinstance(layer, keras.layers.RNN) for layer in shapes.one_to_one().layers)


def test_the_synced_model_cannot_see_ahead():
    # Changing the last input leaves every earlier output as it was: it reads in order.
    model = shapes.synced()
    x = np.array([[1, 2, 3, 4, 5]])
    changed = np.array([[1, 2, 3, 4, 9]])
    a, b = model.predict(x, verbose=0), model.predict(changed, verbose=0)
    np.testing.assert_allclose(a[0, :4], b[0, :4], rtol=1e-6)
    assert not np.allclose(a[0, 4], b[0, 4])


def test_notes_figures_are_the_ones_the_code_computes():
    assert is_fresh(figures.NOTES, figures.render), "run: python -m lessons.lstm.figures"


# -- settings: the text knobs refused, no corpus read ----------------------------------

def test_shapes_reads_no_corpus(monkeypatch):
    def no_corpus(*args, **kwargs):
        raise AssertionError("task=shapes read the corpus")

    monkeypatch.setattr(corpus, "load", no_corpus)
    LstmSettings(task="shapes").check()
    assert LstmSettings(task="shapes").saves() == ("shapes",)
    assert LstmSettings().saves() == (None,)
    with pytest.raises(AssertionError, match="read the corpus"):
        LstmSettings().check()  # task=text still reads it


@pytest.mark.parametrize("knobs, message", [
    ({"epochs": 3}, "epochs: only for task=text; task=shapes trains five small models of its "
                    "own (leave it out)"),
    ({"corpus": "/no/such/file.txt", "units": 16}, "corpus, units: only for task=text"),
])
def test_text_knobs_are_refused_with_shapes(tmp_path, knobs, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        workbench.run("lstm", task="shapes", models_dir=str(tmp_path / "m"), **knobs)
    assert not (tmp_path / "m").exists()


def test_a_text_knob_with_shapes_on_the_command_line_is_one_line(tmp_path):
    proc = run_cli("run", "lstm", "--set", "task=shapes", "--set", "clip_demo=true",
                   "--models-dir", str(tmp_path / "m"))
    assert proc.returncode == 2
    assert "clip_demo: only for task=text" in one_line_error(proc)
    assert "task must be one of text, shapes; got 'words'" in refused_before_any_work(
        "lstm", "task=words", tmp_path / "m")


# -- a run, trained briefly: metrics, the saved model reloaded and re-scored -----------

@pytest.fixture(scope="module")
def brief_run(tmp_path_factory):
    """task=shapes with fewer examples and epochs than the lesson's (the full run is slow)."""
    folder = tmp_path_factory.mktemp("shapes")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shapes, "TRAIN", 512)
        patch.setattr(shapes, "TEST", 200)
        patch.setattr(shapes, "EPOCHS", 2)
        logs = []
        result = workbench.run("lstm", task="shapes", seed=5, models_dir=str(folder),
                               on_event=lambda event: logs.append(event))
    return result, logs


def test_the_run_reports_every_shape_and_saves_the_encoder_decoder(brief_run):
    result, _ = brief_run
    m = result.metrics
    for shape in shapes.SHAPES:
        assert m[f"shape_{shape.name}_params"] == shape.build().count_params()
        assert 0.0 <= m[f"shape_{shape.name}_accuracy"] <= 1.0
    assert m["shape_synced_on_reversal_bound"] == pytest.approx(0.64)
    assert "vocabulary_size" not in m and "final_val_loss" not in m  # no text model trained
    assert result.model_path.endswith("lstm-shapes.h5")
    info = workbench.results.store.describe(result.model_path)
    assert info.metadata["task"] == "shapes"
    assert info.metadata["shapes"]["seq2seq"] == {"input": "(N, 5)", "output": "(N, 5, 10)",
                                                  "params": m["shape_seq2seq_params"]}
    assert info.metadata["shapes"]["many_to_one"]["output"] == "(N, 16)"


def test_the_saved_model_reverses_as_well_as_the_run_said(brief_run):
    result, _ = brief_run
    model = keras.models.load_model(result.model_path)  # plain Keras, as a user would
    # The same examples the run drew: the shapes in order, each training then test set.
    rng = np.random.default_rng(5)
    for shape in shapes.SHAPES:
        shape.data(rng, 512)
        x_test, y_test = shape.data(rng, 200)
        if shape.name == "seq2seq":
            break
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=-1)
    assert np.mean(predicted == y_test) == pytest.approx(result.metrics["shape_seq2seq_accuracy"])
    assert np.mean(y_test == np.bincount(y_test.ravel()).argmax()) < 0.2  # guessing is poor


def test_generate_refuses_the_shapes_model_and_inspect_shows_it(brief_run):
    result, _ = brief_run
    proc = run_cli("generate", result.model_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "a task=shapes model maps digit sequences and writes no text" in one_line_error(proc)
    shown = run_cli("inspect", result.model_path)
    assert shown.returncode == 0, shown.stderr
    assert "shape_seq2seq_accuracy" in shown.stdout and "RepeatVector" in shown.stdout


# -- the full default run: the claims the path makes, on the real thing ----------------

@pytest.mark.slow
def test_the_default_run_shows_what_the_path_claims(tmp_path):
    result = workbench.run("lstm", task="shapes", models_dir=str(tmp_path))
    experiment = guide.experiment(registry.get("lstm"), SHAPES_STEP)
    for verdict in (claim.check(result.metrics) for claim in experiment.claims):
        assert verdict.holds, verdict.line()
    m = result.metrics
    assert m["shape_seq2seq_accuracy"] > 5 * m["shape_seq2seq_chance"]
    assert m["shape_many_to_one_accuracy"] > 5 * m["shape_many_to_one_chance"]


# -- the path's claims, judged both ways ------------------------------------------------

GOOD = {"shape_seq2seq_accuracy": 0.97, "shape_seq2seq_chance": 0.1,
        "shape_synced_on_reversal_accuracy": 0.638, "shape_synced_on_reversal_bound": 0.64,
        "shape_many_to_one_accuracy": 0.999, "shape_many_to_one_chance": 0.154,
        "shape_one_to_many_accuracy": 1.0, "shape_one_to_many_chance": 0.091,
        "shape_synced_accuracy": 1.0, "shape_synced_chance": 0.27,
        "shape_seq2seq_params": 30138, "shape_synced_params": 11514}


@pytest.mark.parametrize("index, bad, shows", [
    (0, {"shape_seq2seq_accuracy": 0.42}, "encoder-decoder 0.42 (at least 0.9)"),
    (0, {"shape_synced_on_reversal_accuracy": 0.9}, "synced 0.9, reading bound 0.64"),
    (1, {"shape_many_to_one_accuracy": 0.31}, "shape_many_to_one_accuracy 0.31 (at least 0.9; "
                                              "guessing 0.154)"),
    (2, {"shape_one_to_many_accuracy": 0.5}, "shape_one_to_many_accuracy 0.5"),
    (3, {"shape_synced_accuracy": 0.7}, "shape_synced_accuracy 0.7"),
    (4, {"shape_seq2seq_params": 11514}, "encoder-decoder 1.151e+04 > synced 1.151e+04"),
])
def test_each_shapes_claim_holds_on_a_run_that_shows_it_and_not_on_one_that_does_not(index, bad, shows):
    claim = guide.experiment(registry.get("lstm"), SHAPES_STEP).claims[index]
    held = claim.check(GOOD)
    assert held.holds, held.line()
    missed = claim.check({**GOOD, **bad})
    assert not missed.holds and shows in missed.measured
    assert missed.why_not and claim.check({**GOOD, **bad}, "zh").why_not != missed.why_not


def test_the_reversal_prediction_is_settled_by_the_reversal_claim():
    steps = guide.steps_of(registry.get("lstm"))
    predict = steps[SHAPES_STEP - 3]  # before the Read, whose section works the bound out
    assert isinstance(predict, guide.Predict) and predict.settled_by == SHAPES_STEP
    assert isinstance(steps[SHAPES_STEP - 2], guide.Read)
    bound = (3 + 2 * 0.1) / 5  # two of five outputs come before the inputs they need
    assert f"{bound:.2f}" in predict.answers[predict.correct]
    assert predict.shown_by == 0  # the claim comparing the two shapes on reversal


def test_the_log_states_each_model_and_its_shapes(brief_run):
    _, events = brief_run
    text = "\n".join(str(getattr(e, "text", "")) for e in events)
    assert "(N, 1) -> (N, 5, 10)" in text and "(N, 5) -> (N, 16)" in text
    assert shapes_run.MISMATCH.build is shapes.synced
