"""The old path of ``bnnppl.model.likelihoods``: the same names, for code that imports
``bnnppl.likelihoods``."""

from bnnppl.model.likelihoods import *  # noqa: F403
from bnnppl.model.likelihoods import __all__  # noqa: F401
