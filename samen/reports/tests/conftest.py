"""Crowd-report fixtures (report_map, categories, reviewer, map_people, make_report) live in the
root conftest.py, shared with the browser tests."""
