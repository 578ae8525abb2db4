"""tf.data input pipelines, so an accelerator is never left waiting for the next batch."""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf


def batches(x: np.ndarray, y: np.ndarray, batch_size: int, *, shuffle: bool = False, seed: int = 0,
            preprocess: Callable | None = None, augment: Callable | None = None,
            cache: bool = True) -> tf.data.Dataset:
    """(x, y) in batches: preprocessed once and cached, reshuffled every epoch when asked,
    augmented afresh every epoch when asked, and prefetched so the next batch is ready
    while the current one trains. `cache=False` redoes the preprocessing every epoch, for
    results too big to keep in memory."""
    data = tf.data.Dataset.from_tensor_slices((x, y))
    if preprocess is not None:
        data = data.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
        if cache:
            data = data.cache()
    if shuffle:
        data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    if augment is not None:
        data = data.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)
