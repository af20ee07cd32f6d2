"""Delivery: licence stamping, private storage, download grants, delivery tasks.

The package's errors live here so that every module (and the tasks that catch them)
can import them without importing the PDF machinery.
"""


class DeliveryError(Exception):
    """A delivery step failed; the message is safe to show to staff."""


class StampError(DeliveryError):
    """The licence stamp could not be applied (unreadable master, bad stamp data, ...).

    Nothing was written to the output when this is raised.
    """
