"""veille — self-hosted brand-mention listening."""

__version__ = "0.1.0"
