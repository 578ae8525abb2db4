"""The pack's own tests: its lesson keeps the rules every workbench lesson keeps.

Run from the pack's folder once it is installed: `pip install -e . && pytest tests`.
"""

from workbench.conformance import assert_conforms, problems


def test_hello_keeps_every_rule_of_a_workbench_lesson():
    assert_conforms("hello")


def test_hello_ships_no_translation_yet_so_no_language_is_required():
    # A pack that adds hello_lesson/locale/zh/LC_MESSAGES/messages.po is then held to it:
    # `python -m workbench.conformance hello --sync zh` writes one to fill in.
    assert problems("hello", languages=[]) == []
