"""POST of ``push-register`` (draft-bitfire-webdav-push §3.1): subscribe to a collection.

The body is bounded before it is parsed; the subscription is checked (its endpoint
too: the server sends only where the admin allows), and registered or renewed for
the requesting user, who must read the collection. Answer: 201 with the
registration's URL in ``Location`` and the granted expiry in ``Expires`` (§3.1).
"""

from __future__ import annotations

import email.utils
import time

from oxdav.dav.dispatch import DAVRequest, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.methods.post import PostKind
from oxdav.dav.privileges import READ, expand_privileges
from oxdav.dav.push import (
    INVALID_SUBSCRIPTION,
    MAX_REGISTER_BYTES,
    PUSH_NOT_AVAILABLE,
    PUSH_REGISTER,
    PushService,
    PushTarget,
    parse_registration,
    registration_path,
)
from oxdav.dav.resource import DAVResource
from oxdav.dav.response import DAVResponse


class PushRegisterPost(PostKind):
    """POST of ``push-register`` on a collection that supports push."""

    access = StoreAccess.WRITE
    roots = frozenset({PUSH_REGISTER})
    max_body = MAX_REGISTER_BYTES

    def __init__(self, service: PushService) -> None:
        self._service = service

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return isinstance(resource, PushTarget)

    async def handle(self, request: DAVRequest) -> DAVResponse:
        target = request.target
        assert isinstance(target, PushTarget) and isinstance(target, DAVResource)
        if len(request.body) > MAX_REGISTER_BYTES:
            raise DAVError(413, None, f"a push-register body holds at most"
                                      f" {MAX_REGISTER_BYTES} bytes")
        granted = expand_privileges(target.privileges_for(request.ctx.principal),
                                    target.supported_privileges)
        if READ not in granted:
            raise DAVError(403, PUSH_NOT_AVAILABLE, "push needs the read privilege")
        registration = parse_registration(await request.xml_body())
        try:
            await self._service.check_endpoint(registration.endpoint)
        except ValueError as e:
            raise DAVError(403, INVALID_SUBSCRIPTION, f"invalid subscription: {e}") from None
        expires = self._service.expiry(registration.expires, time.time())
        subscription_id = await target.register_push(request.ctx, registration, expires,
                                                      self._service.subscription_limit)
        return DAVResponse(201, {
            # Absolute: DAVx5 keeps it as a URL to DELETE later.
            "Location": (request.ctx.origin or "")
            + request.ctx.href(registration_path(subscription_id)),
            "Expires": email.utils.formatdate(expires, usegmt=True),
        })
