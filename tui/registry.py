"""Where screens register themselves, so later capabilities slot in without reshaping the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen

from realist.services.context import Workspace

ScreenFactory = Callable[[Workspace], Screen[None]]


@dataclass(frozen=True)
class Destination:
    """A screen reachable from the home screen by one key."""

    key: str
    name: str
    description: str
    factory: ScreenFactory
    order: int = 100


DESTINATIONS: dict[str, Destination] = {}


def destination(
    key: str, name: str, description: str, order: int = 100
) -> Callable[[ScreenFactory], ScreenFactory]:
    """Decorator: register a screen factory under a home-screen key."""

    def register(factory: ScreenFactory) -> ScreenFactory:
        if key in DESTINATIONS and DESTINATIONS[key].name != name:
            raise ValueError(f"home key {key!r} is taken by {DESTINATIONS[key].name}")
        DESTINATIONS[key] = Destination(key, name, description, factory, order)
        return factory

    return register


def ordered() -> list[Destination]:
    return sorted(DESTINATIONS.values(), key=lambda d: (d.order, d.name))
