"""Image datasets as float32 arrays in [0, 1], split train/val/test with a fixed seed.

`digits` is scikit-learn's bundled 8x8 handwritten digits (1,797 real scans), so every
lesson runs offline on a fresh machine. `mnist`, `fashion_mnist` and `cifar10` come
through Keras' own loaders and cache; when a file is missing and the network is not
there, the error says which file to put where.
"""

from __future__ import annotations

import functools
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.errors import BadInput

if TYPE_CHECKING:  # NumPy is imported where arrays are made: the lessons' declarations,
    import numpy as np  # which import this module, are read before the app's first frame

# The split never depends on the run's --seed: two runs with different seeds must be
# scored on the same test images, or their metrics are not comparable.
SPLIT_SEED = 20170401
DOWNLOAD_TIMEOUT_S = 20


@dataclass(frozen=True)
class ImageData:
    name: str
    x_train: np.ndarray  # (n, H, W, C) float32 in [0, 1]
    y_train: np.ndarray  # (n,) int64 class ids
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def splits(self) -> tuple[tuple[str, np.ndarray, np.ndarray], ...]:
        """("train", x, y), ("val", x, y), ("test", x, y): what a run scores itself on."""
        return (("train", self.x_train, self.y_train), ("val", self.x_val, self.y_val),
                ("test", self.x_test, self.y_test))


def _split(x, y, fractions: tuple[float, float]) -> tuple:
    """Stratified split of (x, y) into parts of the given fractions and the rest."""
    from sklearn.model_selection import train_test_split

    first, second = fractions
    x_a, x_rest, y_a, y_rest = train_test_split(
        x, y, train_size=first, stratify=y, random_state=SPLIT_SEED
    )
    x_b, x_c, y_b, y_c = train_test_split(
        x_rest, y_rest, train_size=second / (1 - first), stratify=y_rest, random_state=SPLIT_SEED
    )
    return x_a, y_a, x_b, y_b, x_c, y_c


def _digits() -> ImageData:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images / 16.0).astype("float32")[..., None]  # pixel values are 0..16
    parts = _split(x, bunch.target.astype("int64"), (0.6, 0.2))
    return ImageData("digits", *parts, class_names=tuple(str(d) for d in range(10)))


def keras_cache_dir() -> str:
    """Where Keras' dataset loaders look for and store their files."""
    home = os.environ.get("KERAS_HOME")
    if not home:
        base = os.path.expanduser("~")
        home = os.path.join(base if os.access(base, os.W_OK) else "/tmp", ".keras")
    return os.path.join(home, "datasets")


# name -> (loader in keras.datasets, what must be in the cache, class names, validation size)
_KERAS_SETS = {
    "mnist": ("mnist", "mnist.npz", tuple(str(d) for d in range(10)), 5000),
    "fashion_mnist": (
        "fashion_mnist",
        "fashion-mnist/ (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)",
        ("t-shirt", "trouser", "pullover", "dress", "coat",
         "sandal", "shirt", "sneaker", "bag", "ankle boot"),
        5000,
    ),
    "cifar10": (
        "cifar10",
        "cifar-10-batches-py-target/cifar-10-batches-py/ (the extracted cifar-10-python.tar.gz)",
        ("airplane", "automobile", "bird", "cat", "deer",
         "dog", "frog", "horse", "ship", "truck"),
        5000,
    ),
}


def _from_keras(name: str) -> ImageData:
    import importlib

    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    module, needed, class_names, val_size = _KERAS_SETS[name]
    loader = importlib.import_module(f"keras.datasets.{module}")
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)  # Keras downloads with no timeout of its own
    try:
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as exc:  # URLError, HTTP errors, Keras' "URL fetch failure", bad archive
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BadInput(
            f"dataset {name!r} is not in the Keras cache and could not be downloaded "
            f"({reason[:120]}); put {needed} into {keras_cache_dir()}"
        ) from None
    finally:
        socket.setdefaulttimeout(previous)
    import numpy as np

    x_train, x_test = (_to_float_nhwc(a) for a in (x_train, x_test))
    y_train, y_test = (np.asarray(a).reshape(-1).astype("int64") for a in (y_train, y_test))
    rng = np.random.default_rng(SPLIT_SEED)
    order = rng.permutation(len(x_train))
    val, train = order[:val_size], order[val_size:]
    return ImageData(name, x_train[train], y_train[train], x_train[val], y_train[val],
                     x_test, y_test, class_names)


def _to_float_nhwc(images: np.ndarray) -> np.ndarray:
    import numpy as np

    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    return (images.astype("float32") / 255.0)


@functools.lru_cache(maxsize=4)
def load_images(name: str) -> ImageData:
    """The named dataset, loaded once per process."""
    if name == "digits":
        return _digits()
    if name in _KERAS_SETS:
        return _from_keras(name)
    raise BadInput(f"unknown dataset {name!r}; choose one of digits, {', '.join(_KERAS_SETS)}")
