"""Billing: orders placed through payment providers (no card data is ever stored)."""
