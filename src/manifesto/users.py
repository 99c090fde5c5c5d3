"""The unprivileged user MF401 (``root_user``) switches an image to: name and id.

Configured with ``user-name`` and ``user-id``. The defaults, ``app`` and 10001,
are a name and an id that no common base image ships: the uids below 1000 are
the system accounts of the base (``www-data`` is 33 on Debian, ``nginx`` 101 on
Alpine), 1000 is the first login user of many images (``node``, ``ubuntu``), and
65532/65534 are distroless's ``nonroot`` and ``nobody``. ``useradd --uid`` with
an id that exists already fails the build, so a clash is loud, never a shared
account; the configuration refuses the ids that would clash everywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_USER_NAME = "app"
DEFAULT_USER_ID = 10001

MIN_USER_ID = 1000
"""Below this are the system accounts of every distribution's base image."""
MAX_USER_ID = 2**31 - 2
"""The largest id ``useradd`` and BusyBox's ``adduser`` accept everywhere (-1 is "none")."""
_TAKEN_IDS = frozenset({65532, 65534, 65535})
"""distroless's ``nonroot``, ``nobody`` and the historical "no id" of 16-bit uids."""

_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
"""Portable user names: what Debian's adduser (NAME_REGEX), shadow's useradd and
BusyBox's adduser all accept, at most 32 characters."""
_SYSTEM_NAMES = frozenset(
    {
        *("root", "daemon", "bin", "sys", "adm", "sync", "games", "man", "lp", "mail"),
        *("news", "uucp", "proxy", "www-data", "backup", "list", "irc", "gnats", "nobody"),
        *("nogroup", "operator", "shutdown", "halt", "ftp", "postmaster", "cron", "squid"),
        *("xfs", "guest", "wheel", "users", "staff", "utmp", "tty", "disk", "kmem", "shadow"),
    }
)
"""Accounts and groups the base images of Debian, Ubuntu, Alpine and UBI already have."""


@dataclass(frozen=True, slots=True)
class AppUser:
    """The user (and its group, same name and id) an image is switched to."""

    name: str = DEFAULT_USER_NAME
    uid: int = DEFAULT_USER_ID


DEFAULT_APP_USER = AppUser()
"""The default of every settings object (a shared instance: it is frozen)."""


def user_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be the created user's name; None when it can."""
    if _NAME.fullmatch(name) is None:
        return (
            f"{name!r} is not a portable user name (lower-case letters, digits, '_' and '-',"
            " not starting with a digit or '-', at most 32 characters)"
        )
    if name in _SYSTEM_NAMES:
        return f"{name!r} is an account the base images already have"
    return None


def user_id_problem(uid: int) -> str | None:
    """Why ``uid`` cannot be the created user's id; None when it can."""
    if not MIN_USER_ID <= uid <= MAX_USER_ID:
        return (
            f"{uid} is outside {MIN_USER_ID}..{MAX_USER_ID}"
            " (lower ids are the base image's system accounts)"
        )
    if uid in _TAKEN_IDS:
        return f"{uid} is taken in common base images (nonroot 65532, nobody 65534)"
    return None


__all__ = [
    "DEFAULT_APP_USER",
    "DEFAULT_USER_ID",
    "DEFAULT_USER_NAME",
    "AppUser",
    "user_id_problem",
    "user_name_problem",
]
