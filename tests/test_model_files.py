"""Model files: what a killed save leaves is cleaned up, files get the umask's mode, a full
disk is one line with the old model untouched, a folder that cannot take the model is
refused before any work, and every file in the models folder that is not a model we can
read is listed with its reason.

Every fault is made for real where this machine allows it (files of each bad kind, chmod,
a process killed with SIGKILL mid-save, a tiny disk or a user namespace where `unshare`
works). Where it cannot be (root reads a chmod-000 file; no real disk fills on demand),
a stand-in raises exactly what the operating system or HDF5 would."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import one_line_error, run_cli
from workbench import files
from workbench.errors import BadInput, DiskFull
from workbench.results import store

ROOT = os.geteuid() == 0  # chmod does not keep root out: a stand-in refuses instead


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def tiny_model(seed: int = 0):
    from workbench.running.quiet import import_tensorflow

    import_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(3, name="dense")(inputs))


META = {"lesson": "knn", "params": {"k": 3}, "dataset": "digits", "metrics": {"test_accuracy": 0.5}}


def denied(monkeypatch, *paths: Path) -> None:
    """`paths` unreadable: chmod 000, and for root (whom chmod does not stop) `os.open`
    refusing them as the kernel refuses anyone else."""
    for path in paths:
        path.chmod(0o000)
    if not ROOT:
        return
    real_open = os.open
    refused = {str(p) for p in paths}

    def open_(path, flags, *args, **kwargs):
        if str(path) in refused:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)


# -- partial files of killed saves ---------------------------------------------------------

def test_a_dead_writers_partial_file_is_removed_by_the_next_save_and_a_live_ones_kept(tmp_path):
    dead = tmp_path / f".knn.{_dead_pid()}-0123abcd.partial.h5"
    live = tmp_path / f".knn.{os.getpid()}-89abcdef.partial.h5"
    old_unowned = tmp_path / ".knn.fedcba98.partial.h5"  # named before writers gave their pid
    new_unowned = tmp_path / ".lstm.76543210.partial.h5"
    someone_elses = tmp_path / ".notes.txt"
    for path in (dead, live, old_unowned, new_unowned, someone_elses):
        path.write_bytes(b"half a model")
    hours_ago = time.time() - 2 * 3600
    os.utime(old_unowned, (hours_ago, hours_ago))
    files.write_text(tmp_path / "knn.txt", "whole")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([live.name, new_unowned.name, someone_elses.name, "knn.txt"])


KILLED_MID_SAVE = """
import os, signal, sys
from pathlib import Path
from workbench import files

with files.replacing(Path(sys.argv[1])) as temporary:
    temporary.write_bytes(b"half a model")
    os.kill(os.getpid(), signal.SIGKILL)  # as kill -9 or a power cut would end it
