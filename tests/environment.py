"""The environment the tests start in, set before pytest-django reads the settings.

The settings default to production; the tests load them as `make run` does, with DEBUG on
(a generated secret key, derived participation keys, no HTTPS redirect). pytest-django still
turns DEBUG off while each test runs. Loaded first through `-p tests.environment`.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "1")
