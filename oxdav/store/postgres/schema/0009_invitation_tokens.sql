-- One reply address per invitation: the messages of one organizer about one UID to one
-- external attendee carry the token of the first of them (reply_token, NULL on that
-- first one and on replies), so the address stays the same across updates and
-- cancellations and a reply to any of them finds the invitation. Rows are found by
-- invitation when queueing and by either token when a reply comes.
ALTER TABLE mail_queue ADD COLUMN reply_token TEXT COLLATE "C";
CREATE INDEX mail_queue_reply_token ON mail_queue (reply_token);
CREATE INDEX mail_queue_invitation ON mail_queue (context_id, uid, recipient);
