"""The generate screen's fields as a learner types into them, at 100x30.

A key pressed in a field is the field's: typed there, or refused with a word when a
number cannot hold it, and never also acted on. `?` in a number field, which no number
holds, lists the keys; F1 lists them from any field. A field's error follows its value.
No model is needed for any of this: the fields are judged before a model is opened.
"""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Button, Input, Label

from workbench.errors import BadInput
from workbench.running.generation import OPTIONS
from workbench.tui.app import WorkbenchApp
from workbench.tui.messages import GenerationEnded
from workbench.tui.screens.generate import GenerateScreen
from workbench.tui.screens.help import HelpScreen

SMALL = (100, 30)
OPTION = {p.name: p for p in OPTIONS}


def make_app(models_dir) -> WorkbenchApp:
    return WorkbenchApp(models_dir=str(models_dir), preload_tensorflow=False)


async def open_generate(pilot) -> GenerateScreen:
    await pilot.press("g")
    await pilot.pause()
    assert isinstance(pilot.app.screen, GenerateScreen)
    return pilot.app.screen


async def focus(pilot, screen, selector: str) -> Input:
    control = screen.query_one(selector, Input)
    control.focus()
    await pilot.pause()
    return control


def error(screen, name: str) -> str:
    return str(screen.query_one(f"#field-{name} .field-error", Label).render())


def refusal(name: str, text) -> str:
    """What the check of option `name` says of `text`, as the field shows it."""
    with pytest.raises(BadInput) as refused:
        OPTION[name].coerce(text)
    return f"✗ {refused.value}"


def footer_keys(screen) -> list[str]:
    return [key for key, active in screen.active_bindings.items() if active.binding.show]


# -- a key in a field -----------------------------------------------------------------------

async def test_question_mark_in_a_number_field_lists_the_keys_and_is_not_typed(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_generate(pilot)
        temperature = await focus(pilot, screen, "#param-temperature")
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert temperature.value == "0.8"
        assert error(screen, "temperature") == ""


async def test_letters_in_a_number_field_are_refused_with_a_word_and_do_nothing_else(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_generate(pilot)
        length = await focus(pilot, screen, "#param-length")
        await pilot.press("end")
        # g generates and q quits elsewhere on this screen; in a field they do neither.
        for key in ("g", "q", "x", "space"):
            await pilot.press(key)
            await pilot.pause()
            character = " " if key == "space" else key
            assert app.is_running and app.screen is screen
            assert screen.stop_event is None
            assert length.value == "500"
            assert error(screen, "length") == f"✗ length: expected an integer; {character!r} was not typed"
        # A digit is typed, and the word goes with the next change.
        await pilot.press("0")
        await pilot.pause()
        assert length.value == "5000"
        assert error(screen, "length") == ""


async def test_a_number_field_takes_what_numbers_are_written_with(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_generate(pilot)
        temperature = await focus(pilot, screen, "#param-temperature")
        temperature.value = ""
        await pilot.press(*"1.5e-1")
        await pilot.pause()
        assert temperature.value == "1.5e-1"
        assert error(screen, "temperature") == ""
        top_k = await focus(pilot, screen, "#param-top_k")
        top_k.value = ""
        await pilot.press(*"1.5")  # an integer has no point
        await pilot.pause()
        assert top_k.value == "15"
        assert error(screen, "top_k") == ""  # the last key typed was fine
        # A paste that a number cannot hold is refused whole, with a word.
        top_k.post_message(events.Paste("12 apples"))
        await pilot.pause()
        assert top_k.value == "15"
        assert error(screen, "top_k") == "✗ top_k: expected an integer; the pasted text was not typed"


async def test_question_mark_in_the_prime_is_text_and_f1_lists_the_keys(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_generate(pilot)
        assert "f1" not in footer_keys(screen)  # `?` is there, in the footer
        prime = await focus(pilot, screen, "#param-prime")
        assert "f1" in footer_keys(screen) and "question_mark" not in footer_keys(screen)
        await pilot.press("end", "question_mark", "g")
        await pilot.pause()
        assert prime.value == "The ?g"
        assert app.screen is screen and screen.stop_event is None
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")  # closes it again
        await pilot.pause()
        assert app.screen is screen and prime.value == "The ?g"
        # F1 works away from the fields too.
        await focus(pilot, screen, "#param-seed")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


# -- a field's error follows its value --------------------------------------------------------

async def test_a_field_error_shows_while_the_value_is_wrong_and_goes_once_it_is_right(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_generate(pilot)
        length = await focus(pilot, screen, "#param-length")
        length.value = ""
        await pilot.press("minus")
        await pilot.pause()
        assert error(screen, "length") == refusal("length", "-")
        await pilot.press("5")
        await pilot.pause()
        assert length.value == "-5"
        assert error(screen, "length") == refusal("length", "-5")
        await pilot.press("home", "delete")
        await pilot.pause()
        assert length.value == "5"
        assert error(screen, "length") == ""


async def test_an_error_shown_on_generate_goes_once_the_value_is_fixed(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_generate(pilot)
        seed = screen.query_one("#param-seed", Input)
        seed.value = "-1"  # as a paste or a program would leave it
        screen.query_one("#param-length", Input).value = "100001"
        await pilot.pause()
        screen.query_one("#generate", Button).press()
        await pilot.pause()
        assert error(screen, "seed") == refusal("seed", "-1")
        assert error(screen, "length") == refusal("length", "100001")
        assert screen.stop_event is None
        await focus(pilot, screen, "#param-seed")
        await pilot.press("end", "backspace", "backspace", "7")
        await pilot.pause()
        assert seed.value == "7"
        assert error(screen, "seed") == ""
        assert error(screen, "length") == refusal("length", "100001")  # not fixed yet


async def test_editing_the_prime_answers_the_models_refusal(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_generate(pilot)
        screen.post_message(GenerationEnded("failed", error="workbench: error: prime has '€', "
                                                             "which the model never saw"))
        await pilot.pause()
        assert error(screen, "prime").startswith("✗ workbench: error: prime")
        await focus(pilot, screen, "#param-prime")
        await pilot.press("end", "backspace")
        await pilot.pause()
        assert error(screen, "prime") == ""


# -- ? lists each key once; the buttons stay in sight ------------------------------------------

async def test_help_lists_each_key_of_the_generate_screen_once(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        await open_generate(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys").content
        keys = [key for cell in table.columns[0]._cells for key in str(cell).split(" / ")]
        assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
        for expected in ("^r", "g", "^g", "f1", "f5", "esc", "?", "l", "m", "h", "q"):
            assert keys.count(expected) == 1, expected
        # g here generates: the app's g (open this screen) is not offered beside it.
        rows = dict(zip(map(str, table.columns[0]._cells), map(str, table.columns[1]._cells)))
        assert rows["^r / g / ^g"] == "Generate"
        assert list(rows.values()).count("Generate") == 1


async def test_the_buttons_and_a_focused_field_stay_in_sight_at_100x30(models_dir):
    app = make_app(models_dir)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_generate(pilot)
        fields = screen.query_one("#generate-fields")
        for selector in ("#generate", "#stop"):
            button = screen.query_one(selector, Button)
            assert button.region.bottom <= SMALL[1] - 1 and button.region.height == 3
        # The last field, scrolled to when focused, is not under the buttons.
        seed = await focus(pilot, screen, "#param-seed")
        await pilot.pause()
        assert fields.region.contains_region(seed.region)
        assert not seed.region.overlaps(screen.query_one("#generate-buttons").region)
