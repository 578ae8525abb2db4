"""The run: build a Keras model, train it with the run's callbacks, report, save.

`run(settings, ctx)` gets the lesson's settings (a frozen dataclass) and the run's
context: data (`ctx.images`), tf.data pipelines (`ctx.batches`), the callbacks that turn
`fit` into progress and honour cancellation (`ctx.callbacks()`), metrics and logs, and
`ctx.save`, which writes the model with its metadata once the run has succeeded.
"""

from __future__ import annotations

import keras

from hello_lesson import HelloSettings


def run(p: HelloSettings, ctx) -> None:
    data = ctx.images
    model = keras.Sequential([
        keras.Input(data.image_shape),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(p.hidden, activation="relu", name="hidden"),
        keras.layers.Dense(data.num_classes, activation="softmax", name="scores"),
    ], name="two_layer_net")
    model.compile(optimizer=keras.optimizers.Adam(p.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    fit = model.fit(ctx.batches(data.x_train, data.y_train, 64, shuffle=True),
                    validation_data=ctx.batches(data.x_val, data.y_val, 64),
                    epochs=p.epochs, verbose=0, callbacks=ctx.callbacks())
    test = model.evaluate(ctx.batches(data.x_test, data.y_test, 256), verbose=0, return_dict=True)
    ctx.metric("test_accuracy", float(test["accuracy"]))
    ctx.log(f"{p.hidden} hidden units, {p.epochs} epochs: test accuracy {test['accuracy']:.3f}")
    ctx.save(model, history=fit.history)
