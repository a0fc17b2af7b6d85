import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "smn_"  # noqa: S105 - a public marker that makes leaked tokens easy to scan for
# Writing last_used_at on every request would turn every API read into a write; a minute is
# precise enough for a member deciding which token is still in use.
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its hash is stored: the member sees the token once."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("member"),
    )
    name = models.CharField(_("name"), max_length=80)
    key_hash = models.CharField(_("fingerprint"), max_length=64, unique=True)
    prefix = models.CharField(_("starts with"), max_length=12)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, member, name: str) -> tuple["ApiToken", str]:
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(member=member, name=name, key_hash=hash_token(raw), prefix=raw[:10])
        return token, raw

    @classmethod
    def find_active(cls, raw: str) -> "ApiToken | None":
        """The live token for this raw value, with its member, or None.

        The lookup is by hash: the database never holds or sees a raw token, so a leaked
        backup cannot be replayed against the API.
        """
        if not raw.startswith(TOKEN_PREFIX):
            return None
        return (
            cls.objects.select_related("member")
            .filter(key_hash=hash_token(raw), revoked_at=None, member__is_active=True)
            .first()
        )

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def touch(self, now=None) -> bool:
        """Record use, at most once a minute. Returns whether a row was written.

        The Python check skips the query on most requests; the conditional UPDATE keeps
        concurrent requests from writing the same minute twice.
        """
        now = now or timezone.now()
        stale_before = now - LAST_USED_PRECISION
        if self.last_used_at is not None and self.last_used_at > stale_before:
            return False
        written = (
            ApiToken.objects.filter(pk=self.pk)
            .filter(Q(last_used_at=None) | Q(last_used_at__lte=stale_before))
            .update(last_used_at=now)
        )
        if written:
            self.last_used_at = now
        return bool(written)

    def revoke(self, now=None) -> bool:
        """Revoke once; revoking again keeps the first time. Returns whether this call revoked it."""
        now = now or timezone.now()
        written = ApiToken.objects.filter(pk=self.pk, revoked_at=None).update(revoked_at=now)
        if written:
            self.revoked_at = now
        return bool(written)