"""


def test_a_save_killed_with_sigkill_leaves_a_partial_file_that_the_next_save_removes(tmp_path):
    target = tmp_path / "knn.h5"
    store.save_model(tiny_model(0), target, META)
    before = target.read_bytes()
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_SAVE, str(target)],
                            cwd=Path(__file__).parents[1], capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    partial = [p for p in tmp_path.iterdir() if p.name.endswith(".partial.h5")]
    assert len(partial) == 1 and partial[0].name.startswith(".knn.")
    assert target.read_bytes() == before  # the old model whole
    assert [info.path for info in store.list_models(tmp_path)] == [target]  # the partial is hidden
    live = tmp_path / f".lstm.{os.getpid()}-0badcafe.partial.h5"  # a save under way in this process
    live.write_bytes(b"half")
    store.save_model(tiny_model(1), tmp_path / "linear.h5", META)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["knn.h5", "linear.h5", live.name])


# -- the mode a new file gets ---------------------------------------------------------------

@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_files_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        files.write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == mode


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_saved_models_and_pictures_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    import numpy as np

    model = tiny_model()
    previous = os.umask(umask)
    try:
        saved = store.save_model(model, tmp_path / "m.h5", META)
        resaved = store.save_model(model, saved, META)  # replacing a model: a new file, same mode
        picture = store.save_png(np.zeros((4, 4)), tmp_path / "m-filters.png")
    finally:
        os.umask(previous)
    assert {p.stat().st_mode & 0o777 for p in (saved, resaved, picture)} == {mode}


# -- a full disk ----------------------------------------------------------------------------

NO_SPACE = "no space left on device for {} (free some space or use --models-dir)"


def hdf5_fills_the_disk(monkeypatch):
    """h5py's files write what they can, then fail to close as HDF5 does on a full disk
    (`OSError: [Errno 28] Can't close file (file write failed: ...)`)."""
    import h5py

    class FullDisk(h5py.File):
        def close(self):
            writable = self.id.valid and self.mode == "r+"
            super().close()
            if writable:
                raise OSError(errno.ENOSPC, "Can't close file (file write failed: errno = 28, "
                                            "error message = 'No space left on device')")

    monkeypatch.setattr(h5py, "File", FullDisk)


def test_a_full_disk_while_saving_a_model_keeps_the_old_model_and_leaves_no_partial(tmp_path, monkeypatch):
    target = store.save_model(tiny_model(0), tmp_path / "knn.h5", META)
    before = target.read_bytes()
    model = tiny_model(1)
    hdf5_fills_the_disk(monkeypatch)
    with pytest.raises(DiskFull) as raised:
        store.save_model(model, target, META)
    assert str(raised.value) == NO_SPACE.format(tmp_path)
    assert raised.value.exit_code == 1
    assert raised.value.__cause__.errno == errno.ENOSPC  # the runner's disk_full() still sees it
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["knn.h5"]


def test_a_full_disk_at_the_last_sync_is_the_same(tmp_path, monkeypatch):
    target = store.save_model(tiny_model(0), tmp_path / "knn.h5", META)
    before = target.read_bytes()
    model = tiny_model(1)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(DiskFull, match="^no space left on device for "):
        store.save_model(model, target, META)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["knn.h5"]


def test_a_full_disk_while_saving_a_picture_keeps_the_old_picture(tmp_path, monkeypatch):
    import numpy as np
    from PIL import Image

    picture = store.save_png(np.zeros((4, 4)), tmp_path / "knn-neighbours.png")
    before = picture.read_bytes()
    real_save = Image.Image.save

    def save_then_fill(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", save_then_fill)
    with pytest.raises(DiskFull) as raised:
        store.save_png(np.ones((4, 4)), picture)
    monkeypatch.setattr(Image.Image, "save", real_save)
    assert str(raised.value) == NO_SPACE.format(tmp_path)
    assert picture.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["knn-neighbours.png"]


def test_a_full_disk_during_a_run_is_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    from workbench.cli.main import main

    folder = tmp_path / "models"
    folder.mkdir()
    old = folder / "knn.h5"
    store.save_model(tiny_model(0), old, META)
    before = old.read_bytes()
    hdf5_fills_the_disk(monkeypatch)
    code = main(["run", "knn", "--set", "folds=0", "--quiet", "--no-tensorboard", "--models-dir", str(folder)])
    out, err = capsys.readouterr()
    assert (code, out) == (1, "")
    assert err.splitlines() == [f"workbench: error: {NO_SPACE.format(folder)}"]
    assert old.read_bytes() == before
    assert not [p for p in folder.iterdir() if ".partial" in p.name]


def test_a_full_disk_for_real_keeps_the_old_model(tmp_path, saved_knn):
    """A tmpfs too small for a second model, mounted in a mount namespace of the child's own."""
    from tests.test_run_lifecycle import can_mount_a_small_disk

    disk = tmp_path / "disk"
    disk.mkdir()
    if not can_mount_a_small_disk(disk):
        pytest.skip("no user and mount namespaces here (unshare) to mount a small disk in")
    size_k = (saved_knn.stat().st_size + 200_000) // 1024  # the old model and the history fit, a new model not
    script = (f'mount -t tmpfs -o size={size_k}k tmpfs "{disk}" && cp "{saved_knn}" "{disk}/knn.h5" && '
              f'"{sys.executable}" -m workbench run knn --set folds=0 --seed 7 --quiet --no-tensorboard '
              f'--models-dir "{disk}"; echo "rc=$?"; cmp "{saved_knn}" "{disk}/knn.h5" && echo same; ls -A "{disk}"')
    proc = subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c", script], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parents[1])
    assert proc.stderr.splitlines() == [f"workbench: error: {NO_SPACE.format(disk)}"]
    assert proc.stdout.split() == ["rc=1", "same", "history.sqlite", "knn.h5"]


# -- a folder that cannot take the model: refused before any work ----------------------------

def probe_refused(monkeypatch, folder: Path, code: int = errno.EACCES) -> None:
    """For root, whom chmod does not stop: creating a file in `folder` fails with `code`."""
    import tempfile

    real = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == folder:
            raise OSError(code, os.strerror(code), str(folder))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


