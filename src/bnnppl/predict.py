"""The old path of ``bnnppl.results.prediction``, kept for ``from bnnppl.predict import ...``.

``bnnppl.predict`` itself stays the function ``predict`` (``bnnppl/__init__`` loads this module
first, then binds the function), so ``bp.predict(posterior, x)`` works beside
``from bnnppl.predict import log_likelihood, network_draws``.
"""

from bnnppl.results.prediction import *  # noqa: F403
from bnnppl.results.prediction import __all__  # noqa: F401
