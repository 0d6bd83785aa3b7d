"""The old path of ``bnnppl.runs.config``: the same names, for code that imports
``bnnppl.config``."""

from bnnppl.runs.config import *  # noqa: F403
from bnnppl.runs.config import __all__  # noqa: F401
