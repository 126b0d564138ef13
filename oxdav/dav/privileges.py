"""WebDAV ACL privileges and access control entries (RFC 3744 §3, §5.5).

Privileges are Clark names. Aggregate privileges (``DAV:all``, ``DAV:read``,
``DAV:write``) contain others; :func:`expand_privileges` closes a granted set over the
tree so checks can test a single name.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from oxdav.dav.namespaces import DAV_NS, clark


def _dav(local: str) -> str:
    return clark(DAV_NS, local)


READ = _dav("read")
WRITE = _dav("write")
WRITE_PROPERTIES = _dav("write-properties")
WRITE_CONTENT = _dav("write-content")
UNLOCK = _dav("unlock")
READ_ACL = _dav("read-acl")
READ_CURRENT_USER_PRIVILEGE_SET = _dav("read-current-user-privilege-set")
WRITE_ACL = _dav("write-acl")
BIND = _dav("bind")
UNBIND = _dav("unbind")
ALL = _dav("all")
NEED_PRIVILEGES = _dav("need-privileges")


@dataclass(frozen=True)
class Privilege:
    """A node of the supported-privilege tree (RFC 3744 §5.3).

    Attributes:
        name: Clark name.
        description: ``DAV:description`` text.
        abstract: whether it may not be granted on its own.
        children: contained privileges.
    """

    name: str
    description: str = ""
    abstract: bool = False
    children: tuple[Privilege, ...] = ()

    def walk(self) -> Iterator[Privilege]:
        """Yield this node and all nodes below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, name: str) -> Privilege | None:
        """Return the node named ``name`` in this tree, if any."""
        return next((node for node in self.walk() if node.name == name), None)

    def with_child(self, parent: str, child: Privilege) -> Privilege:
        """Return a copy of the tree with ``child`` added below the node ``parent``."""
        children = tuple(c.with_child(parent, child) for c in self.children)
        if self.name == parent:
            children += (child,)
        return Privilege(self.name, self.description, self.abstract, children)


#: The RFC 3744 §3 privileges arranged as in its §5.3 example.
DAV_PRIVILEGES = Privilege(
    ALL,
    "Any operation",
    children=(
        Privilege(
            READ,
            "Read any object",
            children=(Privilege(READ_CURRENT_USER_PRIVILEGE_SET, "Read current user privileges"),),
        ),
        Privilege(
            WRITE,
            "Write any object",
            children=(
                Privilege(WRITE_PROPERTIES, "Write properties"),
                Privilege(WRITE_CONTENT, "Write resource content"),
                Privilege(BIND, "Add members to a collection"),
                Privilege(UNBIND, "Remove members from a collection"),
            ),
        ),
        Privilege(UNLOCK, "Unlock resource"),
        Privilege(READ_ACL, "Read ACL"),
        Privilege(WRITE_ACL, "Write ACL"),
    ),
)


def expand_privileges(granted: Iterable[str], tree: Privilege = DAV_PRIVILEGES) -> frozenset[str]:
    """Close ``granted`` over ``tree``: an aggregate brings every privilege it contains."""
    result: set[str] = set()
    for name in granted:
        node = tree.find(name)
        if node is None:
            result.add(name)
        else:
            result.update(n.name for n in node.walk())
    return frozenset(result)


@dataclass(frozen=True)
class Ace:
    """An access control entry (RFC 3744 §5.5).

    Attributes:
        principal: a DAV path of a principal, or the Clark name of a pseudo-principal
            (``{DAV:}all``, ``{DAV:}authenticated``, ``{DAV:}unauthenticated``,
            ``{DAV:}self``).
        grant: granted privileges (Clark names).
        deny: denied privileges (Clark names).
        protected: whether the ACE may not be changed by ACL requests.
        inherited: DAV path of the resource the ACE is inherited from, if any.
    """

    principal: str
    grant: frozenset[str] = field(default_factory=frozenset)
    deny: frozenset[str] = field(default_factory=frozenset)
    protected: bool = True
    inherited: str | None = None
