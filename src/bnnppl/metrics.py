"""The old path of ``bnnppl.results.metrics``: the same names, for code that imports
``bnnppl.metrics``."""

from bnnppl.results.metrics import *  # noqa: F403
from bnnppl.results.metrics import __all__  # noqa: F401
