"""`{% unmatched_count as n %}`: how many messages that match no map wait for the viewer."""

from django import template

from samen.reports.unmatched import count_for_viewer

register = template.Library()


@register.simple_tag(takes_context=True)
def unmatched_count(context) -> int:
    request = context.get("request")
    if request is None:
        return 0
    # Once per request, however many parts of the page ask.
    if not hasattr(request, "_reports_unmatched_count"):
        request._reports_unmatched_count = count_for_viewer(request.user)
    return request._reports_unmatched_count
