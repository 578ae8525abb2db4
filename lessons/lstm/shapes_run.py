"""`--set task=shapes`: the five recurrent shapes trained side by side, each on its own
task, and one of them on a task that needs another shape (a synced model asked to
reverse), to show the shape is not a detail."""

from __future__ import annotations

import keras
import numpy as np

from lessons.lstm import shapes
from lessons.lstm.shapes import Shape

# The synced model on the reversal task: same data, the shape that cannot see ahead.
MISMATCH = Shape("synced_on_reversal", "5 digits reversed, by the synced shape",
                 shapes.reversed_sequence, shapes.synced, shapes.DIGITS)


def run(ctx) -> None:
    rng = np.random.default_rng(ctx.seed)
    trained = {}
    for shape in (*shapes.SHAPES, MISMATCH):
        trained[shape.name] = train(ctx, shape, rng)
    m = ctx.metrics
    ctx.metric("shape_synced_on_reversal_bound", shapes.reading_bound())
    cells = {shape.name: table_cell(m, trained[shape.name], shape.name) for shape in shapes.SHAPES}
    # Shapes and numbers are the same in every language: one field per row.
    ctx.log("the five shapes: input -> output, parameters, test accuracy (guessing without "
            "looking)\n"
            "  one to one, a digit to 3 times it mod 10 (Dense, no recurrence): {one_to_one}\n"
            "  one to many, a digit to the 5 digits counting up from it (RepeatVector, LSTM with "
            "return_sequences, TimeDistributed Dense): {one_to_many}\n"
            "  many to one, 5 digits 0..3 to their sum (LSTM returning its last state, Dense): "
            "{many_to_one}\n"
            "  many to many, encoder-decoder, 5 digits reversed (LSTM, RepeatVector, LSTM with "
            "return_sequences, TimeDistributed Dense): {seq2seq}\n"
            "  synced many to many, the largest digit so far at every step (LSTM with "
            "return_sequences, TimeDistributed Dense): {synced}", **cells)
    ctx.log("the synced shape asked to reverse: {accuracy:.3f}, at most {bound:.2f} possible (its "
            "first outputs come before the inputs they need); the encoder-decoder: {seq2seq:.3f}",
            accuracy=m["shape_synced_on_reversal_accuracy"],
            bound=m["shape_synced_on_reversal_bound"], seq2seq=m["shape_seq2seq_accuracy"])
    model = trained["seq2seq"]
    ctx.save(model, "shapes", task="shapes", shapes={
        shape.name: {"input": shapes.shape_text(trained[shape.name].input_shape),
                     "output": shapes.shape_text(trained[shape.name].output_shape),
                     "params": m[f"shape_{shape.name}_params"]} for shape in shapes.SHAPES})


def train(ctx, shape: Shape, rng: np.random.Generator) -> keras.Model:
    """Fit `shape`'s model on fresh examples of its task; its accuracy, what guessing
    scores, and its size become the run's metrics."""
    x, y = shape.data(rng, shapes.TRAIN)
    x_test, y_test = shape.data(rng, shapes.TEST)
    model = shape.build()
    model.compile(optimizer=keras.optimizers.Adam(shapes.LEARNING_RATE),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ctx.stage(shape.name, shapes.EPOCHS)
    model.fit(ctx.batches(x, y, shapes.BATCH, shuffle=True), epochs=shapes.EPOCHS, verbose=0,
              callbacks=ctx.callbacks(shape.name, series=shape.name))
    ctx.metric(f"shape_{shape.name}_accuracy", shapes.accuracy(model, x_test, y_test))
    ctx.metric(f"shape_{shape.name}_chance", shapes.majority_accuracy(y, y_test))
    ctx.metric(f"shape_{shape.name}_params", model.count_params())
    return model


def table_cell(m, model: keras.Model, name: str) -> str:
    """One shape's line of the log: its shapes, size, accuracy and what guessing scores."""
    return (f"{shapes.shape_text(model.input_shape)} -> {shapes.shape_text(model.output_shape)}, "
            f"{m[f'shape_{name}_params']:,}, {m[f'shape_{name}_accuracy']:.3f} "
            f"({m[f'shape_{name}_chance']:.3f})")
