"""The lesson screen as a new learner meets it, by keys only: the Path tab's hint and the
footer say only what works where the focus is, the form always belongs to the highlighted
lesson, every step does something visible, read steps land on their heading, and with
the language Chinese the chrome around the numbers is Chinese too. At 100x30 (the
smallest size the app is drawn for) and 160x48, in English and Chinese."""

from __future__ import annotations

import io
import re
import time

import pytest
from rich.cells import cell_len
from rich.console import Console
from textual import events
from textual.binding import Binding
from textual.widgets import Button, Markdown, Static, TabbedContent
from textual.widgets._markdown import MarkdownHeader

from workbench import registry
from workbench.course import guide
from workbench.drawing.numbers import app_wording
from workbench.i18n.catalogue import tr
from workbench.results import history
from workbench.tui.app import WorkbenchApp
from workbench.tui.screens.choice import ChoiceScreen
from workbench.tui.screens.confirm import ConfirmScreen
from workbench.tui.screens.help import HelpScreen, key_rows
from workbench.tui.screens.lesson import LessonScreen, plain_heading
from workbench.tui.screens.runs import RunsScreen
from workbench.tui.widgets.lesson_list import LessonList
from workbench.tui.widgets.path_view import PathView, StepItem, StepList

SMALL, LARGE = (100, 30), (160, 48)


def make_app(models_dir, lang: str, monkeypatch) -> WorkbenchApp:
    monkeypatch.setenv("WORKBENCH_LANG", lang)
    return WorkbenchApp(models_dir=str(models_dir), preload_tensorflow=False)


