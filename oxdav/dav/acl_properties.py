"""RFC 3744 access-control live properties: owner, privileges, ACL.

None of them belongs in ``allprop`` (RFC 3744 §5). The resource supplies the owner, the
privileges granted to the current principal, its privilege tree and its ACEs.
"""

from __future__ import annotations

from lxml import etree

from oxdav.dav.errors import DAVError
from oxdav.dav.namespaces import DAV_NS, clark
from oxdav.dav.privileges import NEED_PRIVILEGES, READ_ACL, Ace, Privilege, expand_privileges
from oxdav.dav.properties import LiveProperty
from oxdav.dav.property_results import PropertyValue
from oxdav.dav.resource import DAVResource, RequestContext


def _dav(local: str) -> str:
    return clark(DAV_NS, local)


def _href(ctx: RequestContext, dav_path: str) -> etree._Element:
    element = etree.Element(_dav("href"))
    element.text = ctx.href(dav_path, collection=True)
    return element


def privilege_element(name: str) -> etree._Element:
    """``<D:privilege><name/></D:privilege>``."""
    element = etree.Element(_dav("privilege"))
    etree.SubElement(element, name)
    return element


class OwnerProperty(LiveProperty):
    """``DAV:owner`` (RFC 3744 §5.1): the owning principal's href."""

    name = _dav("owner")

    def applies_to(self, resource: DAVResource) -> bool:
        return resource.owner is not None

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        owner = resource.owner
        return None if owner is None else _href(ctx, owner)


class CurrentUserPrivilegeSetProperty(LiveProperty):
    """``DAV:current-user-privilege-set`` (RFC 3744 §5.4): aggregates and what they contain."""

    name = _dav("current-user-privilege-set")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        granted = expand_privileges(
            resource.privileges_for(ctx.principal), resource.supported_privileges
        )
        return [privilege_element(name) for name in sorted(granted)]


def _supported_privilege(node: Privilege) -> etree._Element:
    element = etree.Element(_dav("supported-privilege"))
    element.append(privilege_element(node.name))
    if node.abstract:
        etree.SubElement(element, _dav("abstract"))
    etree.SubElement(element, _dav("description")).text = node.description
    for child in node.children:
        element.append(_supported_privilege(child))
    return element


class SupportedPrivilegeSetProperty(LiveProperty):
    """``DAV:supported-privilege-set`` (RFC 3744 §5.3), from the resource's tree."""

    name = _dav("supported-privilege-set")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        return _supported_privilege(resource.supported_privileges)


def _ace_element(ctx: RequestContext, ace: Ace) -> etree._Element:
    element = etree.Element(_dav("ace"))
    principal = etree.SubElement(element, _dav("principal"))
    if ace.principal.startswith("{"):
        etree.SubElement(principal, ace.principal)
    else:
        principal.append(_href(ctx, ace.principal))
    for tag, names in ((_dav("grant"), ace.grant), (_dav("deny"), ace.deny)):
        if names:
            holder = etree.SubElement(element, tag)
            for name in sorted(names):
                holder.append(privilege_element(name))
    if ace.protected:
        etree.SubElement(element, _dav("protected"))
    if ace.inherited is not None:
        etree.SubElement(element, _dav("inherited")).append(_href(ctx, ace.inherited))
    return element


class AclProperty(LiveProperty):
    """``DAV:acl`` (RFC 3744 §5.5): readable with ``DAV:read-acl`` only (else 403)."""

    name = _dav("acl")

    async def get(self, ctx: RequestContext, resource: DAVResource) -> PropertyValue:
        granted = expand_privileges(
            resource.privileges_for(ctx.principal), resource.supported_privileges
        )
        if READ_ACL not in granted:
            raise DAVError(403, NEED_PRIVILEGES, "reading the ACL needs DAV:read-acl")
        return [_ace_element(ctx, ace) for ace in resource.acl()]


def acl_properties() -> list[LiveProperty]:
    """The RFC 3744 properties, in the order PROPFIND lists them."""
    return [
        OwnerProperty(),
        CurrentUserPrivilegeSetProperty(),
        SupportedPrivilegeSetProperty(),
        AclProperty(),
    ]
