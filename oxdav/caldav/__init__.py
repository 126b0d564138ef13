"""CalDAV semantics (RFC 4791) that need neither HTTP nor the store.

Parsing and validating calendar object resources once on write (:mod:`.ical`), the
time-range rules of RFC 4791 §9.9 with recurrence (:mod:`.timerange`,
:mod:`.instances`), the index the store keeps for time-range queries
(:mod:`.index`), calendar-query filters (:mod:`.filters`), calendar-data response
options (:mod:`.calendardata`) and free-busy reports (:mod:`.freebusy`).
"""
