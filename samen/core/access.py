"""The vocabulary every access helper speaks.

A viewer's relation to a thing is one `Role`. Each app that owns private objects has an
`access.py` with `get_<thing>_for_viewer(viewer, ...)` functions that fetch and check in one
step; views never fetch a private object any other way. A refusal is a 404, so that an
outsider cannot even learn that a draft or a private report exists.
"""

from enum import IntEnum

from django.http import Http404


class Role(IntEnum):
    ANONYMOUS = 0  # not signed in
    OUTSIDER = 1  # signed in, no relation to the thing
    MEMBER = 2  # signed in and connected to it (follows it, takes part in it)
    TEAM = 3  # on the initiative's team
    OWNER = 4  # owns the initiative


# Primary keys are 64-bit integers. The ORM answers "nothing" for a bigger number, but a hand-written
# query would hand it to the database, which refuses it (SQLite: "Python int too large").
MAX_KEY = 2**63 - 1


def is_key(value: int) -> bool:
    """Whether a number from a URL can name a row at all: hand-written queries check this first."""
    return -MAX_KEY - 1 <= value <= MAX_KEY


def deny(message: str = "Not found") -> Http404:
    return Http404(message)


def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated)
