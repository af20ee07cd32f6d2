"""Benchmarks. Not part of the shop: nothing under storefront/ or reports/ imports this."""
