"""The store fixtures of the contract suite (every engine), for scheduling over a real
store."""

from tests.store.conftest import store, world  # noqa: F401
