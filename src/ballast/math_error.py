"""`MathError`, the error of the integer helpers in `ballast.fixed`.

It lives in its own (never compiled) module because mypyc cannot compile a class that derives
from a built-in exception; `ballast.fixed` re-exports it, so callers import it from there.
"""

from __future__ import annotations

__all__ = ["MathError"]


class MathError(ArithmeticError):
    """An arithmetic result the reference would reject (overflow, division by zero, bad cast)."""
