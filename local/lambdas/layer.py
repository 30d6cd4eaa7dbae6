"""What a function can import in Lambda: the standard library, its layer (the parley package and its dependencies,
layers/parley/Makefile), and what the runtime adds. The local stack's interpreter also holds the tests' and tools'
packages; an execution environment must not see them (worker.py refuses them), or a function could work here on a
package Lambda never ships, and pay here for what it never loads there (httpx imports its command line's rich,
click and pygments wherever they are installed).
"""

from __future__ import annotations

import importlib.metadata
import re
from functools import lru_cache

from packaging.requirements import Requirement

# The layer's distribution, with the extra the local stack adds (its embedded embedder and index).
LAYER = ("parley", frozenset({"local"}))
# Lambda's Python runtime provides the SnapStart hooks' module (parley/snapstart.py).
RUNTIME = ("snapshot-restore-py",)
# The stand-in's own package (the worker runs from it), and setuptools' import hooks of editable installs.
STAND_IN = ("local", "_distutils_hack")


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def layer_distributions() -> set[str]:
    """The distributions the layer installs: the parley package's requirements, followed through their own."""
    found: dict[str, frozenset[str]] = {}
    pending = [LAYER, *((name, frozenset[str]()) for name in RUNTIME)]
    while pending:
        name, extras = pending.pop()
        key = _normalized(name)
        if key in found and extras <= found[key]:
            continue
        found[key] = found.get(key, frozenset()) | extras
        try:
            requirements = importlib.metadata.distribution(name).requires or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requirements:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras or {""}):
                pending.append((requirement.name, frozenset(requirement.extras)))
    return set(found)


@lru_cache(maxsize=1)
def outside_layer() -> frozenset[str]:
    """The top-level modules installed here that no distribution of the layer provides."""
    layer = layer_distributions()
    return frozenset(
        module
        for module, distributions in importlib.metadata.packages_distributions().items()
        if module not in STAND_IN
        and not module.startswith("__editable__")
        and not any(_normalized(distribution) in layer for distribution in distributions)
    )
