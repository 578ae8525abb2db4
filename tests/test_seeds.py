"""Seeds and lengths out of range are refused before any work, for `run` and `generate`:
one line, exit 2, nothing written or printed."""

from __future__ import annotations

import pytest

from tests.conftest import one_line_error, run_cli

BAD_SEEDS = {
    "4294967296": "seed must be 0..4294967295; got 4294967296",
    "-1": "seed must be 0..4294967295; got -1",
    "1e23": "seed: expected an integer, got '1e23'",
    "1.5": "seed: expected an integer, got '1.5'",
    "abc": "seed: expected an integer, got 'abc'",
    "True": "seed: expected an integer, got 'True'",
    "": "seed: expected an integer, got ''",
}


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    import workbench

    folder = tmp_path_factory.mktemp("lstm")
    return workbench.run("lstm", models_dir=str(folder), max_chars=3000, epochs=1, units=16).model_path


@pytest.mark.parametrize("seed", list(BAD_SEEDS))
def test_run_refuses_a_seed_out_of_range_before_any_work(seed, tmp_path):
    proc = run_cli("run", "knn", f"--seed={seed}", "--models-dir", str(tmp_path / "m"))
    assert proc.returncode == 2
    assert one_line_error(proc) == (f"workbench: error: argument --seed: {BAD_SEEDS[seed]} "
                                    f"(see 'workbench run --help')")
    assert proc.stdout == "" and not (tmp_path / "m").exists()


def test_the_largest_seed_runs():
    from workbench.running import runner

    assert runner.prepare("knn", {}, None, 2**32 - 1).seed == 2**32 - 1


@pytest.mark.parametrize("seed, message", [
    (True, "seed: expected an integer, got True"),
    (1.5, "seed: expected an integer, got 1.5"),
    (-1, "seed must be 0..4294967295; got -1"),
    (2**32, "seed must be 0..4294967295; got 4294967296"),
    (1e23, "seed must be 0..4294967295; got 99999999999999991611392"),
    (float("nan"), "seed: expected an integer, got nan"),
    ("abc", "seed: expected an integer, got 'abc'"),
])
def test_the_python_api_refuses_a_seed_out_of_range_before_any_work(seed, message, tmp_path):
    import workbench
    from workbench.errors import BadInput

    with pytest.raises(BadInput) as refused:
        workbench.run("knn", seed=seed, models_dir=str(tmp_path / "m"))
    assert str(refused.value) == message
    assert not (tmp_path / "m").exists()


@pytest.mark.parametrize("seed", ["4294967296", "1e23", "-1", "1.5", "abc", "True"])
def test_generate_refuses_a_seed_out_of_range_before_printing(seed, text_model):
    proc = run_cli("generate", text_model, f"--seed={seed}", "--prime", "th")
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_line_error(proc) == (f"workbench: error: argument --seed: {BAD_SEEDS[seed]} "
                                    f"(see 'workbench generate --help')")


def test_generate_length_zero_prints_nothing_and_negative_is_refused(text_model):
    nothing = run_cli("generate", text_model, "--length", "0", "--prime", "th")
    assert (nothing.returncode, nothing.stdout) == (0, "")
    negative = run_cli("generate", text_model, "--length=-1")
    assert negative.returncode == 2 and negative.stdout == ""
    assert one_line_error(negative) == ("workbench: error: argument --length: length must be "
                                        "0..100000; got -1 (see 'workbench generate --help')")


# -- the Generate screen's seed and length fields --------------------------------------------

async def test_the_generate_screen_refuses_a_seed_out_of_range_and_generates_nothing(models_dir):
    from textual.widgets import Button, Input, Label

    from workbench.tui.app import WorkbenchApp

    app = WorkbenchApp(models_dir=str(models_dir), preload_tensorflow=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#param-seed", Input).value = "4294967296"
        await pilot.pause()
        screen.query_one("#generate", Button).press()
        await pilot.pause()
        shown = str(screen.query_one("#field-seed .field-error", Label).render())
        assert shown == f"✗ {BAD_SEEDS['4294967296']}"
        assert screen.stop_event is None


async def test_the_generate_screen_with_length_zero_shows_no_text(text_model):
    from pathlib import Path

    from textual.widgets import Input, Select, Static, TextArea

    from workbench.tui.app import WorkbenchApp

    app = WorkbenchApp(models_dir=str(Path(text_model).parent), preload_tensorflow=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        screen = app.screen
        assert screen.query_one("#generate-model", Select).value == text_model
        screen.query_one("#param-prime", Input).value = "th"
        screen.query_one("#param-length", Input).value = "0"
        screen.query_one("#param-seed", Input).focus()
        await pilot.press("ctrl+r")
        await pilot.pause()
        await app.workers.wait_for_complete()  # the model loaded, nothing sampled
        await pilot.pause()
        assert screen.stop_event is None
        assert screen.query_one("#generated", TextArea).text == ""
        assert str(screen.query_one("#generate-status", Static).render()).startswith("✓ 0 characters in ")
