"""What orders announce to the apps above them (delivery, invoicing, …), which subscribe in
their AppConfig.ready(): orders never imports its subscribers.
"""

from django.dispatch import Signal

# Sent once an order's paid state is committed (mark_order_paid), with
# ``order_id``. Sent with send_robust(): a failing subscriber is logged and never
# undoes the payment or stops another subscriber; each must be idempotent and
# have its own way to catch up (a sweep, or work done on first use).
order_paid = Signal()

# Sent once a change of a paid order's named seats is committed (a holder named or
# replaced), with ``order_id``: delivery stamps and mails the new holders' copies.
# Sent with send_robust(), like order_paid; the delivery sweep catches up.
seat_holders_changed = Signal()

# Sent while the pro-forma mail of an invoice order is built, inside the
# transaction that records it as sent, with ``order`` and ``message`` (an
# EmailMessage). Subscribers may attach documents to the message. An error
# propagates: the mail is not sent, nothing is recorded, the task retries or
# flags the order for staff.
proforma_mail_prepared = Signal()
