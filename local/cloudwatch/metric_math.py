"""CloudWatch metric math, the part a dashboard or an alarm of Parley's needs: arithmetic and comparisons on series
and numbers, AND/OR, and the functions FILL(s, value), IF(c, a[, b]), SUM/AVG/MIN/MAX (of an array: per timestamp;
of one series: one number) and METRICS(). Anything else is refused with `NotEvaluated`, so the page says so rather
than showing a number CloudWatch would not.

A series is a dict of period start → value; as in CloudWatch, an operation on two series has values only at the
timestamps both have, and FILL gives a series a value at every period of the range.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Union

Series = dict[float, float]
Value = Union[float, Series, list[Series]]  # noqa: UP007 - a recursive alias mypy reads


class NotEvaluated(Exception):
    """The expression uses what the local evaluator does not implement."""


_TOKEN = re.compile(
    r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|&&|\|\||[-+*/()<>,\[\]^]))"
)
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}
_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": lambda a, b: a / b if b else float("nan"),
    "^": lambda a, b: float(a**b),
}
_AGGREGATES: dict[str, Callable[[Sequence[float]], float]] = {
    "SUM": lambda values: float(sum(values)),
    "AVG": lambda values: float(sum(values)) / len(values),
    "MIN": lambda values: float(min(values)),
    "MAX": lambda values: float(max(values)),
}


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    text = expression.strip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise NotEvaluated(f"cannot read {text[position:]!r}")
        tokens.append(next(group for group in found.groups() if group is not None))
        position = found.end()
    return tokens


@dataclass
class _Context:
    grid: Sequence[float]  # every period start of the range
    series: Mapping[str, Series]  # by id
    metrics: Sequence[Series]  # what METRICS() returns


def evaluate(
    expression: str, series: Mapping[str, Series], grid: Sequence[float], metrics: Sequence[Series] = ()
) -> Value:
    """The value of `expression` with `series` by id, over the periods `grid`."""
    parser = _Parser(_tokens(expression), _Context(grid, series, metrics))
    value = parser.disjunction()
    if parser.position != len(parser.tokens):
        raise NotEvaluated(f"unexpected {parser.tokens[parser.position]!r}")
    return value


def as_series(value: Value, grid: Sequence[float]) -> Series:
    """An expression's result as one series (a number holds at every period); arrays are not one series."""
    if isinstance(value, list):
        raise NotEvaluated("the expression returns several series")
    if isinstance(value, dict):
        return value
    return dict.fromkeys(grid, value)


def _combine(left: Value, right: Value, apply: Callable[[float, float], float]) -> Value:
    if isinstance(left, list) or isinstance(right, list):
        raise NotEvaluated("arithmetic on arrays of series")
    if isinstance(left, dict) and isinstance(right, dict):
        return {at: apply(left[at], right[at]) for at in left if at in right}
    if isinstance(left, dict):
        return {at: apply(value, float(right)) for at, value in left.items()}  # type: ignore[arg-type]
    if isinstance(right, dict):
        return {at: apply(float(left), value) for at, value in right.items()}
    return apply(left, right)


class _Parser:
    def __init__(self, tokens: list[str], context: _Context) -> None:
        self.tokens = tokens
        self.position = 0
        self.context = context

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if token is None or (expected is not None and token.upper() != expected):
            raise NotEvaluated(f"expected {expected or 'more'}, found {token!r}")
        self.position += 1
        return token

    def disjunction(self) -> Value:
        value = self.conjunction()
        while (self._peek() or "").upper() in ("OR", "||"):
            self._take()
            value = _combine(value, self.conjunction(), lambda a, b: float(bool(a) or bool(b)))
        return value

    def conjunction(self) -> Value:
        value = self.comparison()
        while (self._peek() or "").upper() in ("AND", "&&"):
            self._take()
            value = _combine(value, self.comparison(), lambda a, b: float(bool(a) and bool(b)))
        return value

    def comparison(self) -> Value:
        value = self.sum()
        while self._peek() in _COMPARISONS:
            compare = _COMPARISONS[self._take()]
            value = _combine(value, self.sum(), lambda a, b, compare=compare: float(compare(a, b)))  # type: ignore[misc]
        return value

    def sum(self) -> Value:
        value = self.product()
        while self._peek() in ("+", "-"):
            value = self._apply(value)
        return value

    def _apply(self, value: Value) -> Value:
        symbol = self._take()
        right = self.product() if symbol in ("+", "-") else self.unary()
        return _combine(value, right, _ARITHMETIC[symbol])

    def product(self) -> Value:
        value = self.unary()
        while self._peek() in ("*", "/", "^"):
            value = self._apply(value)
        return value

    def unary(self) -> Value:
        if self._peek() == "-":
            self._take()
            return _combine(-1.0, self.unary(), operator.mul)
        return self.primary()

    def primary(self) -> Value:
        token = self._take()
        if token == "(":
            value = self.disjunction()
            self._take(")")
            return value
        if token == "[":
            items = self._arguments("]")
            if not all(isinstance(item, dict) for item in items):
                raise NotEvaluated("an array holds series only")
            return [item for item in items if isinstance(item, dict)]
        if token[0].isdigit():
            return float(token)
        if self._peek() == "(":
            self._take("(")
            return self._function(token.upper(), self._arguments(")"))
        if token in self.context.series:
            return dict(self.context.series[token])
        raise NotEvaluated(f"unknown id {token!r}")

    def _arguments(self, closing: str) -> list[Value]:
        items: list[Value] = []
        while self._peek() != closing:
            items.append(self.disjunction())
            if self._peek() == ",":
                self._take(",")
        self._take(closing)
        return items

    def _function(self, name: str, arguments: list[Value]) -> Value:
        grid = self.context.grid
        if name == "METRICS" and not arguments:
            return [dict(series) for series in self.context.metrics]
        if name == "FILL" and len(arguments) == 2 and isinstance(arguments[1], float):
            filler = arguments[1]
            values = as_series(arguments[0], grid)
            return {at: values.get(at, filler) for at in grid}
        if name == "IF" and len(arguments) in (2, 3):
            condition = as_series(arguments[0], grid)
            when_true = as_series(arguments[1], grid)
            when_false = as_series(arguments[2], grid) if len(arguments) == 3 else {}
            chosen = {at: (when_true if value else when_false).get(at) for at, value in condition.items()}
            return {at: value for at, value in chosen.items() if value is not None}
        if name in _AGGREGATES and len(arguments) == 1:
            aggregate = _AGGREGATES[name]
            argument = arguments[0]
            if isinstance(argument, list):
                stamps = sorted({at for series in argument for at in series})
                return {at: aggregate([series[at] for series in argument if at in series]) for at in stamps}
            if isinstance(argument, dict):
                return aggregate(list(argument.values())) if argument else {}
        raise NotEvaluated(f"{name}() with these arguments is not evaluated locally")
