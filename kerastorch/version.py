"""The version of kerastorch (``kerastorch.__version__``)."""

__version__ = "0.1.0.dev0"
"""kerastorch's version (PEP 440), as the distribution ``kerastorch-lib`` reports it."""
