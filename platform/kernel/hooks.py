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

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._answers)} answers)"
