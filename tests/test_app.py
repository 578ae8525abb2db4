"""The app as a learner meets it: keys pressed, what the screen then shows."""

from textual.widgets import ListView, Markdown

from workbench.tui.app import WorkbenchApp


def notes_text(app) -> str:
    return app.query_one("#notes", Markdown).source


async def test_lessons_are_listed_in_order_and_notes_follow_the_selection():
    app = WorkbenchApp()
    async with app.run_test() as pilot:
        items = app.query_one("#lessons", ListView).children
        assert [item.id for item in items] == ["lesson-knn", "lesson-linear", "lesson-cnn",
                                               "lesson-resnet", "lesson-lstm"]
        assert notes_text(app).startswith("# k-nearest neighbours")
        assert "workbench run knn" in notes_text(app)
        await pilot.press("down")
        await pilot.pause()
        assert notes_text(app).startswith("# Linear classifiers")
        await pilot.press("down")
        await pilot.pause()
        assert "CNN classics" in notes_text(app) and "Not built yet" in notes_text(app)
        await pilot.press("q")
    assert app.return_code == 0
