"""``ConfigError``: the one-line error of a user mistake in a config, a data file or a
command-line value; the ``bnnppl`` command prints it as ``bnnppl: error: ...`` and exits 2."""

__all__ = ["ConfigError"]


class ConfigError(ValueError):
    """A user mistake in a config, a data file or a command-line value (one line, no traceback)."""
