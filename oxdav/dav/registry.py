"""The shape every DAV registry shares (STYLE.md: registries, not if-chains): entries
kept by their unique ``name``, in registration order. The property, report and method
registries build on it and add what their entries are for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar, Generic, Protocol, TypeVar


class Named(Protocol):
    """Anything registered by name (a Clark name or a method)."""

    @property
    def name(self) -> str: ...


EntryT = TypeVar("EntryT", bound=Named)


class NamedRegistry(Generic[EntryT]):
    """Entries by unique name, in registration order.

    Class attributes:
        kind: what an entry is, for the duplicate-name error.
    """

    kind: ClassVar[str] = "entry"

    def __init__(self, entries: Iterable[EntryT] = ()) -> None:
        self._entries: dict[str, EntryT] = {}
        for entry in entries:
            self.register(entry)

    def register(self, entry: EntryT) -> None:
        """Add ``entry``.

        Raises:
            ValueError: another entry of the same name is registered.
        """
        if entry.name in self._entries:
            raise ValueError(f"{self.kind} {entry.name} registered twice")
        self._entries[entry.name] = entry

    def get(self, name: str) -> EntryT | None:
        """The entry ``name``, if registered."""
        return self._entries.get(name)

    def __iter__(self) -> Iterator[EntryT]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)
