"""Opportunities, participation, hours, matching and "my 1%"."""
