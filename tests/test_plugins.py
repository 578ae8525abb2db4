"""Lessons are plug-ins: a lesson pack installed beside the workbench shows up everywhere,
and one that is broken is reported in one line and skipped.

"Installed" here is what pip leaves on sys.path: the package and a `.dist-info` folder
whose entry_points.txt names the lesson. The pack is the template in examples/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
from textual.widgets import ListView, Markdown

from tests.conftest import OWN_DISTRIBUTION, one_line_error, run_cli
from workbench import registry

PACK = Path(__file__).resolve().parents[1] / "examples" / "lesson_pack"


def install(folder: Path, name: str, entry_points: dict[str, str], package: Path | None = None) -> Path:
    """Put a distribution `name` with these `workbench.lessons` entry points into `folder`."""
    if package is not None:
        shutil.copytree(package, folder / package.name)
    info = folder / f"{name.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1.0\n")
    lines = "".join(f"{key} = {value}\n" for key, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[workbench.lessons]\n{lines}")
    return folder


def packs(site: Path) -> str:
    """WORKBENCH_PACKS for this distribution and the packs installed in `site`."""
    names = [re.search(r"^Name: (.+)$", (info / "METADATA").read_text(), re.M).group(1)
             for info in sorted(site.glob("*.dist-info"))]
    return ",".join([OWN_DISTRIBUTION, *names])


def env_for(site: Path) -> dict[str, str]:
    """A child's environment that finds and loads the packs installed in `site`."""
    return {"PYTHONPATH": str(site), "WORKBENCH_PACKS": packs(site)}


@pytest.fixture
def hello_pack(tmp_path) -> Path:
    """The example lesson pack, installed in a folder of its own, as its pyproject says."""
    text = (PACK / "pyproject.toml").read_text()  # (tomllib is 3.11+; this file is simple)
    name = re.search(r'^name = "(.+)"$', text, re.M).group(1)
    section = text.split('[project.entry-points."workbench.lessons"]')[1].split("\n[")[0]
    entry_points = dict(re.findall(r'^(\w+) = "(.+)"$', section, re.M))
    assert entry_points == {"hello": "hello_lesson:LESSON"}
    return install(tmp_path / "site", name, entry_points, PACK / "hello_lesson")


@pytest.fixture
def on_path(monkeypatch):
    """Add a folder to this process's sys.path and rediscover; undone after the test."""
    def add(folder: Path) -> None:
        monkeypatch.syspath_prepend(str(folder))
        monkeypatch.setenv("WORKBENCH_PACKS", packs(folder))
        registry.refresh()

    yield add
    registry.refresh()
    for module in [m for m in sys.modules if m.startswith("hello_lesson")]:
        del sys.modules[module]


def test_the_example_pack_lists_shows_and_runs_end_to_end(hello_pack, tmp_path):
    env = env_for(hello_pack)
    listed = run_cli("list", "--json", env=env)
    assert listed.returncode == 0 and listed.stderr == ""
    ids = [lesson["id"] for lesson in json.loads(listed.stdout)["lessons"]]
    # Position 4 (the course's neural networks) puts it after backprop (also section 4, and
    # before it by id) and before training (6).
    assert ids[ids.index("hello") - 1: ids.index("hello") + 2] == ["backprop", "hello", "training"]

    shown = run_cli("show", "hello", env=env)
    assert shown.returncode == 0
    assert "Two-layer network" in shown.stdout and "hidden" in shown.stdout

    models = tmp_path / "models"
    ran = run_cli("run", "hello", "--set", "epochs=2", "--json", "--quiet",
                  "--models-dir", str(models), env=env)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["lesson"] == "hello" and result["params"] == {"hidden": 32, "epochs": 2,
                                                                "learning_rate": 0.01}
    assert 0.5 < result["metrics"]["test_accuracy"] <= 1.0  # 2 epochs of a real net on digits
    with h5py.File(models / "hello.h5", "r") as f:
        meta = json.loads(f.attrs["workbench"])
    assert meta["metrics"] == result["metrics"] and len(meta["history"]) == 2
    assert meta["key_metric"] == "test_accuracy"

    refused = run_cli("run", "hello", "--set", "hidden=0", "--models-dir", str(models), env=env)
    assert refused.returncode == 2
    assert one_line_error(refused) == "workbench: error: hidden must be 1..4096; got 0"


