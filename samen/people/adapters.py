from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.http import Http404

from samen.core.throttle import client_key


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        """The address allauth's rate limits count by: the same as every other throttle's."""
        return client_key(request)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        """A provider without keys is switched off, so its URLs answer 404.

        The Facebook and LinkedIn apps stay installed (their URLs exist) whether or not the
        environment configures them; allauth would raise SocialApp.DoesNotExist, a 500, for
        every crawler that finds /accounts/facebook/login/.
        """
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist as exc:
            raise Http404("This log-in provider is not configured.") from exc
