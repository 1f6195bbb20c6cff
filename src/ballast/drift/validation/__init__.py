"""Checks an instruction runs before it changes state; each raises a typed DriftError."""
