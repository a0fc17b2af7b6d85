from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from samen.impact import ledger
from samen.impact.charts import monthly_chart
from samen.impact.models import Contribution
from samen.initiatives.access import get_initiative_for_viewer

LINES_PER_PAGE = 25


@login_required
def mine(request):
    """A member's own ledger. There is no URL for anyone else's: what people give is private."""
    lines = (
        Contribution.objects.filter(member=request.user)
        .select_related("initiative")
        .order_by("-occurred_at", "-id")
    )
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "totals": ledger.totals_for_member(request.user),
        "chart": monthly_chart(ledger.monthly_for_member(request.user)),
        "page": page,
    }
    return render(request, "impact/mine.html", context)


def initiative_totals(request, slug):
    """What an initiative has received, as totals only: no names, no individual lines."""
    initiative, _role = get_initiative_for_viewer(request.user, slug)
    context = {"initiative": initiative, "totals": ledger.totals_for_initiative(initiative)}
    return render(request, "impact/initiative.html", context)
