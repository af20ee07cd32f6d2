"""What payments announce to the apps above them (invoicing, …), which subscribe in
their AppConfig.ready(): payments never imports its subscribers.
"""

from django.dispatch import Signal

# Sent once a new Refund row is committed, with ``refund_id`` (its primary key),
# whichever way it came (a staff refund, a charge.refunded webhook). Sent with
# send_robust(): a failing subscriber is logged and never undoes the refund; each
# must be idempotent and able to catch up on its own.
refund_recorded = Signal()
