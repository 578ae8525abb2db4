"""Model files: what a killed save leaves is cleaned up, files get the umask's mode, and a
full disk is one line with the old model untouched."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time

import pytest

from workbench import files


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


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


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_files_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        files.write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(previous)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == mode


def test_a_full_disk_during_a_save_leaves_the_old_file_and_no_partial(tmp_path, monkeypatch):
    target = tmp_path / "knn.txt"
    target.write_text("the old model")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError) as raised:
        files.write_text(target, "the new model")
    assert raised.value.errno == errno.ENOSPC
    assert target.read_text() == "the old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["knn.txt"]


def test_a_full_disk_is_one_line_on_the_command_line(tmp_path):
    from workbench.drawing.numbers import error_line

    exc = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "knn.h5"))
    assert error_line(exc) == (f"workbench: error: no space left on device for {tmp_path / 'knn.h5'} "
                               f"(free some space or use --models-dir)")
    # HDF5's own words, as h5py raises them when a save fills the disk
    hdf5 = OSError("[Errno 28] Can't close file (file write failed: time = Sat Dec  5, filename = "
                   "'knn.h5', file descriptor = 7, errno = 28, error message = 'No space left on "
                   "device', buf = 0x1, total write size = 4096)")
    assert error_line(hdf5).startswith("workbench: error: no space left on device")
    assert "\n" not in error_line(hdf5)


# -- files in the models folder that are not models: listed, each with its reason ---------

BAD_FILES = {"dir.h5": "a directory", "empty.h5": "empty file (0 bytes)",
             "loop.h5": "a symbolic link loop", "plain.h5": "an HDF5 file without a Keras model",
             "text.h5": "not an HDF5 file"}


@pytest.fixture
def mixed_folder(tmp_path, saved_knn):
    import shutil

    import h5py

    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(saved_knn, folder / "knn.h5")
    (folder / "dir.h5").mkdir()
    (folder / "empty.h5").write_bytes(b"")
    (folder / "loop.h5").symlink_to("loop.h5")
    with h5py.File(folder / "plain.h5", "w") as f:
        f.create_dataset("x", data=[1.0])
    (folder / "text.h5").write_text("not a model\n")
    return folder


def test_models_lists_every_unreadable_file_with_its_reason(mixed_folder):
    import json

    from tests.conftest import run_cli

    listed = run_cli("models", "--models-dir", str(mixed_folder), "--json")
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    assert [m["path"] for m in report["models"]] == [str(mixed_folder / "knn.h5")]
    assert report["unreadable"] == [{"path": str(mixed_folder / name), "reason": reason}
                                    for name, reason in sorted(BAD_FILES.items())]
    text = run_cli("models", "--models-dir", str(mixed_folder))
    assert text.returncode == 0 and "knn.h5" in text.stdout
    assert text.stderr.splitlines() == [f"workbench: warning: {mixed_folder / name} is not listed: {reason}"
                                        for name, reason in sorted(BAD_FILES.items())]


def test_inspect_says_permission_denied_and_symbolic_link_loop(mixed_folder, monkeypatch):
    from workbench.errors import BadInput
    from workbench.results import store

    with pytest.raises(BadInput, match="is a symbolic link loop$"):
        store.describe(mixed_folder / "loop.h5")
    real_open = os.open

    def refused(path, flags, *args):  # what chmod 000 does to anyone but root
        if str(path).endswith("knn.h5"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refused)
    with pytest.raises(store.Unreadable) as denied:
        store.describe(mixed_folder / "knn.h5")
    assert str(denied.value) == f"{str(mixed_folder / 'knn.h5')!r} cannot be read: permission denied"
    assert store.scan_models(mixed_folder)[1][2] == (mixed_folder / "knn.h5", "permission denied")


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_models_screen_greys_the_unreadable_files_with_their_reasons(mixed_folder, lang, monkeypatch):
    from textual.widgets import DataTable

    from workbench.i18n.catalogue import tr
    from workbench.tui.app import WorkbenchApp

    monkeypatch.setenv("WORKBENCH_LANG", lang)
    app = WorkbenchApp(models_dir=str(mixed_folder), preload_tensorflow=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("m")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][0] == "knn.h5"
        assert [(row[0], row[1]) for row in rows[1:]] == [  # the reason where a key metric goes
            (name, tr(lang, reason)) for name, reason in sorted(BAD_FILES.items())]
        table.move_cursor(row=2)  # empty.h5: its reason in the details, in one line
        await pilot.pause()
        await pilot.press("d")  # not a model: nothing deleted, nothing asked
        await pilot.pause()
        assert (mixed_folder / "empty.h5").exists()


def test_a_pipe_named_like_a_model_is_listed_not_waited_on(tmp_path):
    from workbench.results import store

    os.mkfifo(tmp_path / "pipe.h5")  # opening it for reading would wait for a writer for ever
    assert store.scan_models(tmp_path) == ([], [(tmp_path / "pipe.h5", "not a regular file")])
