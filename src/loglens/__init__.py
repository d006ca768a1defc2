"""LogLens: a self-hosted server for structured JSON logs."""

__version__ = "0.1.0"
