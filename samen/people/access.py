"""Access helpers for member profiles: the only way views and the API fetch one.

A profile is shown according to the member's own choice (`profile_visibility`). Contact
details are stricter: they are private to the member and to staff. Later capabilities that
need to reach a member (an initiative team answering a volunteer, say) grant that through
their own helpers, built on `contact_for`, so that every exception is named in one place.
"""

from dataclasses import dataclass

from samen.core.access import deny, is_signed_in

from .models import Member


def is_self_or_staff(viewer, member: Member) -> bool:
    if not is_signed_in(viewer):
        return False
    return viewer.pk == member.pk or viewer.is_staff


def can_view_profile(viewer, member: Member) -> bool:
    if is_self_or_staff(viewer, member):
        return True
    if not member.is_active:
        # A deactivated account is gone as far as other members are concerned.
        return False
    if member.profile_visibility == Member.Visibility.PUBLIC:
        return True
    if member.profile_visibility == Member.Visibility.MEMBERS:
        return is_signed_in(viewer)
    return False


def get_profile_for_viewer(viewer, pk: int) -> Member:
    """Fetch a member's profile, or raise 404 when the viewer may not see it.

    A refusal looks exactly like a member who does not exist, so nobody can learn which ids
    belong to private profiles.
    """
    member = Member.objects.filter(pk=pk).first()
    if member is None or not can_view_profile(viewer, member):
        raise deny()
    return member


def place_visible_to(viewer, member: Member) -> bool:
    """Whether the place name shows on the profile. Coordinates never do: they serve matching only."""
    return member.show_place or is_self_or_staff(viewer, member)


@dataclass(frozen=True)
class Contact:
    email: str
    phone: str
    by_email: bool
    by_sms: bool


def contact_for(member: Member) -> Contact:
    """The member's contact details and wishes. Call it only from an access helper that checked the viewer."""
    return Contact(
        email=member.email,
        phone=member.phone,
        by_email=member.contact_by_email,
        by_sms=member.contact_by_sms and bool(member.phone),
    )


def contact_for_viewer(viewer, member: Member) -> Contact | None:
    """Contact details for the member themselves and for staff; None for everyone else."""
    if not is_self_or_staff(viewer, member):
        return None
    return contact_for(member)
