"""Parsing conditions into the safe tree."""

import pytest

from engine.expressions import (
    BoolOp,
    Compare,
    ExpressionSyntaxError,
    Literal,
    Name,
    Not,
    parse_condition,
)


def test_precedence_not_binds_tighter_than_and_which_binds_tighter_than_or():
    tree = parse_condition('not a.b or c.d == "x" and e.f')
    assert isinstance(tree, BoolOp) and tree.op == "or"
    assert isinstance(tree.items[0], Not)
    assert isinstance(tree.items[1], BoolOp) and tree.items[1].op == "and"


def test_in_and_not_in_with_lists():
    tree = parse_condition('record.basis not in ["consent", "contract"]')
    assert isinstance(tree, Compare) and tree.op == "not in"
    assert tree.left == Name("record.basis", 1)


def test_literals():
    assert parse_condition("true") == Literal(True, 1)
    assert parse_condition("null") == Literal(None, 1)
    assert parse_condition("-2.5").value == -2.5
    assert parse_condition(r'"say \"hi\""').value == 'say "hi"'


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("a.b ==", 7, "expected a value"),
        ("a.b == 1 == 2", 10, "cannot be chained"),
        ("(a.b", 5, "expected ')'"),
        ("a.b $ 1", 5, "unexpected character '$'"),
        ("a.b c.d", 5, "unexpected 'c.d'"),
        ("a.b = 1", 5, "unexpected character '='"),
    ],
)
def test_syntax_errors_say_where(text, column, message):
    with pytest.raises(ExpressionSyntaxError) as caught:
        parse_condition(text)
    assert caught.value.column == column
    assert message in str(caught.value)


def test_python_is_never_evaluated():
    # A call to anything but the named functions is refused when the condition is checked;
    # the parser itself only builds a tree.
    tree = parse_condition('__import__("os")')
    assert tree.function == "__import__"
