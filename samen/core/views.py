from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def reference_rows(request):
    """A bare view that renders 20 rows. Benchmarks compare real pages with it, in the same run."""
    rows = [{"n": n, "title": f"Row {n}", "summary": "A reference row of plain text."} for n in range(20)]
    return render(request, "core/reference_rows.html", {"rows": rows})


def not_found(request, exception=None):
    return render(request, "404.html", status=404)
