"""publisher: one Issue, every channel.

The core package: the content model, readers, assembly, settings, store and
CLI. Nothing here knows a particular channel; adapters live in ``channels``.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
