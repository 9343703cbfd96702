"""`cached_property` for the unit of work's repositories, without functools' lock.

On Python 3.11 `functools.cached_property` takes an RLock on every first access of an instance (3.12 dropped
the lock); a request opens two to five repositories, each paying for it. A unit of work belongs to the one
thread running its transaction, so there is no race to guard against: the first access builds the value and
stores it in the instance's __dict__, where later reads find it (a non-data descriptor, as functools')."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

R = TypeVar("R")


class cached_property(Generic[R]):  # noqa: N801 - functools.cached_property's name and behaviour
    def __init__(self, build: Callable[[Any], R]) -> None:
        self.build = build
        self.name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[R]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> R: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> R | cached_property[R]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.build(instance)
        return value
