"""What an authentication attempt ends in; the web layer maps each to a response."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from oxdav.directory.lookup import ContextRecord, UserRecord

#: The DAV interfaces a user can be allowed or refused separately.
Interface = Literal["caldav", "carddav"]

#: Decides whether ``user`` of ``context`` may use ``interface``; the config cascade
#: answers it from ``com.openexchange.caldav.enabled`` / ``...carddav.enabled``.
InterfaceCheck = Callable[[ContextRecord, UserRecord, Interface], bool]


@dataclass(frozen=True, repr=False)
class Authenticated:
    """The password was right and the user may use the interface.

    ``remembered``: the context and user are those the same login and password named
    when they last passed, not read now; the request's store access must confirm that
    ``context.version`` is still current (``Store.transaction(confirm=...)``).
    """

    context: ContextRecord
    user: UserRecord
    remembered: bool = False

    def __repr__(self) -> str:
        # Never let a log line carry the user record (it holds the password hash).
        return f"Authenticated(context={self.context.id}, user={self.user.id})"


@dataclass(frozen=True)
class Unauthorized:
    """Unknown login or wrong password: deliberately the same result for both."""


class ForbiddenReason(Enum):
    """Why a correctly authenticated user is refused."""

    CONTEXT_DISABLED = "context disabled"
    USER_DISABLED = "user disabled"
    INTERFACE_DISABLED = "interface disabled"


@dataclass(frozen=True)
class Forbidden:
    """The password was right, but the account or the interface is disabled."""

    reason: ForbiddenReason


@dataclass(frozen=True)
class Throttled:
    """Refused without checking the password: too many recent failures."""

    retry_after: float


AuthResult = Authenticated | Unauthorized | Forbidden | Throttled
