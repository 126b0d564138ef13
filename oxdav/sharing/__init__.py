"""Sharing folders from the client (DESIGN.md §9): CalendarServer sharing and DAV
resource sharing mapped onto the OX folder permissions, the sharee's notifications and
replies, and the properties that show who a folder is shared with."""
