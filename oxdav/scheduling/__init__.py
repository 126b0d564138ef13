"""Scheduling (RFC 6638 inside a context; RFC 5546 iTIP).

* :mod:`~oxdav.scheduling.itip`: iTIP over iCalendar objects (protocol-free).
* :mod:`~oxdav.scheduling.busy`: free/busy requests and replies (protocol-free).
* :mod:`~oxdav.scheduling.delivery`: colleagues (users of the writer's context) and the
  :class:`~oxdav.scheduling.delivery.ExternalDelivery` way out for everyone else.
* :mod:`~oxdav.scheduling.tasks`: the iCalendar work of scheduling as pure functions,
  run in a worker process (who is told what; the colleagues' copies; replies).
* :mod:`~oxdav.scheduling.implicit`: what a write or removal means for the others, in
  the writer's transaction (the store calls between the tasks).
* :mod:`~oxdav.scheduling.incoming`: :func:`~oxdav.scheduling.incoming.apply_itip`, for
  messages arriving from outside (iMIP replies).
* :mod:`~oxdav.scheduling.calendars`, :mod:`~oxdav.scheduling.outbox`,
  :mod:`~oxdav.scheduling.properties`, :mod:`~oxdav.scheduling.availability`: the CalDAV
  face, plugged into the calendar space by the composition root.
"""
