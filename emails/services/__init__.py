"""Writes of the emails app: transitions, eligibility, holdout and drafting."""
