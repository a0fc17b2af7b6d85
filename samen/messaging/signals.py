"""Signals messaging sends, so feature apps can react without messaging importing them.

`opted_out(sender=OptOut, address, medium, source_message)` is sent every time an address opts out
(STOP by SMS, an unsubscribe, an admin), also when it already was: receivers must be idempotent.
`address` is normalised (E.164 or lower-case e-mail) and `medium` is "sms" or "email";
`source_message` is the InboundMessage that asked, or None.

Receivers run inside the opt-out's transaction, in one savepoint: if one raises, what the
receivers did is rolled back and logged, but the opt-out stands. Nothing a receiver does can
undo it, and the outbox refuses the address whatever the receivers did.
"""

from django.dispatch import Signal

opted_out = Signal()