async def settle(pilot, condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def plain(renderable, width: int = 200) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text(styles=False)


def screen_text(app) -> str:
    console = Console(width=app.size.width, height=app.size.height, record=True,
                      file=io.StringIO(), color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


def path(app) -> PathView:
    return app.screen.query_one(PathView)


def hint(app) -> str:
    return " ".join(plain(path(app).query_one(".path-summary", Static).render()).split())


def footer_words(app) -> dict[str, str]:
    """Key -> description, for the keys the footer shows on the screen now."""
    return {key: active.binding.description for key, active in app.screen.active_bindings.items()
            if active.binding.show}


def words(lang: str, markup: str) -> str:
    """A catalogue message as shown: in `lang`, markup and extra spaces gone."""
    return " ".join(re.sub(r"\[/?b\]", "", tr(lang, markup)).split())


async def start(pilot) -> None:
    await settle(pilot, lambda: path(pilot.app).states and path(pilot.app).lesson_id, "the path")
    await pilot.pause(0.1)


# -- keys and focus tell the truth ------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_path_hint_names_the_keys_that_work_where_the_focus_is(models_dir, monkeypatch, lang):
    app = make_app(models_dir, lang, monkeypatch)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        tabs = app.screen.query_one(TabbedContent)
        # The lesson list has the focus: enter goes into the path, n opens the notes.
        assert isinstance(app.focused, LessonList)
        assert words(lang, "[b]enter[/b] goes into the path · [b]↑[/b]/[b]↓[/b] another lesson · "
                           "[b]n[/b] the notes") in hint(app)
        await pilot.press("n")
        assert tabs.active == "tab-notes"  # as the hint said
        await pilot.press("p")
        assert tabs.active == "tab-path" and isinstance(app.focused, StepList)
        assert words(lang, "[b]enter[/b] does the step · [b]n[/b]/[b]p[/b] next/previous · "
                           "[b]pgdn[/b]/[b]pgup[/b] its text") in hint(app)
        await pilot.press("n")  # on the steps, n is the next step, and the tab stays
        assert path(app).highlighted.n == 2 and tabs.active == "tab-path"
        await pilot.press("tab")  # the step's text takes the focus: its keys are named
        assert app.focused is path(app).detail_scroll
        assert words(lang, "[b]↑[/b]/[b]↓[/b] scroll the step's text · [b]n[/b]/[b]p[/b] "
                           "next/previous step · [b]shift+tab[/b] back to the steps") in hint(app)
        await pilot.press("l")  # l: the lesson list takes the focus
        assert isinstance(app.focused, LessonList)
        assert words(lang, "[b]enter[/b] goes into the path · [b]↑[/b]/[b]↓[/b] another lesson · "
                           "[b]n[/b] the notes") in hint(app)
        await pilot.press("m", "l")  # from another screen too
        assert isinstance(app.screen, LessonScreen) and isinstance(app.focused, LessonList)


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_the_footer_shows_anatomy_only_on_a_lesson_that_has_one(models_dir, monkeypatch, size):
    app = make_app(models_dir, "en", monkeypatch)
    async with app.run_test(size=size) as pilot:
        await start(pilot)
        assert app.screen.lesson.id == "knn" and not app.screen.lesson.architectures
        assert "a" not in footer_words(app)
        assert "Anatomy" not in screen_text(app).splitlines()[-1]
        await pilot.press("a")  # the key does nothing either: no tab switched to a hidden pane
        assert app.screen.query_one(TabbedContent).active == "tab-path"
        app.screen.select_lesson("cnn")
        await pilot.pause(0.2)
        assert footer_words(app)["a"] == "Anatomy"
        assert "Anatomy" in screen_text(app).splitlines()[-1]
        app.screen.select_lesson("backprop")  # exercises, no anatomy: x leads somewhere, a nowhere
        await pilot.pause(0.2)
        assert "x" in app.screen.active_bindings and "a" not in app.screen.active_bindings


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_question_mark_lists_the_path_and_exercise_keys(models_dir, monkeypatch, lang):
    app = make_app(models_dir, lang, monkeypatch)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen)
                     and app.screen.query("#help-keys"), "the keys")
        rows = key_rows(app, app.screen.under)
        # As the table lists them, one row a line: key, what it does, where.
        shown = "\n".join(" ".join(row) for row in rows)
        table = plain(app.screen.query_one("#help-keys").content, 150)
        on_path, on_exercises = tr(lang, "on the Path tab"), tr(lang, "on the Exercises tab")
        for key, message, where in (
                ("enter", "Do the step: read, answer, run, compare; on the lesson list, go into "
                          "the path", on_path),
                ("n", "Next step", on_path), ("p", "Previous step", on_path),
                ("pgdn", "Scroll the step's text", on_path),
                ("e", "Edit the file in $EDITOR", on_exercises),
                ("c", "Check the exercises", on_exercises)):
            what = " ".join(tr(lang, message).split())
            key = app.get_key_display(Binding(key, ""))
            assert re.search(rf"^{re.escape(key)}( / \S+)? {re.escape(what)} {re.escape(where)}$",
                             shown, re.M), (key, what, shown)
            assert where in table and what.split()[0] in table
        assert tr(lang, "Keys (escape closes)") in table


async def test_fast_moves_through_the_lessons_leave_the_form_with_the_highlighted_lesson(
        models_dir, monkeypatch):
    """Keys as fast as a learner holding an arrow: posted at once, with no pause between
    them, so the screen meets each lesson while the last one's form is still mounting."""
    app = make_app(models_dir, "en", monkeypatch)
    started = []
    monkeypatch.setattr(LessonScreen, "_start", lambda self, ready, out: started.append(ready.lesson.id))
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        lessons = app.screen.query_one(LessonList)
        for keys in (["down"] * 7 + ["up"] * 6, ["down"] * 3 + ["up"] * 2 + ["down"] * 4 + ["up"] * 8,
                     ["down", "up"] * 5 + ["down"] * 2):
            for key in keys:
                app.post_message(events.Key(key, None))
            await settle(pilot, lambda: not app._message_queue.qsize(), "the keys")
            await pilot.pause(0.3)
            highlighted = lessons.highlighted_child.lesson.id
            forms = app.screen.query_one("#forms")
            shown = [form for form in forms.children if form.display]
            assert forms.current == f"form-{highlighted}"
            assert [form.lesson.id for form in shown] == [highlighted]
            assert app.screen.lesson.id == highlighted and app.screen.form.lesson.id == highlighted
            await pilot.press("ctrl+r")
            assert started[-1] == highlighted


