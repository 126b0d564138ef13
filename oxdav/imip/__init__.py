"""iMIP (RFC 6047): scheduling messages to and from attendees outside the context.

The outbox (``outbox.ImipDelivery``) queues an iTIP message in the store inside the
write transaction of the change that caused it; the sender (``sender.MailSender``)
sends what is queued after commit, on whichever node, by SMTP; the listener
(``listener``) takes reply mails from the site's MTA and hands a genuine REPLY to the
scheduling layer. Nothing here decides who is invited: that is scheduling's.
"""
