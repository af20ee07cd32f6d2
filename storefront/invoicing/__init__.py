"""Invoices, receipts, pro-formas and credit notes: numbered documents and their PDFs.

Subscribes to what orders and payments announce (signals.order_paid,
signals.proforma_mail_prepared, payments.signals.refund_recorded); neither imports it.
"""
