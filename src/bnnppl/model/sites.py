"""The names of ``BNN.model``'s sites: this module is the only place they live.

=========================== ============ ==================================================
site                        kind         shape / meaning
=========================== ============ ==================================================
``net.<param path>``        sample       each Bayesian parameter, e.g. ``net.Dense_0.kernel``
                                         of shape ``(n_features, width)`` (``n_features + 1``
                                         with a latent input)
``prior_scale.<layer>``     sample       ``()``: a layer's learned prior scale (hierarchical)
``net$params``              param        the deterministic layers' point estimates (NumPyro's
                                         name for a module's parameters)
``sigma``                   sample       ``()``: the noise scale, when the likelihood learns it
``data``                    plate        ``n_points``
``z``                       sample       ``(n_points,)``: the latent input, inside ``data``
                                         (only with ``ModelSpec(latent=LatentInput())``)
``f``                       deterministic ``(n_points, n_outputs)``: the network output
``obs``                     sample       ``(n_points,)``: the targets (observed when ``y`` given)
=========================== ============ ==================================================

Names use dots, not NumPyro's usual ``net/...``: ArviZ (xarray) forbids ``/`` in variable names.
With minibatches (``subsample_size``) ``z``, ``f`` and ``obs`` have ``subsample_size`` rows.

>>> param_site("Dense_0.kernel"), prior_scale_site("Dense_0")
('net.Dense_0.kernel', 'prior_scale.Dense_0')
"""

from __future__ import annotations

from numpyro.primitives import Messenger

NET = "net"
NET_PARAMS = "net$params"
F = "f"
SIGMA = "sigma"
OBS = "obs"
DATA_PLATE = "data"
PRIOR_SCALE = "prior_scale"
LATENT = "z"


def param_site(path: str) -> str:
    """The sample site of network parameter ``path``: ``"Dense_0.kernel"`` -> ``"net.Dense_0.kernel"``."""
    return f"{NET}.{path}"


def prior_scale_site(layer: str) -> str:
    """The sample-site name of a layer's learned prior scale: ``"prior_scale.Dense_0"``."""
    return f"{PRIOR_SCALE}.{layer}"


class _dotted_sites(Messenger):
    """Rename the sites NumPyro's module helpers scope as ``net/<path>`` to ``net.<path>``."""

    def process_message(self, msg: dict) -> None:
        if msg["type"] == "sample" and msg["name"].startswith(NET + "/"):
            msg["name"] = param_site(msg["name"][len(NET) + 1 :])
