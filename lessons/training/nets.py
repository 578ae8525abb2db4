"""The fully connected nets every experiment trains, and how they read digits."""

from __future__ import annotations

import keras


def mlp(input_shape: tuple[int, ...], layers: int, units: int, activation: str, *,
        classes: int = 10, initializer="glorot_uniform", scores_initializer="glorot_uniform",
        batchnorm: bool = False, dropout: float = 0.0, l2: float = 0.0,
        scores_activation: str = "softmax", name: str = "mlp") -> keras.Model:
    """Images (or vectors) flattened, then `layers` hidden layers of `units`: affine (no
    bias before a BN, which has its own shift), [BatchNormalization], nonlinearity,
    [Dropout]; then a softmax over `classes` (its weights drawn by `scores_initializer`), or
    `scores_activation`, a sigmoid per class when the classes are not exclusive."""
    inputs = keras.Input(input_shape, name="inputs")
    x = keras.layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for i in range(1, layers + 1):
        x = keras.layers.Dense(units, kernel_initializer=initializer, use_bias=not batchnorm,
                               kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
                               name=f"dense{i}")(x)
        if batchnorm:
            x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
        x = nonlinearity(activation, name=f"act{i}")(x)
        if dropout:
            x = keras.layers.Dropout(dropout, name=f"dropout{i}")(x)
    outputs = keras.layers.Dense(classes, activation=scores_activation, kernel_initializer=scores_initializer,
                                 name="scores")(x)
    return keras.Model(inputs, outputs, name=name)


def nonlinearity(activation: str, name: str) -> keras.layers.Layer:
    """Keras' activation layers by the lecture's names (leaky ReLU with its slope 0.01)."""
    if activation == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=0.01, name=name)
    return keras.layers.Activation(activation, name=name)


def activations_model(model: keras.Model) -> keras.Model:
    """The same net, answering with every hidden layer's output after its nonlinearity."""
    outputs = [layer.output for layer in model.layers if layer.name.startswith("act")]
    return keras.Model(model.input, outputs)


def hidden_kernels(model: keras.Model) -> list:
    return [layer.kernel for layer in model.layers if layer.name.startswith("dense")]


def fit(model: keras.Model, optimizer, p, ctx, *, x=None, y=None, epochs: int | None = None,
        series: str = "", divergence_fails: bool = True, callbacks=()) -> dict:
    """Train on the training split (or `x`, `y`), validate on the validation split; the
    history. A fit that may diverge on purpose (`divergence_fails=False`) just stops."""
    data = ctx.images
    x = data.x_train if x is None else x
    y = data.y_train if y is None else y
    compiled(model, optimizer)
    return model.fit(ctx.batches(x, y, p.batch_size, shuffle=True),
                     validation_data=ctx.batches(data.x_val, data.y_val, 256),
                     epochs=epochs or p.epochs, verbose=0,
                     callbacks=[*callbacks, *ctx.callbacks(series=series,
                                                           divergence_fails=divergence_fails)]).history


def compiled(model: keras.Model, optimizer) -> keras.Model:
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