async def test_a_comparison_says_what_to_run_first_then_shows_its_runs_marked(models_dir, monkeypatch):
    knn = registry.get("knn")
    steps = guide.steps_of(knn)
    n = next(i for i, s in enumerate(steps, 1) if isinstance(s, guide.Compare))
    compared = steps[n - 1].steps
    app = make_app(models_dir, "en", monkeypatch)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        path(app).focus_steps()
        path(app).steps_list.index = n - 1
        await pilot.press("enter")
        await pilot.pause(0.1)
        said = [note.message for note in app._notifications]
        missing = ", ".join(map(str, compared))
        assert f"Nothing to compare yet: run step {missing} first (enter on it)." in said
        assert not path(app).states[n - 1].done

    record = history.History(models_dir / history.FILE_NAME)
    ids = []
    for step in compared:
        run = record.begin("knn", dict(steps[step - 1].params), step=step)
        record.finish(run, "done", metrics={"train_accuracy": 1.0, "test_accuracy": 0.9,
                                            "val_accuracy": 0.9, "test_predict_seconds": 0.1})
        ids.append(run)
    app = make_app(models_dir, "en", monkeypatch)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        path(app).focus_steps()
        path(app).steps_list.index = n - 1
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, RunsScreen), "the runs screen")
        await pilot.pause(0.2)
        assert app.screen.marked == ids
        assert [str(app.screen.query_one("DataTable").get_row_at(i)[0]) for i in range(2)] == ["●", "●"]
        await pilot.press("escape")  # back to the path, the comparison marked done
        await settle(pilot, lambda: isinstance(app.screen, LessonScreen), "the lessons")
        assert path(app).states[n - 1].done and path(app).highlighted.n == n
    assert n in record.marks("knn").done


# -- read steps land on their heading -----------------------------------------------------

def source_headings(notes: str) -> list[str]:
    """The notes' headings, in order, as written (outside fenced code)."""
    found, fenced = [], False
    for line in notes.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(r"#{1,6} ", line):
            found.append(line.lstrip("#").strip())
    return found


READS = [(lesson.id, n) for lesson in registry.lessons()
         for n, step in enumerate(guide.steps_of(lesson), 1) if isinstance(step, guide.Read)]


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_every_read_step_opens_the_notes_at_its_heading(models_dir, monkeypatch, lang):
    app = make_app(models_dir, lang, monkeypatch)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        for lesson_id, n in READS:
            lesson = registry.get(lesson_id)
            step = guide.steps_of(lesson)[n - 1]
            section = lesson.section_in(lang, step.section)  # as the notes write it
            # The heading as written, found in the notes' source: its place among them.
            raw = source_headings(lesson.notes_zh if lang == "zh" else lesson.notes)  # as written
            assert section in raw, (lesson_id, n, section)
            place = raw.index(section)
            # Through another lesson on the way, without a pause: its notes are still being
            # drawn when this lesson's are asked for.
            app.screen.select_lesson("linear" if lesson_id != "linear" else "knn")
            app.screen.select_lesson(lesson_id)
            app.screen.action_tab("tab-path")
            await settle(pilot, lambda: path(app).lesson_id == lesson_id, lesson_id)
            await pilot.pause(0.3)  # the lesson's path drawn, its exercises listed
            # The rebuilt step list mounts its items after the frame that asked for them:
            # on a loaded machine that can come after the pause above, so the highlight is
            # set (again) until it holds.
            for _ in range(20):
                path(app).steps_list.index = n - 1
                await pilot.pause(0.1)
                if (path(app).highlighted and path(app).highlighted.n == n
                        and isinstance(app.focused, StepList)):
                    break
            assert path(app).highlighted.n == n, f"step {n} highlighted"
            await pilot.press("enter")
            scroll = app.screen.query_one("#notes-scroll")
            headers = list(app.screen.query_one("#notes", Markdown).query(MarkdownHeader))
            assert len(headers) == len(raw), (lesson_id, lang)
            target = headers[place]
            top = scroll.content_region.y

            def landed() -> bool:  # on top, below its own margin; or the notes end first
                return top <= target.region.y <= top + 4 or (
                    scroll.scroll_y >= scroll.max_scroll_y > 0
                    and top <= target.region.y < scroll.content_region.bottom)

            await settle(pilot, landed, f"{lesson_id} step {n} ({lang}) at {section!r}", 10)
            # The heading on top reads as the step names it: code spans without backticks.
            shown = plain_heading(str(target._content.plain if hasattr(target, "_content")
                                      else target.render()))
            wanted = plain_heading(app_wording(lesson.section_in(lang, step.section), markdown=True))
            assert shown == wanted, (shown, wanted)


