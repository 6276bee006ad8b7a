"""Modules named after the function they define (``scenario.run``, ``visibility.isovist``, ...).

A package that re-exported such a function under the module's own name hid the module:
``import cpted_sim.visibility.isovist as m`` gave the function. The packages now keep the module
under its name; the function is reached as ``cpted_sim.isovist`` or
``cpted_sim.visibility.isovist.isovist``. For one release the module can still be called like the
function it is named after (``from cpted_sim.visibility import isovist; isovist(...)``), with a
:class:`DeprecationWarning` (docs/architecture.md, "Names and defaults").
"""

from __future__ import annotations

import sys
import types
import warnings

__all__ = ["callable_module"]


class _CallableModule(types.ModuleType):
    """A module that forwards a call to its namesake function, with a DeprecationWarning."""

    def __call__(self, *args, **kwargs):
        name = self.__name__.rsplit(".", 1)[-1]
        warnings.warn(f"calling the module {self.__name__} is deprecated and will stop working "
                      f"in the next release: call cpted_sim.{name} (or {self.__name__}.{name})",
                      DeprecationWarning, stacklevel=2)
        return getattr(self, name)(*args, **kwargs)


def callable_module(name: str) -> None:
    """Let the module ``name`` (already in ``sys.modules``) be called as its namesake function."""
    sys.modules[name].__class__ = _CallableModule
