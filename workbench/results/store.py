"""HDF5 models with their metadata: atomic saves, safe loads, a TF-free look inside.

A workbench model is an ordinary Keras `.h5` file plus one root attribute, `workbench`,
holding JSON (schema, lesson, params, dataset, metrics, history, versions, and what the
model needs to be used again). Saving writes a temporary file in the target folder and
renames it over the target, so Ctrl+C or a crash mid-save leaves the old model intact.
Reading metadata and the layer table needs only h5py, so `models`/`inspect` are instant.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import stat as _stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Iterator

from workbench import files
from workbench.drawing.numbers import disk_full
from workbench.i18n.catalogue import tr
from workbench.i18n.language import DEFAULT as EN
from workbench.errors import BadInput, DiskFull, WorkbenchError

SCHEMA_VERSION = 1
ATTRIBUTE = "workbench"
DEFAULT_MODELS_DIR = "saved_models"


def models_dir(override: str | os.PathLike | None = None) -> Path:
    """--models-dir, else $WORKBENCH_MODELS, else ./saved_models."""
    return Path(override or os.environ.get("WORKBENCH_MODELS") or DEFAULT_MODELS_DIR)


def check_writable_target(path: Path) -> None:
    """Refuse, before any work, a target the save could not write: a name that is not
    .h5, a folder, a path under a file, a folder that exists but takes no new file (its
    permissions, a read-only disk), a folder that cannot be created, a read-only file."""
    path = Path(path)
    shown = repr(str(path))
    if path.suffix != ".h5":
        raise BadInput(f"--out must name an .h5 file, got {shown}")
    if _is_dir(path):
        raise BadInput(f"--out {shown} is a folder; name a file ending in .h5")
    folder = path.parent
    existing = _nearest_existing(path, folder)
    if not _is_dir(existing):
        raise BadInput(f"cannot write {shown}: {str(existing)!r} is not a folder")
    # Permission bits do not tell (root passes every access() check, yet /proc takes no
    # new file): create and remove a file where the save will create its own.
    try:
        fd, probe = tempfile.mkstemp(prefix=".workbench-probe-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        if disk_full(exc):
            raise _no_space(existing) from exc
        why = f"{str(existing)!r} does not take new files ({exc.strerror or exc})"
        if existing != folder:
            why = f"{str(folder)!r} cannot be created: {why}"
        raise BadInput(f"cannot write {shown}: {why}") from None
    if os.path.exists(path) and not os.access(path, os.W_OK):
        raise BadInput(f"cannot write {shown}: the file is read-only")


def _is_dir(path: Path) -> bool:
    try:
        return _stat.S_ISDIR(path.stat().st_mode)
    except OSError:  # not there, or behind a folder we may not search: not a folder we can use
        return False


def _nearest_existing(path: Path, folder: Path) -> Path:
    """`folder` or its nearest ancestor that exists (a file there: the folder can never be
    made); a symbolic link loop on the way is refused."""
    for candidate in [folder, *folder.parents]:
        try:
            candidate.stat()
        except (FileNotFoundError, NotADirectoryError, PermissionError):
            continue  # not there, under a file, or behind a folder we may not search
        except OSError as exc:
            what = "is a symbolic link loop" if exc.errno == errno.ELOOP else f"cannot be used ({exc.strerror or exc})"
            raise BadInput(f"cannot write {str(path)!r}: {str(candidate)!r} {what}") from None
        return candidate
    return Path(".")


def _no_space(folder: Path) -> DiskFull:
    shown = folder if str(folder) != "." else Path.cwd()
    return DiskFull(f"no space left on device for {shown} (free some space or use --models-dir)")


@contextlib.contextmanager
def _whole_or_disk_full(path: Path) -> Iterator[None]:
    """A full disk (or quota) while `path` is written becomes DiskFull, naming the folder:
    one line instead of HDF5's or PIL's words. `files.replacing` has already removed the
    unfinished file and left the old one as it was."""
    try:
        yield
    except WorkbenchError:
        raise
    except Exception as exc:
        if not disk_full(exc):
            raise
        raise _no_space(path.parent) from exc


def model_file_name(text: str) -> str | None:
    """A model's file name as typed in the app ("mine" or "mine.h5"): the name with its
    .h5, or None when blank (the lesson's own name). Names only: the models folder is
    where the app keeps and lists models."""
    name = text.strip()
    if not name:
        return None
    if "/" in name or "\\" in name or name in (".", ".."):
        raise BadInput(f"a file name, without folders: {name!r}")
    if name.startswith("."):
        raise BadInput(f"a visible file name, not starting with '.': {name!r}")
    if Path(name).suffix and Path(name).suffix != ".h5":
        raise BadInput(f"models are .h5 files; {name!r} ends in {Path(name).suffix!r}")
    return name if name.endswith(".h5") else f"{name}.h5"


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for dist in ("tensorflow", "keras", "keras-workbench"):
        try:
            found[dist] = version(dist)
        except PackageNotFoundError:
            pass
    return found


def save_model(model, path: str | os.PathLike, metadata: dict[str, Any]) -> Path:
    """Save `model` to `path` with `metadata` in the root attribute; atomically. A full
    disk is DiskFull, with nothing half-written and an older model of that name kept."""
    import h5py

    path = Path(path)
    record = {
        "schema": SCHEMA_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        **metadata,
    }
    with _whole_or_disk_full(path), files.replacing(path, ".h5") as tmp:  # Keras picks its writer by the suffix
        model.save(str(tmp))
        with h5py.File(tmp, "r+") as f:
            f.attrs[ATTRIBUTE] = json.dumps(record, default=_jsonable)
    return path


def save_png(pixels, path: str | os.PathLike) -> Path:
    """A grayscale (H, W) or colour (H, W, 3) image in [0, 1] as a PNG; atomically (a
    full disk: DiskFull, as for a model)."""
    import numpy as np
    from PIL import Image

    path = Path(path)
    array = np.clip(np.asarray(pixels, dtype="float64"), 0.0, 1.0)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    with _whole_or_disk_full(path), files.replacing(path, ".png") as tmp:
        Image.fromarray((array * 255).round().astype("uint8")).save(tmp, format="PNG")
    return path


def _jsonable(value: Any) -> Any:
    """numpy scalars and arrays in metrics become plain JSON numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in model metadata")


@dataclass(frozen=True)
class LayerInfo:
    name: str
    type: str
    params: int


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    metadata: dict[str, Any]  # empty for a Keras model not saved by the workbench
    layers: tuple[LayerInfo, ...]

    @property
    def lesson(self) -> str | None:
        return self.metadata.get("lesson")

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)


