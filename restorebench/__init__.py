"""restorebench plumbing shared by every layer: image I/O, validation, seeds, weights, atomic files.

Layering: ``degrade``, ``models`` and ``benchmark`` import from here; this package imports none of
them (the CLI dispatcher imports a layer's command module lazily, only when that command runs).
"""

__version__ = "0.1.0"
