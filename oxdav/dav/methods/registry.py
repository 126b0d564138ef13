"""The one visible list of method handlers (STYLE.md: registries, not if-chains)."""

from __future__ import annotations

from oxdav.dav.dispatch import MethodHandler, MethodRegistry
from oxdav.dav.methods.acl import AclMethod
from oxdav.dav.methods.copy_move import CopyMethod, MoveMethod
from oxdav.dav.methods.delete import DeleteMethod
from oxdav.dav.methods.get import GetMethod, HeadMethod
from oxdav.dav.methods.lock import LockMethod, UnlockMethod
from oxdav.dav.methods.mkcol import MkcolMethod
from oxdav.dav.methods.options import OptionsMethod
from oxdav.dav.methods.propfind import PropfindMethod
from oxdav.dav.methods.proppatch import ProppatchMethod
from oxdav.dav.methods.put import PutMethod
from oxdav.dav.methods.report import ReportMethod


def generic_methods() -> list[MethodHandler]:
    """The generic WebDAV methods; CalDAV adds MKCALENDAR and POST later."""
    return [
        OptionsMethod(),
        PropfindMethod(),
        ProppatchMethod(),
        GetMethod(),
        HeadMethod(),
        PutMethod(),
        DeleteMethod(),
        MkcolMethod(),
        CopyMethod(),
        MoveMethod(),
        ReportMethod(),
        LockMethod(),
        UnlockMethod(),
        AclMethod(),
    ]


def method_registry(extra: list[MethodHandler] | None = None) -> MethodRegistry:
    """A registry of the generic methods plus ``extra``."""
    return MethodRegistry([*generic_methods(), *(extra or [])])
