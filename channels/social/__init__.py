"""The social channel: per-platform posts, exactly counted, and posting that never duplicates.

``counters`` and ``xtext`` count as each platform does; ``segment``,
``fit`` and ``thread`` shorten and split copy without cutting what must stay
whole; ``compose`` turns an Issue into each platform's posts through the
theme's ``templates/social/``; ``channel`` is the ``Channel`` adapter and
its preflight checks; ``posters/`` holds one poster per platform and
``dispatch`` posts a thread to an account, resuming from the ledger.
"""

from __future__ import annotations

from channels.social.channel import SocialChannel

__all__ = ["SocialChannel"]
