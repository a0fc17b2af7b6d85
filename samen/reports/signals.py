"""What other parts of the reports app listen for, so that publishing need not know who listens.

`report_published` is sent after the transaction that published a report commits, with
`report_id`. Subscriptions and webhooks (notify.py) connect to it.
"""

from django.dispatch import Signal

report_published = Signal()
