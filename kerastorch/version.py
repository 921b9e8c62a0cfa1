"""The version of kerastorch (``kerastorch.__version__``)."""

__version__ = "0.1.0.dev0"
