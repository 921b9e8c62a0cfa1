"""Utilities: seeding."""

from kerastorch.utils.seed import set_random_seed

__all__ = ["set_random_seed"]
