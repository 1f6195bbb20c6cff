"""Test-suite settings: under CI, hypothesis draws a fixed sequence of examples (derandomized),
so a CI run is reproducible; locally it explores new examples on every run."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
