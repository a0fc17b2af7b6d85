"""Map management for coordinators (the initiative's owner and team): create a map, its settings,
its reviewers and its categories. Plus the public list of an initiative's maps.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from samen.core.access import Role, is_signed_in
from samen.initiatives.access import get_initiative_for_team, get_initiative_for_viewer

from .. import tasks
from ..access import get_map_for_coordinator
from ..forms import CategoryForm, NewReportMapForm, ReportMapForm, ReviewerForm, category_tree
from ..models import Category, ReportMap


@require_safe
def initiative_maps(request, initiative_slug):
    initiative, role = get_initiative_for_viewer(request.user, initiative_slug)
    maps = ReportMap.objects.filter(initiative=initiative)
    if role < Role.TEAM:
        # Private maps are listed only for the people who may open them: the team and their reviewers.
        visible = Q(visibility=ReportMap.Visibility.PUBLIC)
        if is_signed_in(request.user):
            visible |= Q(reviewers=request.user)
        maps = maps.filter(visible).distinct()
    return render(
        request,
        "reports/manage_initiative_maps.html",
        {"initiative": initiative, "maps": maps.order_by("title"), "is_team": role >= Role.TEAM},
    )


@login_required
@require_http_methods(["GET", "POST"])
def map_create(request, initiative_slug):
    initiative, _role = get_initiative_for_team(request.user, initiative_slug)
    form = NewReportMapForm(
        request.POST or None,
        instance=ReportMap(initiative=initiative),
        initial={"channels": [ReportMap.Channel.WEB]},
    )
    if request.method == "POST" and form.is_valid():
        report_map = form.save()
        messages.success(request, _("The map is ready. Set where it opens and add categories."))
        return redirect("reports:manage", report_map.slug)
    return render(
        request,
        "reports/manage_map_new.html",
        {"initiative": initiative, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def map_settings(request, slug):
    report_map, _role = get_map_for_coordinator(request.user, slug)
    form = ReportMapForm(request.POST or None, instance=report_map)
    country = report_map.country
    if request.method == "POST":
        if form.is_valid():
            form.save()
            if report_map.country != country:
                # Local numbers are read differently now: scrub the public text of the map again.
                map_id = report_map.pk
                transaction.on_commit(lambda: tasks.rescrub_map.enqueue(map_id))
            messages.success(request, _("Saved."))
            return redirect("reports:manage", report_map.slug)
        # A failed POST must not show the half-edited map as if it were saved.
        report_map.refresh_from_db()
    return render(
        request,
        "reports/manage_settings.html",
        {"report_map": report_map, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def reviewers(request, slug):
    report_map, _role = get_map_for_coordinator(request.user, slug)
    form = ReviewerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        report_map.reviewers.add(form.member)
        messages.success(
            request, _("%(name)s can review reports on this map now.") % {"name": form.member.display_name}
        )
        return redirect("reports:manage_reviewers", report_map.slug)
    return render(
        request,
        "reports/manage_reviewers.html",
        {"report_map": report_map, "form": form, "reviewers": report_map.reviewers.order_by("name", "email")},
    )


@login_required
@require_POST
def reviewer_remove(request, slug, member_pk):
    report_map, _role = get_map_for_coordinator(request.user, slug)
    member = get_object_or_404(report_map.reviewers.all(), pk=member_pk)
    report_map.reviewers.remove(member)
    messages.success(request, _("%(name)s no longer reviews this map.") % {"name": member.display_name})
    return redirect("reports:manage_reviewers", report_map.slug)


def _categories_page(request, report_map, form, *, category=None):
    return render(
        request,
        "reports/manage_categories.html",
        {
            "report_map": report_map,
            "form": form,
            "category": category,
            "tree": category_tree(report_map.categories.all()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def categories(request, slug):
    report_map, _role = get_map_for_coordinator(request.user, slug)
    form = CategoryForm(request.POST or None, report_map=report_map)
    if request.method == "POST" and form.is_valid():
        category = form.save()
        messages.success(request, _("Added the category “%(name)s”.") % {"name": category.title})
        return redirect("reports:manage_categories", report_map.slug)
    return _categories_page(request, report_map, form)


@login_required
@require_http_methods(["GET", "POST"])
def category_edit(request, slug, pk):
    report_map, _role = get_map_for_coordinator(request.user, slug)
    category = get_object_or_404(Category, report_map=report_map, pk=pk)
    form = CategoryForm(request.POST or None, instance=category, report_map=report_map)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved the category “%(name)s”.") % {"name": category.title})
        return redirect("reports:manage_categories", report_map.slug)
    if request.method == "POST":
        category.refresh_from_db()
    return _categories_page(request, report_map, form, category=category)


@login_required
@require_POST
def category_delete(request, slug, pk):
    report_map, _role = get_map_for_coordinator(request.user, slug)
    category = get_object_or_404(Category, report_map=report_map, pk=pk)
    if category.children.exists():
        # Deleting would take the subcategories with it (and their place on every report).
        messages.error(
            request, _("Move or delete the subcategories of “%(name)s” first.") % {"name": category.title}
        )
        return redirect("reports:manage_category", report_map.slug, category.pk)
    category.delete()
    messages.success(
        request,
        _("Deleted the category “%(name)s”. Its reports keep their other categories.")
        % {"name": category.title},
    )
    return redirect("reports:manage_categories", report_map.slug)


urlpatterns = [
    path("initiative/<slug:initiative_slug>/", initiative_maps, name="initiative_maps"),
    path("initiative/<slug:initiative_slug>/new/", map_create, name="create"),
    path("<slug:slug>/manage/", map_settings, name="manage"),
    path("<slug:slug>/manage/reviewers/", reviewers, name="manage_reviewers"),
    path(
        "<slug:slug>/manage/reviewers/<int:member_pk>/remove/", reviewer_remove, name="manage_reviewer_remove"
    ),
    path("<slug:slug>/manage/categories/", categories, name="manage_categories"),
    path("<slug:slug>/manage/categories/<int:pk>/", category_edit, name="manage_category"),
    path("<slug:slug>/manage/categories/<int:pk>/delete/", category_delete, name="manage_category_delete"),
]
