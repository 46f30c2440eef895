"""Fixtures and small raw ASGI apps the tests drive through the client."""

from __future__ import annotations

from hypothesis import settings

# No wall clock in the unit run: Hypothesis' per-example deadline fails a test that is
# merely slow on a busy machine.
settings.register_profile("asgikit", deadline=None)
settings.load_profile("asgikit")
