"""Crowdsourced plans: sections, reactions, suggested edits, questions to the crowd."""
