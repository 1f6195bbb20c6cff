"""The only code that mutates Drift state."""