# -- the Path tab at 100x30 --------------------------------------------------------------

async def test_a_steps_claims_are_reachable_and_a_new_step_opens_at_its_top(models_dir, monkeypatch):
    app = make_app(models_dir, "en", monkeypatch)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        app.screen.select_lesson("training")
        await settle(pilot, lambda: path(app).lesson_id == "training", "training")
        await pilot.press("p")
        steps = guide.steps_of(registry.get("training"))
        detail = path(app).detail_scroll
        longest = None
        for n in range(len(steps), 0, -1):  # an experiment with more text than fits below the steps
            if not isinstance(steps[n - 1], guide.Experiment):
                continue
            path(app).steps_list.index = n - 1
            await pilot.pause(0.1)
            if detail.max_scroll_y > 0:
                longest = n
                break
        assert longest is not None
        await pilot.press("pagedown")  # from the steps, without leaving the step
        await pilot.pause(0.1)
        assert detail.scroll_y > 0 and path(app).highlighted.n == longest
        assert isinstance(app.focused, StepList)
        await pilot.press("end")  # the last claim is on screen
        await pilot.press("pagedown", "pagedown", "pagedown")
        await pilot.pause(0.1)
        assert detail.scroll_y == detail.max_scroll_y
        last_claim = steps[longest - 1].claims[-1].text.split()[-1]
        assert last_claim in screen_text(app)
        await pilot.press("up")  # another step opens at its top
        await pilot.pause(0.1)
        assert detail.scroll_y == 0 and path(app).highlighted.n != longest
        await pilot.press("tab")  # or the text itself takes the focus and the arrows scroll it
        assert app.focused is detail


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_wrapped_step_titles_hang_under_the_title_and_the_rail_keeps_progress_whole(
        models_dir, monkeypatch, lang):
    app = make_app(models_dir, lang, monkeypatch)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        for lesson in registry.lessons():  # "training 0/10" on one line of the rail
            label = app.screen.query_one(f"#lesson-{lesson.id} .lesson-state")
            assert label.size.height == 1 and str(label.render()).startswith(f"{lesson.id} 0/")
        wrapped = 0
        for lesson in registry.lessons():
            app.screen.select_lesson(lesson.id)
            await settle(pilot, lambda: path(app).lesson_id == lesson.id, lesson.id)
            await pilot.pause(0.1)
            for item in path(app).query(StepItem):
                lines = plain(item._renderable(), item.size.width).rstrip("\n").split("\n")
                assert item.size.height == len(lines)  # the whole title is shown
                title = guide.title_of(item.state.step, lang)
                indent = cell_len(item.line.plain[:len(item.line.plain) - len(title)])
                if len(lines) > 1:
                    wrapped += 1
                    for line in lines[1:]:  # under the title, not under the mark
                        assert line[:indent].strip() == "" and line[indent] != " ", lines
        assert wrapped  # the check above checked something


