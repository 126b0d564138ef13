"""A WebDAV-Push registration as a resource (draft-bitfire-webdav-push §3.3).

``/push/<id>`` is the URL a ``push-register`` answered with. It exists only for the
user who registered it (anyone else gets 404, as for an id that never was) and only
``DELETE`` removes it.
"""

from __future__ import annotations

from oxdav.dav.methods.capabilities import Deletable
from oxdav.dav.privileges import READ, UNBIND
from oxdav.dav.push import registration_path
from oxdav.dav.resource import DAVResource, Principal, RequestContext
from oxdav.folders.base import FolderTree
from oxdav.principals.resources import InTree
from oxdav.store.models import PushSubscription


class PushRegistration(InTree, DAVResource, Deletable):
    """The requesting user's own subscription ``subscription``."""

    tree: FolderTree

    def __init__(self, tree: FolderTree, subscription: PushSubscription) -> None:
        self.tree = tree
        self.subscription = subscription

    @property
    def path(self) -> str:
        return registration_path(self.subscription.id)

    @property
    def is_collection(self) -> bool:
        return False

    def privileges_for(self, principal: Principal | None) -> frozenset[str]:
        return frozenset({READ, UNBIND})

    async def delete(self, ctx: RequestContext, *, if_etag: str | None) -> None:
        await self.tree.txn.unregister_push(self.tree.context_id, self.tree.user_id,
                                            self.subscription.id)


async def registration(tree: FolderTree, subscription_id: str) -> DAVResource | None:
    """The user's own registration ``subscription_id``, or None."""
    if not subscription_id or len(subscription_id) > 64:
        return None
    found = await tree.txn.push_subscription(tree.context_id, tree.user_id, subscription_id)
    return None if found is None else PushRegistration(tree, found)
