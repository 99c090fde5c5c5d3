"""``python -m manifesto``: the same entry as the console script, which turns Ctrl-C
during start-up into status 130 instead of a traceback."""

from __future__ import annotations

from manifesto._entry import main

main()
