"""A question one domain asks in its own transaction and other domains answer, without the asker importing them.

Events carry what happened to other domains after the fact. A few rules must instead take part in the change
itself: a sign-up refused for a missing qualification or held after too many no-shows (records) is decided while
activities holds the activity's lock. Activities declares the question as a Hook; records answers it in its
gates.py (picked up by registry.py like routes and events), so records depends on activities and never the
reverse. An unanswered hook asks nobody: a deployment without records signs people up without those rules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import false, or_

T = TypeVar("T")
Answer = Callable[..., Awaitable[T]]


class Hook(Generic[T]):
    """A named question; `answer` registers a domain's async function, `answers` asks all of them in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._answers: list[Answer[T]] = []

    def answer(self, function: Answer[T]) -> Answer[T]:
        if function not in self._answers:
            self._answers.append(function)
        return function

    async def answers(self, *args: Any, **kwargs: Any) -> list[T]:
        """Every registered answer, in registration order (the first to raise stops the rest)."""
        return [await function(*args, **kwargs) for function in self._answers]

    def __len__(self) -> int:
        return len(self._answers)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._answers)} answers)"


class Condition:
    """A question answered in SQL: each domain's answer builds a boolean expression from the asker's columns, and
    the asker puts `any_of` into its own statement. For a write done in one statement, which cannot call out to an
    async Hook halfway: the statement writes only where no answer holds and leaves the rest to the general path,
    which asks the Hook."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._answers: list[Callable[..., Any]] = []

    def answer(self, function: Callable[..., Any]) -> Callable[..., Any]:
        if function not in self._answers:
            self._answers.append(function)
        return function

    def any_of(self, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - a SQLAlchemy boolean expression
        """True in SQL when any answer holds (false when nobody answers)."""
        return or_(false(), *(function(*args, **kwargs) for function in self._answers))

    def __len__(self) -> int:
        return len(self._answers)

    def __repr__(self) -> str:
        return f"Condition({self.name!r}, {len(self._answers)} answers)"
