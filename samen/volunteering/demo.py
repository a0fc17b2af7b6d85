"""Demo data for `manage.py seed_demo`."""


def seed(members, initiatives) -> int:
    """Add this app's demo rows (idempotent); return how many rows were new.

    `members` maps e-mail to Member, `initiatives` maps slug to Initiative.
    """
    return 0
