"""Fundraising goals, donations, payment providers and campaigns."""
