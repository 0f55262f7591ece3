"""The portal tests use the search tests' published studies."""

from tests.search.conftest import make_study

__all__ = ["make_study"]
