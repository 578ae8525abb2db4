"""Lesson 5: a character-level LSTM language model that writes text."""

from lessons.lstm import corpus
from workbench.params import Param
from workbench.registry import Lesson, read_notes


def _check(values: dict) -> None:
    text = corpus.load(values["corpus"], values["max_chars"])
    corpus.check_long_enough(text, values["seq_len"])


LESSON = Lesson(
    id="lstm",
    title="LSTM text generation",
    summary="Character-level stacked LSTM, truncated BPTT, gradient clipping, temperature sampling.",
    params=(
        Param("corpus", str, corpus.BUILTIN, "a UTF-8 text file, or 'pydoc' for Python's own help "
              "topics (ships with Python, works offline)"),
        Param("max_chars", int, 300_000, "use at most this many characters of the corpus (0 = all)",
              low=0),
        Param("seq_len", int, 64, "characters per training sequence: how far back gradients flow "
              "(truncated BPTT)", low=2, high=10_000),
        Param("layers", int, 2, "stacked LSTM layers", low=1, high=8),
        Param("units", int, 128, "LSTM units per layer", low=1, high=8192),
        Param("embed_dim", int, 32, "size of the learned character embedding", low=1, high=4096),
        Param("dropout", float, 0.0, "dropout between LSTM layers (0 = none)", low=0.0, high=0.9),
        Param("epochs", int, 20, "passes over the training text", low=1, high=10_000),
        Param("batch_size", int, 64, "sequences per gradient step", low=1, high=65_536),
        Param("learning_rate", float, 0.003, "Adam's step size", above=0.0),
        Param("clipnorm", float, 5.0, "clip the gradient to this global L2 norm (0 = no clipping)",
              low=0.0),
        Param("clip_demo", bool, False, "also train a SimpleRNN twin with and without clipping "
              "for a few steps and compare gradient norms"),
    ),
    notes=read_notes(__name__),
    entry="lessons.lstm.lesson:run",
    keras_modules=(),
    datasets=("text",),
    default_dataset="text",
    check=_check,
)
