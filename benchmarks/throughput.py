"""Throughput of the lessons' models at their default sizes: training and inference.

These rows have no alternative (nothing else trains this model), so they carry no ratio
or budget; they say what a learner's machine gets through per second, and show a change
that slows a model down. Each model is one function returning its rows through
`model_rows`; the CNN joins as another such function in `measure`.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import Row, median_seconds


def model_rows(name: str, model, x: np.ndarray, y: np.ndarray, batch_size: int, unit: str,
               per_example: int, quick: bool) -> list[Row]:
    """Training (`model.fit`) and inference (`model.predict`) rates of a compiled `model`
    over the lessons' tf.data pipeline, in `unit` = examples x `per_example` per second.

    Timed after a warm-up call that traces the step, so only steady-state steps count.
    """
    from workbench.running.pipeline import batches

    steps = 6 if quick else 20
    n = min(len(x), steps * batch_size)
    # A model with several outputs (GoogLeNet in training) takes a dict of label arrays.
    y = {name: labels[:n] for name, labels in y.items()} if isinstance(y, dict) else y[:n]
    # Both sides read the same kind of pipeline, so neither pays Keras' per-call cost of
    # wrapping a NumPy array (~50 ms) and the rates compare training with inference.
    train = batches(x[:n], y, batch_size, shuffle=True)
    infer = batches(x[:n], y, batch_size)
    repeats = 3 if quick else 5
    fit_s = median_seconds(lambda: model.fit(train, epochs=1, verbose=0), repeats)
    predict_s = median_seconds(lambda: model.predict(infer, verbose=0), repeats)
    units = n * per_example
    return [
        Row(f"{name}: training", units / fit_s, unit, f"model.fit, batch {batch_size}"),
        Row(f"{name}: inference", units / predict_s, unit, f"model.predict, batch {batch_size}"),
    ]


def lstm_rows(quick: bool) -> list[Row]:
    """The lstm lesson's model, optimizer and windows as the lesson builds them."""
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    import keras

    from lessons.lstm import LESSON
    from lessons.lstm import corpus as corpora
    from lessons.lstm.model import build_char_lstm

    p = LESSON.settings()
    text = corpora.load(p.corpus, p.max_chars)
    x, y, _, _ = corpora.split(text, p.seq_len)
    model = build_char_lstm(len(text.vocabulary), p.embed_dim, p.units, p.layers, p.dropout)
    model.compile(optimizer=keras.optimizers.Adam(p.learning_rate, global_clipnorm=p.clipnorm),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    name = f"LSTM throughput ({p.layers}x{p.units}, seq_len {p.seq_len})"
    return model_rows(name, model, x, y, p.batch_size, "chars/s", p.seq_len, quick)


def cnn_rows(quick: bool) -> list[Row]:
    """Every CNN the cnn lesson trains, at its preset width and input size, compiled as
    the lesson compiles it (GoogLeNet with its auxiliary heads), on digit-shaped images."""
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    from lessons.cnn import LESSON
    from lessons.cnn.lesson import NETWORKS, training_model

    rows = []
    rng = np.random.default_rng(0)
    for arch in NETWORKS:
        p = LESSON.settings(arch=arch).with_presets()
        size, width = p.input_size, p.width
        model, outputs = training_model(p, (size, size, 1), 10)
        n = (6 if quick else 20) * p.batch_size
        x = rng.random((n, size, size, 1), dtype="float32")
        labels = rng.integers(0, 10, n)
        y = {name: labels for name in outputs} if outputs else labels
        name = f"CNN throughput: {arch} (width {width:g}, {size}x{size}x1)"
        rows += model_rows(name, model, x, y, p.batch_size, "images/s", 1, quick)
    return rows


def measure(quick: bool) -> list[Row]:
    return lstm_rows(quick) + cnn_rows(quick)
