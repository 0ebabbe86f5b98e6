"""SQLAlchemy's dialect compliance suite, run against postgresql+middleware."""

from sqlalchemy.testing.suite import *  # noqa: F403
