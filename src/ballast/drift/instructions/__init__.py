"""The Exchange's instructions, grouped as the reference's `instructions/` modules."""