class Unreadable(BadInput):
    """A file in the models folder that is not a model we can read; `reason` says why in
    a few words ("empty file (0 bytes)"), for the listings."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


def describe(path: str | os.PathLike) -> ModelInfo:
    """Metadata and layer table of an .h5 model, read with h5py alone."""
    import h5py

    path = Path(path)
    shown = repr(str(path))
    try:
        status = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise Unreadable(f"{shown} is a symbolic link to {os.readlink(path)!r}, which does not exist",
                             tr(EN, "a broken symbolic link")) from None
        raise Unreadable(f"{shown} does not exist", tr(EN, "does not exist")) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Unreadable(f"{shown} is a symbolic link loop", tr(EN, "a symbolic link loop")) from None
        raise Unreadable(f"{shown} cannot be read ({exc.strerror or exc})", exc.strerror or str(exc)) from None
    if _stat.S_ISDIR(status.st_mode):
        raise Unreadable(f"{shown} is a folder, not an .h5 model", tr(EN, "a directory"))
    if not _stat.S_ISREG(status.st_mode):  # a pipe would hold the open below for good
        raise Unreadable(f"{shown} is not a regular file (a pipe, a socket or a device)",
                         tr(EN, "not a regular file"))
    if status.st_size == 0:
        raise Unreadable(f"{shown} is an empty file (0 bytes), not a model", tr(EN, "empty file (0 bytes)"))
    try:
        os.close(os.open(path, os.O_RDONLY))  # h5py would call this "not an HDF5 file"
    except PermissionError:
        raise Unreadable(f"{shown} cannot be read: permission denied", tr(EN, "permission denied")) from None
    except OSError as exc:
        raise Unreadable(f"{shown} cannot be read ({exc.strerror or exc})", exc.strerror or str(exc)) from None
    try:
        f = h5py.File(path, "r")
    except OSError:
        raise Unreadable(f"{shown} is not an HDF5 file (corrupt, truncated or another format)",
                         tr(EN, "not an HDF5 file")) from None
    with f:
        if "model_config" not in f.attrs:
            raise Unreadable(f"{shown} is an HDF5 file but not a Keras model",
                             tr(EN, "an HDF5 file without a Keras model"))
        try:
            config = json.loads(_text(f.attrs["model_config"]))
            metadata = json.loads(_text(f.attrs[ATTRIBUTE])) if ATTRIBUTE in f.attrs else {}
            weights = f.get("model_weights")
            layers = tuple(
                # registered classes are stored as "package>Class"; the table shows the class
                LayerInfo(layer["config"]["name"], layer["class_name"].split(">")[-1],
                          _count_params(weights, layer["config"]["name"]))
                for layer in config["config"]["layers"]
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise Unreadable(f"{shown} is a damaged Keras model ({exc})", tr(EN, "a damaged Keras model")) from None
    return ModelInfo(path, metadata, layers)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _count_params(weights, layer_name: str) -> int:
    import h5py

    if weights is None or layer_name not in weights:
        return 0
    total = 0

    def visit(_name, node):
        nonlocal total
        if isinstance(node, h5py.Dataset):
            total += int(node.size)

    weights[layer_name].visititems(visit)
    return total


def load_model(path: str | os.PathLike, *, lessons: Collection[str] | None = None):
    """Load a workbench model with Keras (safe_mode on); with `lessons`, only a model of
    one of those lessons is accepted."""
    info = describe(path)
    if lessons is not None and info.lesson not in lessons:
        what = f"a {info.lesson!r} model" if info.lesson else "not a workbench model"
        wanted = " or ".join(repr(lesson) for lesson in lessons) or "another kind of"
        raise BadInput(f"{str(info.path)!r} is {what}; this needs a {wanted} model")
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()  # importing Keras registers the lessons' classes (see workbench/__init__)
    import keras

    try:
        model = keras.models.load_model(info.path, safe_mode=True, compile=False)
    except Exception as exc:
        if "Weight count mismatch" in str(exc) and info.lesson:  # the lesson's model has changed
            raise BadInput(f"{str(info.path)!r} was saved by an earlier version of the "
                           f"{info.lesson!r} lesson, whose model kept other weights; its metadata "
                           f"still reads (workbench inspect), and 'workbench run {info.lesson}' "
                           "saves a model this version loads") from None
        raise BadInput(f"{str(info.path)!r} could not be loaded as a Keras model ({exc})") from None
    return model, info


def pictures_of(path: str | os.PathLike) -> list[Path]:
    """The PNGs a saved model lists as its own (beside it); [] for no or an unreadable file."""
    path = Path(path)
    try:
        names = describe(path).metadata.get("pictures", []) if path.exists() else []
    except BadInput:
        return []
    return [path.parent / name for name in names]


def delete_model(path: str | os.PathLike) -> list[Path]:
    """Remove a model and the pictures it lists; the paths removed."""
    removed = [p for p in [*pictures_of(path), Path(path)] if p.exists()]
    for p in removed:
        p.unlink()
    return removed


def list_models(folder: str | os.PathLike | None = None) -> list[ModelInfo]:
    """Every readable .h5 model in the models folder, newest first."""
    return scan_models(folder)[0]


def scan_models(folder: str | os.PathLike | None = None) -> tuple[list[ModelInfo], list[tuple[Path, str]]]:
    """The readable .h5 models in the models folder, newest first, and every other entry
    named `*.h5` with the reason it cannot be read (by name); a models folder that
    cannot be listed is itself such an entry. Hidden names (another process's unfinished
    save) are passed over."""
    folder = models_dir(folder)
    found, unreadable = [], []
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith(".h5") and not e.name.startswith("."))
    except (FileNotFoundError, NotADirectoryError):
        names = []  # no models yet (a file in its place is refused when a run would save)
    except PermissionError:
        names = []
        unreadable.append((folder, tr(EN, "permission denied")))
    except OSError as exc:
        names = []
        unreadable.append((folder, tr(EN, "a symbolic link loop") if exc.errno == errno.ELOOP
                           else exc.strerror or str(exc)))
    for name in names:
        path = folder / name
        try:
            found.append(describe(path))
        except Unreadable as exc:
            unreadable.append((path, exc.reason))
    return sorted(found, key=lambda info: info.metadata.get("created", ""), reverse=True), unreadable


def key_metric(metadata: dict[str, Any]) -> tuple[str, Any] | None:
    """The number a learner compares models by: the one its lesson declares (`key_metric`
    in the metadata, or the installed lesson's declaration for older files)."""
    from workbench import registry

    lesson = registry.find(metadata.get("lesson"))
    name = metadata.get("key_metric") or (lesson.key_metric if lesson else "test_accuracy")
    metrics = metadata.get("metrics", {})
    return (name, metrics[name]) if name in metrics else None
