"""Tracked messages, links, touches and conversions."""
