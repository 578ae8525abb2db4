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


@pytest.mark.parametrize("seed", ["4294967296", "1e23", "-1"])
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
