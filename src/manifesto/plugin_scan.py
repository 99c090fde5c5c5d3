"""Whether any installed package declares a manifesto plugin, told without
``importlib.metadata``.

Every run asks for the plugins (:func:`manifesto.registry.plugins`), and nearly
every installation has none. ``importlib.metadata`` costs some 25 ms of start-up
to say so (it imports ``email``, ``zipfile``, ``csv``... and parses every
distribution's entry points). This module reads the same files it would: the
``entry_points.txt`` of each ``*.dist-info`` / ``*.egg-info`` folder on
``sys.path``, found the way ``importlib.metadata.FastPath`` finds them. When none
mentions the group there is no plugin; in every other case (a mention, a zip on
the path, another distribution finder installed) the caller asks
``importlib.metadata`` as before, so the answer never differs.
"""

from __future__ import annotations

import functools
import os
import sys


@functools.cache
def no_plugin_declared(group: str) -> bool:
    """True when no distribution that ``importlib.metadata`` finds can declare an
    entry point in ``group``; False when one may (then ask it). Asked once per process,
    as the plugins are loaded once (:func:`manifesto.plugins.load_plugins`)."""
    import importlib.machinery

    for finder in sys.meta_path:
        if finder is not importlib.machinery.PathFinder and hasattr(finder, "find_distributions"):
            return False  # a finder of its own: only importlib.metadata knows what it finds
    wanted = group.encode()
    for entry in sys.path:
        if not isinstance(entry, str):
            return False
        root = entry or "."
        try:
            children = os.listdir(root)
        except OSError:
            if os.path.exists(root):
                return False  # a zip archive (an egg, pythonXY.zip): read as zip by importlib
            continue
        base_is_egg = os.path.basename(entry).lower().endswith(".egg")
        for child in children:
            low = child.lower()
            metadata = low.endswith((".dist-info", ".egg-info")) or (
                base_is_egg and low == "egg-info"
            )
            if metadata and _may_declare(os.path.join(root, child, "entry_points.txt"), wanted):
                return False
    return True


def _may_declare(path: str, group: bytes) -> bool:
    try:
        with open(path, "rb") as stream:
            return group in stream.read()
    except (FileNotFoundError, NotADirectoryError):
        return False  # no entry points (or an egg-info file): importlib.metadata finds none
    except OSError:
        return True  # unreadable here: let importlib.metadata decide
