"""The old path of ``bnnppl.runs.runner``: the same names, for code that imports
``bnnppl.run``."""

from bnnppl.runs.runner import *  # noqa: F403
from bnnppl.runs.runner import __all__  # noqa: F401