@pytest.fixture
def locked(tmp_path, monkeypatch):
    """`tmp_path/locked`, a folder that takes no new file (chmod 555; a stand-in for root)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    if ROOT:
        probe_refused(monkeypatch, folder)
    yield folder
    folder.chmod(0o755)


def test_a_folder_that_exists_but_takes_no_file_is_refused(locked):
    with pytest.raises(BadInput) as refused:
        store.check_writable_target(locked / "knn.h5")
    assert str(refused.value) == f"cannot write '{locked}/knn.h5': '{locked}' does not take new files (Permission denied)"
    assert list(locked.iterdir()) == []


def test_a_folder_that_cannot_be_created_is_refused(locked):
    with pytest.raises(BadInput) as refused:
        store.check_writable_target(locked / "new" / "deeper" / "knn.h5")
    assert str(refused.value) == (f"cannot write '{locked}/new/deeper/knn.h5': '{locked}/new/deeper' cannot be "
                                  f"created: '{locked}' does not take new files (Permission denied)")
    assert list(locked.iterdir()) == []


def test_a_folder_under_a_file_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(BadInput) as refused:
        store.check_writable_target(tmp_path / "notes.txt" / "models" / "knn.h5")
    assert str(refused.value) == f"cannot write '{tmp_path}/notes.txt/models/knn.h5': '{tmp_path}/notes.txt' is not a folder"


def test_a_folder_on_a_disk_without_a_free_inode_is_disk_full(tmp_path, monkeypatch):
    probe_refused(monkeypatch, tmp_path, errno.ENOSPC)
    with pytest.raises(DiskFull) as refused:
        store.check_writable_target(tmp_path / "knn.h5")
    assert str(refused.value) == NO_SPACE.format(tmp_path)


def test_a_symbolic_link_loop_for_a_folder_is_refused(tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(BadInput) as refused:
        store.check_writable_target(tmp_path / "loop" / "knn.h5")
    assert str(refused.value) == f"cannot write '{tmp_path}/loop/knn.h5': '{tmp_path}/loop' is a symbolic link loop"


def as_a_learner() -> list[str] | None:
    """The prefix that runs a command as a user chmod applies to: none needed for a
    non-root user; for root a user namespace mapping it to uid 1000, where `unshare`
    allows one; None where neither is possible."""
    if not ROOT:
        return []
    if shutil.which("unshare") and subprocess.run(
            ["unshare", "--user", "--map-user=1000", "--map-group=1000", "true"], capture_output=True).returncode == 0:
        return ["unshare", "--user", "--map-user=1000", "--map-group=1000"]
    return None


@pytest.mark.parametrize("where, said", [
    ("locked", "'{locked}' does not take new files (Permission denied)"),
    ("locked/new", "'{locked}/new' cannot be created: '{locked}' does not take new files (Permission denied)"),
])
def test_run_into_a_folder_it_cannot_write_is_one_line_exit_2_before_any_work(tmp_path, where, said):
    prefix = as_a_learner()
    if prefix is None:
        pytest.skip("root without user namespaces: the stand-in tests above cover this")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        proc = subprocess.run([*prefix, sys.executable, "-m", "workbench", "run", "knn", "--models-dir",
                               str(tmp_path / where)], capture_output=True, text=True, timeout=300,
                              cwd=Path(__file__).parents[1])
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 2
    assert one_line_error(proc) == (f"workbench: error: cannot write '{tmp_path / where}/knn.h5': "
                                    + said.format(locked=locked))
    assert proc.stdout == "" and list(locked.iterdir()) == []


# -- files in the models folder that are not models: listed, each with its reason ---------

BAD_FILES = {"dangling.h5": "a broken symbolic link", "dir.h5": "a directory",
             "empty.h5": "empty file (0 bytes)", "fifo.h5": "not a regular file",
             "loop.h5": "a symbolic link loop", "plain.h5": "an HDF5 file without a Keras model",
             "text.h5": "not an HDF5 file"}


@pytest.fixture
def mixed_folder(tmp_path, saved_knn):
    import h5py

    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(saved_knn, folder / "knn.h5")
    (folder / "dangling.h5").symlink_to("gone.h5")
    (folder / "dir.h5").mkdir()
    (folder / "empty.h5").write_bytes(b"")
    os.mkfifo(folder / "fifo.h5")  # opening it to read would wait for a writer for good
    (folder / "loop.h5").symlink_to("loop.h5")
    with h5py.File(folder / "plain.h5", "w") as f:
        f.create_dataset("x", data=[1.0])
    (folder / "text.h5").write_text("not a model\n")
    return folder


def test_models_lists_every_unreadable_file_with_its_reason(mixed_folder):
    listed = run_cli("models", "--models-dir", str(mixed_folder), "--json")
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    assert [m["path"] for m in report["models"]] == [str(mixed_folder / "knn.h5")]
    assert set(report["models"][0]) >= {"path", "lesson", "variant", "created", "dataset", "key_metric"}
    assert report["unreadable"] == [{"path": str(mixed_folder / name), "reason": reason}
                                    for name, reason in sorted(BAD_FILES.items())]
    text = run_cli("models", "--models-dir", str(mixed_folder))
    assert text.returncode == 0 and "knn.h5" in text.stdout
    assert text.stderr.splitlines() == [f"workbench: warning: {mixed_folder / name} is not listed: {reason}"
                                        for name, reason in sorted(BAD_FILES.items())]


def test_a_file_without_read_permission_is_listed_as_such(mixed_folder, monkeypatch, capsys):
    from workbench.cli.main import main

    secret = mixed_folder / "secret.h5"
    shutil.copy(mixed_folder / "knn.h5", secret)
    denied(monkeypatch, secret)
    try:
        assert main(["models", "--models-dir", str(mixed_folder), "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert {"path": str(secret), "reason": "permission denied"} in report["unreadable"]
        assert [m["path"] for m in report["models"]] == [str(mixed_folder / "knn.h5")]
        assert main(["models", "--models-dir", str(mixed_folder)]) == 0
        assert f"workbench: warning: {secret} is not listed: permission denied" in capsys.readouterr().err.splitlines()
    finally:
        secret.chmod(0o644)


def test_a_models_folder_that_cannot_be_listed_says_so(tmp_path, monkeypatch, capsys):
    from workbench.cli.main import main

    folder = tmp_path / "models"
    folder.mkdir()
    folder.chmod(0o000)
    if ROOT:
        real = os.scandir

        def scandir(path="."):
            if Path(path) == folder:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real(path)

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        assert main(["models", "--models-dir", str(folder), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["unreadable"] == [
            {"path": str(folder), "reason": "permission denied"}]
        assert main(["models", "--models-dir", str(folder)]) == 0
        out, err = capsys.readouterr()
        assert (out, err) == ("", f"workbench: warning: {folder} is not listed: permission denied\n")
    finally:
        folder.chmod(0o755)


def test_inspect_says_permission_denied_and_symbolic_link_loop(mixed_folder, monkeypatch, capsys):
    from workbench.cli.main import main

    loop = run_cli("inspect", str(mixed_folder / "loop.h5"))
    assert loop.returncode == 2
    assert one_line_error(loop) == f"workbench: error: '{mixed_folder / 'loop.h5'}' is a symbolic link loop"
    fifo = run_cli("inspect", str(mixed_folder / "fifo.h5"), timeout=60)
    assert one_line_error(fifo) == (f"workbench: error: '{mixed_folder / 'fifo.h5'}' is not a regular file "
                                    f"(a pipe, a socket or a device)")
    knn = mixed_folder / "knn.h5"
    denied(monkeypatch, knn)
    try:
        assert main(["inspect", str(knn)]) == 2
        assert capsys.readouterr().err == f"workbench: error: '{knn}' cannot be read: permission denied\n"
        with pytest.raises(store.Unreadable) as refused:
            store.describe(knn)
        assert refused.value.reason == "permission denied"
    finally:
        knn.chmod(0o644)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_models_screen_greys_the_unreadable_files_with_their_reasons(mixed_folder, lang, monkeypatch):
    from textual.widgets import DataTable, Static

    from workbench.i18n.catalogue import tr
    from workbench.tui.app import WorkbenchApp

    secret = mixed_folder / "secret.h5"
    shutil.copy(mixed_folder / "knn.h5", secret)
    denied(monkeypatch, secret)
    unreadable = {**BAD_FILES, "secret.h5": "permission denied"}
    monkeypatch.setenv("WORKBENCH_LANG", lang)
    app = WorkbenchApp(models_dir=str(mixed_folder), preload_tensorflow=False)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("m")
            await pilot.pause()
            table = app.screen.query_one(DataTable)
            rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
            assert rows[0][0] == "knn.h5"
            assert [(row[0], row[1]) for row in rows[1:]] == [  # the reason where a key metric goes
                (name, tr(lang, reason)) for name, reason in sorted(unreadable.items())]
            assert all(cell.style.startswith("dim") for cell in table.get_row_at(1))  # greyed
            table.move_cursor(row=[row[0] for row in rows].index("secret.h5"))
            await pilot.pause()
            shown = str(app.screen.query_one("#model-info", Static).render())
            assert shown == f"workbench: error: '{secret}' cannot be read: permission denied"
            await pilot.press("d")  # not a model: nothing deleted, nothing asked
            await pilot.pause()
            assert secret.exists() and app.screen.id == "models-screen"
    finally:
        secret.chmod(0o644)
