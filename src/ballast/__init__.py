"""Ballast: exact, deterministic engines and backtests for perpetual-futures liquidity."""

__version__ = "0.1.0"

DRIFT_REFERENCE_COMMIT = "7c265f81090e62b2cf176df030f421045373a85e"