# -- Chinese all the way through ----------------------------------------------------------

CHROME = {"en": ("Path", "Notes", "Run", "Setup", "Parameters", "Run ▶", "Lessons", "Keys"),
          "zh": ("路径", "笔记", "运行", "设置", "参数", "运行 ▶", "课程", "按键")}


def chrome(app) -> tuple[str, ...]:
    screen = app.screen
    tabs = screen.query_one(TabbedContent)
    return (str(tabs.get_tab("tab-path").label), str(tabs.get_tab("tab-notes").label),
            str(tabs.get_tab("tab-run").label), str(screen.query_one("#setup").border_title),
            str(screen.form.query_one("#section-params").render()),
            str(screen.query_one("#run", Button).label),
            str(screen.query_one(LessonList).border_title), footer_words(app)["question_mark"])


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_in_chinese_the_chrome_is_chinese_and_names_stay_english(models_dir, monkeypatch, size):
    app = make_app(models_dir, "zh", monkeypatch)
    async with app.run_test(size=size) as pilot:
        await start(pilot)
        assert chrome(app) == CHROME["zh"]
        assert footer_words(app)["ctrl+r"] == "运行" and footer_words(app)["n"] == "笔记"
        shown = screen_text(app)
        assert "路径" in shown and "课程" in shown.splitlines()[-1]
        assert "已完成 0/8 步" in hint(app) and "进入路径" in hint(app)
        assert "k_choices" in shown and "metric" in shown  # parameter names stay English
        form = app.screen.form
        assert "写入" in str(form.query_one("#field-out .field-help").render())
        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen), "the keys")
        assert "按键（escape 关闭）" in " ".join(plain(app.screen.query_one("#help-keys").content).split())


async def test_ctrl_l_switches_the_chrome_and_the_footer_both_ways(models_dir, monkeypatch):
    app = make_app(models_dir, "en", monkeypatch)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        assert chrome(app) == CHROME["en"]
        await pilot.press("ctrl+l")
        await pilot.pause(0.2)
        assert app.lang == "zh" and chrome(app) == CHROME["zh"]
        assert "运行" in screen_text(app).splitlines()[-1]
        assert "进入路径" in hint(app)
        await pilot.press("m")  # the other screens' footers follow too (the app's keys)
        await pilot.pause(0.1)
        assert footer_words(app)["q"] == "退出"
        await pilot.press("l", "ctrl+l")
        await pilot.pause(0.2)
        assert app.lang == "en" and chrome(app) == CHROME["en"]
        assert footer_words(app)["q"] == "Quit" and "goes into the path" in hint(app)


async def test_dialogs_answer_in_the_apps_language(models_dir, monkeypatch):
    app = make_app(models_dir, "zh", monkeypatch)
    async with app.run_test(size=SMALL) as pilot:
        await start(pilot)
        app.push_screen(ConfirmScreen("?"))
        await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen)
                     and app.screen.query("#confirm-yes"), "the question")
        assert str(app.screen.query_one("#confirm-yes", Button).label) == "删除"
        assert str(app.screen.query_one("#confirm-no", Button).label) == "保留"
        assert footer_words(app).get("escape", "保留") == "保留"
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, LessonScreen), "the lessons")
        # A prediction: its question, answers and keys all in Chinese.
        steps = guide.steps_of(registry.get("knn"))
        n = next(i for i, s in enumerate(steps, 1) if isinstance(s, guide.Predict))
        path(app).focus_steps()
        path(app).steps_list.index = n - 1
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, ChoiceScreen)
                     and app.screen.query("#choice-keys"), "the prediction")
        keys = str(app.screen.query_one("#choice-keys").render())
        assert keys.startswith("按 a-") and "暂不" in keys