async def test_the_example_pack_appears_in_the_apps_sidebar(hello_pack, on_path, tmp_path):
    from workbench.tui.app import WorkbenchApp

    on_path(hello_pack)
    app = WorkbenchApp(models_dir=str(tmp_path / "models"), preload_tensorflow=False)
    async with app.run_test(size=(100, 30)) as pilot:
        items = [item.id for item in app.screen.query_one("#lessons", ListView).children]
        assert items == [f"lesson-{lesson.id}" for lesson in registry.lessons()]
        assert "lesson-hello" in items, [b.line() for b in registry.catalog().broken]
        app.screen.select_lesson("hello")
        await pilot.pause()
        assert app.screen.query_one("#notes", Markdown).source.startswith("# Two-layer network")
        assert app.screen.form.query_one("#param-hidden").value == "32"


def test_a_broken_plug_in_is_reported_in_one_line_and_skipped(tmp_path):
    site = install(tmp_path / "site", "broken-pack", {"missing": "no_such_module:LESSON",
                                                      "notalesson": "json:dumps"})
    env = env_for(site)
    listed = run_cli("list", "--json", env=env)
    assert listed.returncode == 0
    warnings = listed.stderr.splitlines()
    assert warnings == [
        "workbench: warning: lesson plug-in 'missing' (no_such_module:LESSON) skipped: "
        "ModuleNotFoundError: No module named 'no_such_module'",
        "workbench: warning: lesson plug-in 'notalesson' (json:dumps) skipped: "
        "TypeError: it names a function, not a workbench Lesson",
    ]
    ids = [lesson["id"] for lesson in json.loads(listed.stdout)["lessons"]]
    assert ids == [lesson.id for lesson in registry.lessons()]  # the rest, all there
    # Everything else goes on working; the broken one is simply unknown.
    assert run_cli("show", "knn", env=env).returncode == 0
    unknown = run_cli("run", "missing", env=env)
    assert unknown.returncode == 2 and "unknown lesson 'missing'" in one_line_error(unknown)


def test_an_entry_point_must_carry_its_lessons_id(tmp_path, on_path):
    site = install(tmp_path / "site", "clash-pack", {"knn2": "lessons.linear:LESSON"})
    on_path(site)
    assert [b.line() for b in registry.catalog().broken] == [
        "lesson plug-in 'knn2' (lessons.linear:LESSON) skipped: ValueError: the entry point is "
        "named 'knn2' but the lesson's id is 'linear'"]
    assert [lesson.id for lesson in registry.lessons()].count("linear") == 1


def test_the_example_pack_passes_its_own_tests_with_the_conformance_kit(hello_pack):
    # As the pack's author runs them: its tests, its own pytest configuration, installed.
    tests = shutil.copytree(PACK / "tests", hello_pack / "tests")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-c", str(PACK / "pyproject.toml"), "--rootdir", str(hello_pack), str(tests)],
                          capture_output=True, text=True, cwd=hello_pack, timeout=300,
                          env={**os.environ, **env_for(hello_pack)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


def test_the_kit_fails_a_pack_whose_path_reads_a_heading_its_notes_lack(hello_pack, on_path):
    from workbench import conformance

    path = hello_pack / "hello_lesson" / "path.py"
    path.write_text(path.read_text().replace('section="Two-layer network"', 'section="Nowhere"'))
    on_path(hello_pack)
    found = conformance.problems("hello")
    assert found == ["step 1 reads 'Nowhere', which is not a heading of notes.md"], found
