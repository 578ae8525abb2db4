"""The Run tab as a learner meets it at 100x30, in English and Chinese, and the key-result
explanations, which are worded from the run's own numbers (checked on both sides of each
threshold with hand-made metrics)."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console
from textual.widgets import Collapsible, Label, Static

from tests.test_app import make_app, run_to_end, set_value
from workbench import registry
from workbench.cli.progress import EpochCount
from workbench.drawing import tables
from workbench.i18n.catalogue import tr
from workbench.tui.widgets.run_panel import Drawing, RunPanel


async def run_with(app, pilot, lesson_id: str, **values: str) -> RunPanel:
    """The lesson chosen, its form set to `values`, ctrl+r, and the run waited for."""
    app.screen.select_lesson(lesson_id)
    await pilot.pause()
    for name, value in values.items():
        set_value(app, lesson_id, name, value)
    await pilot.press("ctrl+r")
    return await run_to_end(app, pilot)

SMALL = (100, 30)
CJK = re.compile("[\u4e00-\u9fff]")


def shown(renderable, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def text_of(widget: Static) -> str:
    return shown(widget.content, max(20, widget.content_size.width))


def meaning(lesson_id: str, name: str, metrics: dict, lang: str = "en") -> str:
    (found,) = [m for n, m in registry.get(lesson_id).highlights if n == name]
    return tables.meaning_of(found, metrics, lang)


# -- explanations follow the numbers ------------------------------------------------------

@pytest.mark.parametrize("ratio, says", [(0.037, "fades"), (0.8, "still reaches the top"),
                                         (40.0, "blows up")])
def test_the_xavier_ratio_is_explained_by_its_value(ratio, says):
    text = meaning("training", "xavier_std_ratio", {"xavier_std_ratio": ratio})
    assert says in text
    if ratio < 0.1:
        assert "still reaches" not in text


def test_knn_train_accuracy_says_1_only_when_it_is_1():
    below = meaning("knn", "train_accuracy", {"train_accuracy": 0.9694})
    assert below.startswith("below 1")
    whole = meaning("knn", "train_accuracy", {"train_accuracy": 1.0})
    assert "every one got its own label back" in whole


@pytest.mark.parametrize("lesson_id, name, low, high, low_says, high_says", [
    ("linear", "grad_check_max_rel_error", 3e-9, 0.02, "below 1e-7", "probably wrong"),
    ("training", "bowl_momentum_over_sgd", 0.5, 1.5, "further down", "did no better"),
    ("training", "bn_gain_at_bad_init", 0.9, 3.0, "did not help", "BN trained better"),
    ("backprop", "max_error_vs_tensorflow", 0.0, 0.3, "they agree", "is wrong"),
    ("transfer", "features_speedup_per_epoch", 0.8, 4.0, "saved no time", "saves time"),
])
def test_a_threshold_explanation_changes_sides_with_the_number(lesson_id, name, low, high,
                                                                 low_says, high_says):
    assert low_says in meaning(lesson_id, name, {name: low})
    assert high_says in meaning(lesson_id, name, {name: high})


def test_explanations_compare_with_the_number_they_name():
    near = {"initial_loss": 2.302, "expected_initial_loss": 2.3026}
    assert "as it should be" in meaning("linear", "initial_loss", near)
    far = {"initial_loss": 7.5, "expected_initial_loss": 2.3026}
    assert "something is wrong" in meaning("linear", "initial_loss", far)
    assert "2.303" in meaning("linear", "initial_loss", far)
    deeper = {"plain_final_train_loss": 0.9, "residual_final_train_loss": 0.3}
    assert "depth hurts" in meaning("resnet", "plain_final_train_loss", deeper)
    level = {"plain_final_train_loss": 0.2, "residual_final_train_loss": 0.3}
    assert "did not matter yet" in meaning("resnet", "plain_final_train_loss", level)
    sure = {"final_val_perplexity": 80.0, "vocabulary_size": 64}
    assert "no better than knowing nothing" in meaning("lstm", "final_val_perplexity", sure)


def test_every_explanation_has_chinese_and_the_key_results_heading_too():
    for lesson in registry.lessons():
        for name, found in lesson.highlights:
            if callable(found):
                # A number at every threshold's two sides is more than this: any value
                # worded in English is worded in Chinese too.
                metrics = {n: 0.5 for n, _ in lesson.highlights} | {"best_optimizer": "adam"}
                assert CJK.search(tables.meaning_of(found, metrics, "zh")), (lesson.id, name)
    view = shown(tables.highlights_view(registry.get("knn").highlights,
                                       {"test_accuracy": 0.98, "train_accuracy": 1.0}, "zh"), 60)
    assert tr("zh", "key results") in view and "test_accuracy" in view


def test_a_fixed_text_still_works_for_an_outside_lesson():
    view = shown(tables.highlights_view((("score", "what it scores"),), {"score": 0.5}), 60)
    assert "score" in view and "0.5" in view and "what it scores" in view


# -- names whole at any width ---------------------------------------------------------------

@pytest.mark.parametrize("width", [30, 36, 48, 100])  # any width wider than the names
def test_metric_names_never_split_and_values_stay_whole(width):
    metrics = {"constant_init_train_accuracy": 0.09647, "std 0.01": [0.13, 1, 2, 3, 4, 5, 6, 1e-8],
               "k": 5}
    lines = shown(tables.metrics_list(metrics), width).splitlines()
    for name in ("constant_init_train_accuracy", "k"):
        assert any(name in line for line in lines), (width, name)
    assert any(line.rstrip().endswith(" 0.09647") for line in lines)
    assert all(len(line.rstrip()) <= width for line in lines)


def test_a_wide_place_gets_the_clis_table():
    metrics = {"test_accuracy": 0.98, "k": 5}
    assert shown(tables.metrics_list(metrics), 100) == shown(tables.metrics_table(metrics), 100)


# -- the progress count -------------------------------------------------------------------

def test_the_count_reads_epochs_from_the_stage_or_from_the_first_epoch():
    count = EpochCount()
    count.stage(50, epochs=5)
    count.progress(3, 50)
    assert count.text() == "epoch 1/5"
    count.epoch_end(1)
    count.progress(10, 50)
    assert count.text() == "epoch 2/5" and count.text("zh") == tr("zh", "epoch {n}/{total}", n=2, total=5)
    count.progress(50, 50)
    assert count.text() == "epoch 5/5"
    # A hand-written loop says no epochs: the first epoch's end tells its length.
    count.stage(30)
    count.progress(10, 30)
    assert count.text() == "10/30"
    count.epoch_end(1)
    assert count.text() == "epoch 2/3"
    count.stage(3)  # kNN's predict: no epochs at all
    count.progress(2, 3)
    assert count.text() == "2/3"


# -- the app ------------------------------------------------------------------------------

def _screen_text(app) -> str:
    from tests.test_app import screen_text

    return screen_text(app)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_a_run_then_another_lesson_starts_clean(models_dir, monkeypatch, lang):
    monkeypatch.setenv("WORKBENCH_LANG", lang)
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        panel = await run_with(app, pilot, "knn", folds="0")
        assert panel.outcome == "done"
        status = str(panel.query_one("#run-status", Static).render())
        assert status.startswith({"en": "✓ done in", "zh": "✓ 完成"}[lang]), status
        model = " ".join(text_of(panel.query_one("#run-model", Static)).split())
        assert model.startswith({"en": "Saved model", "zh": "已保存的模型"}[lang]) and "knn.h5" in model
        assert panel.query("#run-metric-groups Collapsible")  # kNN's timings
        summary = text_of(panel.query_one("#run-summary", Static))
        assert tr(lang, "key results") in summary
        if lang == "zh":
            assert CJK.search(summary.split("train_accuracy")[1])  # the explanation is Chinese
            assert panel.query_one("#run-log").border_title == tr("zh", "Log")
        app.screen.select_lesson("linear")
        await pilot.pause()
        assert panel.outcome is None and panel.result is None
        assert not panel.query("#run-metric-groups Collapsible")
        assert str(panel.query_one("#run-model", Static).render()) == ""
        assert str(panel.query_one("#run-summary", Static).render()) == ""
        assert not panel.query("#run-pictures *") and not panel.query(Drawing)
        assert str(panel.query_one("#run-status", Static).render()).startswith(
            {"en": "No run yet", "zh": "还没有运行"}[lang])


async def test_backprops_graph_is_drawn_in_a_box_of_its_own_and_no_curves_show(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        app.screen.select_lesson("backprop")
        await pilot.pause()
        await pilot.press("ctrl+r")
        panel = await run_to_end(app, pilot)
        assert panel.outcome == "done"
        assert not panel.query_one("#run-curves").display  # no empty loss/accuracy boxes
        (drawing,) = panel.query(Drawing)
        assert "f = " in str(drawing._body.render()) and "grad" in str(drawing._body.render())
        assert drawing.region.height > 3 and drawing.region.y < app.size.height  # on screen
        assert str(panel.query_one("#run-count", Label).render()) == ""  # no epochs to count


async def test_a_training_run_counts_its_epochs_and_percent(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        panel = await run_with(app, pilot, "linear", epochs="3")
        assert panel.outcome == "done"
        assert str(panel.query_one("#run-count", Label).render()) == "epoch 3/3"
        assert panel.query_one("#run-curves").display
        assert "100%" in _screen_text(app)


async def test_the_language_switch_redraws_the_tab(models_dir, monkeypatch):
    monkeypatch.setenv("WORKBENCH_LANG", "en")
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        panel = await run_with(app, pilot, "knn", folds="0")
        app.action_toggle_language()
        await pilot.pause()
        assert tr("zh", "key results") in text_of(panel.query_one("#run-summary", Static))
        assert CJK.search(str(panel.query_one("#run-status", Static).render()))
        titles = [str(c.title) for c in panel.query(Collapsible)]
        assert titles and all(CJK.search(t) for t in titles)
