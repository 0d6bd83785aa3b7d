"""Counting JAX's compile events in tests: every in-memory cache miss traces a function
(``TRACE``) and lowers it to MLIR (``LOWER``) before the persistent cache is asked, and a miss
there compiles it (``COMPILE``)."""

import jax

LOWER = "/jax/core/compile/jaxpr_to_mlir_module_duration"
COMPILE = "/jax/core/compile/backend_compile_duration"
TRACE = "/jax/core/compile/jaxpr_trace_duration"


class Events:
    """The names of JAX's duration events while recording."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.on = False
        jax.monitoring.register_event_duration_secs_listener(self._record)

    def _record(self, name: str, duration: float, **kwargs) -> None:
        if self.on:
            self.names.append(name)

    def count(self, fn) -> dict[str, int]:
        self.names, self.on = [], True
        try:
            fn()
        finally:
            self.on = False
        return {name: self.names.count(name) for name in (TRACE, LOWER, COMPILE)}


EVENTS = Events()
