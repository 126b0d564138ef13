"""POST to the scheduling outbox: free/busy of colleagues (RFC 6638 §5).

A VFREEBUSY REQUEST from the requester (its ORGANIZER must be one of their addresses)
is answered per recipient in a CALDAV:schedule-response: the busy time of a user of the
same context from their own calendars, leaving out those marked
``schedule-calendar-transp`` transparent (RFC 6638 §9.1) and adding their availability
(RFC 7953 ``calendar-availability`` on their inbox); anyone else gets 3.7, so nothing
says whether an address outside the context exists.
"""

from __future__ import annotations

from datetime import UTC

from lxml import etree

from oxdav.caldav.budget import TooManyInstances
from oxdav.caldav.freebusy import BUSY_COMPONENTS
from oxdav.caldav.schedule_boxes import ScheduleBox
from oxdav.caldav.tasks import free_busy, object_bytes
from oxdav.caldav.timerange import TimeRange
from oxdav.dav.dispatch import DAVRequest, StoreAccess
from oxdav.dav.errors import DAVError
from oxdav.dav.limits import NUMBER_OF_MATCHES_WITHIN_LIMITS
from oxdav.dav.methods.post import PostKind
from oxdav.dav.namespaces import CALDAV_NS, DAV_NS, clark
from oxdav.dav.resource import DAVResource
from oxdav.dav.response import DAVResponse
from oxdav.scheduling import busy
from oxdav.scheduling.availability import availability_object
from oxdav.scheduling.delivery import Colleagues
from oxdav.scheduling.implicit import addresses_of
from oxdav.store.interfaces import Transaction
from oxdav.store.models import StoredObject, User

MAX_ATTENDEES = "oxdav.caldav.maxAttendeesPerInstance"
MAX_REPORT_INSTANCES = "oxdav.caldav.maxReportInstances"
#: RFC 6638 §9.1: a calendar left out of free/busy.
SCHEDULE_CALENDAR_TRANSP = clark(CALDAV_NS, "schedule-calendar-transp")
_BATCH = 200


def _caldav(name: str) -> str:
    return clark(CALDAV_NS, name)


class OutboxPostMethod(PostKind):
    """POST of a VFREEBUSY REQUEST to the requester's outbox (RFC 6638 §5)."""

    access = StoreAccess.SNAPSHOT
    media_types = frozenset({"text/calendar"})

    def allowed_on(self, resource: DAVResource | None) -> bool:
        return isinstance(resource, ScheduleBox) and not resource.is_inbox

    async def handle(self, request: DAVRequest) -> DAVResponse:
        box = request.target
        assert isinstance(box, ScheduleBox)
        tree = box.tree
        media = (request.ctx.header("content-type") or "").split(";")[0].strip().lower()
        if media != "text/calendar":
            raise DAVError(415, _caldav("supported-calendar-data"),
                           "a free/busy request is text/calendar")
        try:
            asked = busy.parse_request(request.body)
        except busy.BadFreeBusyRequest as exc:
            raise DAVError(400, _caldav("valid-scheduling-message"), str(exc)) from None
        requester = await tree.txn.user(tree.context_id, tree.user_id)
        if asked.organizer not in addresses_of(requester):
            raise DAVError(403, _caldav("organizer-allowed"),
                           "the ORGANIZER must be one of your own addresses")
        if len(asked.attendees) > int(tree.settings.get(MAX_ATTENDEES)):
            raise DAVError(403, _caldav("max-attendees-per-instance"),
                           "too many recipients in one free/busy request")
        colleagues = Colleagues(tree.txn, tree.context_id)
        budget = int(tree.settings.get(MAX_REPORT_INSTANCES))
        root = etree.Element(_caldav("schedule-response"), nsmap={"D": DAV_NS, "C": CALDAV_NS})
        for address, sent in asked.attendees:
            recipient = await colleagues.recipient(address)
            response = etree.SubElement(root, _caldav("response"))
            etree.SubElement(etree.SubElement(response, _caldav("recipient")),
                             clark(DAV_NS, "href")).text = sent
            status = etree.SubElement(response, _caldav("request-status"))
            if recipient.user is None:
                status.text = "3.7;Invalid calendar user"
                continue
            try:
                data = await _busy_of(tree.txn, tree.context_id, recipient.user, asked,
                                      tree.work, budget)
            except TooManyInstances:
                raise DAVError(507, NUMBER_OF_MATCHES_WITHIN_LIMITS,
                               "the range holds more recurrence instances than one request "
                               "may expand; ask for a shorter range") from None
            status.text = "2.0;Success"
            etree.SubElement(response, _caldav("calendar-data")).text = busy.reply(
                data, asked, sent).decode("utf-8")
        body = etree.tostring(root, xml_declaration=True, encoding="utf-8")
        return DAVResponse(200, {"Content-Type": "application/xml; charset=utf-8"}, body)


async def _busy_of(txn: Transaction, context_id: int, user: User,
                   asked: busy.FreeBusyRequest, work: object, budget: int) -> bytes:
    """The VFREEBUSY of ``user``'s opaque calendars and availability in the range."""
    span = (int(asked.start.timestamp()), int(asked.end.timestamp()) + 1)
    objects: list[StoredObject] = []
    home = await txn.home(context_id, user.id)
    for folder in await home.folders("calendar"):
        if folder.owner_id != user.id:
            continue
        collection = await txn.system_collection(context_id, folder.id)
        transp = (await collection.dead_properties("")).get(SCHEDULE_CALENDAR_TRANSP, "")
        if "transparent" in transp:
            continue
        metas = [m for m in await collection.list(time_range=span)
                 if m.component in BUSY_COMPONENTS]
        for first in range(0, len(metas), _BATCH):
            objects += await collection.get_many(m.name for m in metas[first:first + _BATCH])
    available = await availability_object(txn, context_id, user.id)
    if available is not None:
        objects.append(available)
    rng = TimeRange(asked.start, asked.end)
    return await work.process(free_busy, object_bytes(objects), rng, UTC, budget)  # type: ignore[attr-defined,no-any-return]
