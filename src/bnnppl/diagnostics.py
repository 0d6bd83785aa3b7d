"""The old path of ``bnnppl.results.diagnostics``: the same names, for code that imports
``bnnppl.diagnostics``."""

from bnnppl.results.diagnostics import *  # noqa: F403
from bnnppl.results.diagnostics import __all__  # noqa: F401
