from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import Initiative


@require_GET
def home(request):
    latest = Initiative.objects.public().filter(status=Initiative.Status.OPEN)[:6]
    return render(request, "initiatives/home.html", {"initiatives": latest})
