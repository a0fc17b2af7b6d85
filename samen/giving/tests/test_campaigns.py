"""Campaigns: promoters, share links and QR, crediting, the leaderboard, the end time, matching, results."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from samen.giving import actions
from samen.giving.models import Campaign, CampaignProject, Donation, MatchingFund, Promoter

from .conftest import donate_form

pytestmark = pytest.mark.django_db


def test_a_member_joins_and_gets_a_page_with_share_links_and_a_qr_code(
    client_as, outsider, campaign, project
):
    client = client_as(outsider)
    response = client.post(
        reverse("giving:join", args=[campaign.slug]),
        {"project": project.pk, "story": "Because water.", "amount": "500"},
    )

    promoter = Promoter.objects.get(member=outsider)
    assert response.status_code == 302 and response["Location"] == promoter.get_absolute_url()
    assert (promoter.target_minor, promoter.project) == (50000, project)
    page = client.get(promoter.get_absolute_url()).content.decode()
    assert "Because water." in page
    for channel in ("x", "linkedin", "facebook", "whatsapp", "email"):
        assert f'data-channel="{channel}"' in page
    assert f'name="promoter" value="{promoter.pk}"' in page
    qr = client.get(reverse("giving:promoter_qr", args=[campaign.slug, promoter.pk]))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    # Drawn by an <img>, the SVG must be a document of its own: with the SVG namespace.
    assert b'xmlns="http://www.w3.org/2000/svg"' in qr.content
    # Joining twice leads to the same page.
    again = client.get(reverse("giving:join", args=[campaign.slug]))
    assert again.status_code == 302 and again["Location"] == promoter.get_absolute_url()


def test_a_gift_through_a_promoter_is_credited_to_them_their_project_and_the_campaign(
    client, initiative, promoter
):
    give = reverse("giving:give", args=[initiative.slug])
    # The promoter rides on the URL of the donate page, and in the form it posts.
    assert f'value="{promoter.pk}"' in client.get(give, {"promoter": promoter.pk}).content.decode()
    client.post(give, donate_form(amount="20", promoter=promoter.pk))
    client.post(give, donate_form(amount="5", project=promoter.project_id))

    promoter.refresh_from_db()
    project = CampaignProject.objects.get()
    campaign = Campaign.objects.get()
    assert (promoter.raised_minor, promoter.donation_count) == (2000, 1)
    assert (project.raised_minor, project.donation_count) == (2500, 2)
    assert (campaign.raised_minor, campaign.donation_count) == (2500, 2)
    assert Donation.objects.filter(promoter=promoter).count() == 1


def test_a_campaign_counts_only_its_currency(client, initiative, promoter):
    response = client.post(
        reverse("giving:give", args=[initiative.slug]),
        donate_form(amount="20", currency="USD", promoter=promoter.pk),
    )
    assert "counts gifts in EUR" in response.content.decode()
    assert not Donation.objects.exists()


def test_the_leaderboard_ranks_promoters_and_projects_and_updates_by_polling(
    client, initiative, campaign, project, promoter, outsider, make_initiative
):
    other_project = CampaignProject.objects.create(
        campaign=campaign, initiative=make_initiative(), target_minor=1000
    )
    rival = Promoter.objects.create(
        campaign=campaign, member=outsider, project=other_project, story="x", target_minor=9
    )
    actions.create_donation(
        other_project.initiative, amount_minor=5000, currency="EUR", email="a@example.org", promoter=rival
    )
    actions.create_donation(
        initiative, amount_minor=1000, currency="EUR", email="b@example.org", promoter=promoter
    )

    url = reverse("giving:leaderboard", args=[campaign.slug])
    page = client.get(url).content.decode()
    assert page.index("Otto Outsider") < page.index("Mia Member")
    assert 'hx-trigger="every 10s"' in page and f'action="{url}"' in page
    assert "Ends in 22" in page
    # htmx asks for the fragment only.
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith('<section id="leaderboard"') and "<html" not in fragment

    actions.create_donation(
        initiative, amount_minor=9000, currency="EUR", email="c@example.org", promoter=promoter
    )
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.index("Mia Member") < fragment.index("Otto Outsider")
    assert "€0.00 received and €150.00 promised, from 3 gifts" in fragment


def test_the_leaderboard_takes_a_bounded_number_of_queries(
    client, campaign, project, promoter, django_assert_max_num_queries, outsider
):
    for n in range(5):
        person = type(outsider).objects.create_user(email=f"p{n}@example.org", password=None, name=f"P {n}")
        Promoter.objects.create(
            campaign=campaign, member=person, project=project, story="x", target_minor=100
        )
    with django_assert_max_num_queries(8):
        client.get(reverse("giving:leaderboard", args=[campaign.slug]))


def test_the_campaign_ends_exactly_at_its_end_time(initiative, campaign, promoter, goal):
    just_before = campaign.ends_at - timedelta(microseconds=1)
    with time_machine.travel(just_before, tick=False):
        on_time, _ = actions.create_donation(
            initiative, amount_minor=1000, currency="EUR", email="a@example.org", promoter=promoter
        )
    with time_machine.travel(campaign.ends_at, tick=False):
        late, _ = actions.create_donation(
            initiative, amount_minor=700, currency="EUR", email="b@example.org", promoter=promoter
        )

    assert (on_time.campaign, on_time.promoter, on_time.late_for_campaign) == (campaign, promoter, False)
    assert (late.campaign, late.promoter, late.late_for_campaign) == (None, None, True)
    campaign.refresh_from_db()
    promoter.refresh_from_db()
    goal.refresh_from_db()
    assert campaign.raised_minor == promoter.raised_minor == 1000
    assert goal.raised_minor == 1700  # the late gift still reaches the initiative


def test_a_gift_made_before_the_end_counts_even_when_paid_after_it(initiative, campaign, promoter):
    with time_machine.travel(campaign.ends_at - timedelta(minutes=1), tick=False):
        donation, _ = actions.create_donation(
            initiative, amount_minor=1000, currency="EUR", email="a@example.org", promoter=promoter
        )
    with time_machine.travel(campaign.ends_at + timedelta(hours=2), tick=False):
        actions.mark_paid(donation)
    campaign.refresh_from_db()
    assert campaign.raised_minor == 1000


def test_before_the_start_gifts_do_not_count_either(initiative, campaign, promoter):
    with time_machine.travel(campaign.starts_at - timedelta(seconds=1), tick=False):
        early, _ = actions.create_donation(
            initiative, amount_minor=1000, currency="EUR", email="a@example.org", promoter=promoter
        )
    assert early.campaign is None and not early.late_for_campaign


def test_matching_is_exact_and_capped_in_sponsor_order(campaign):
    MatchingFund.objects.create(campaign=campaign, sponsor="Bank", cap_minor=10_000)
    MatchingFund.objects.create(campaign=campaign, sponsor="Shop", cap_minor=5_001)
    for raised, bank, shop in [
        (0, 0, 0),
        (3_333, 3_333, 0),
        (10_000, 10_000, 0),
        (12_345, 10_000, 2_345),
        (99_999, 10_000, 5_001),
    ]:
        campaign.raised_minor = raised
        matching = actions.matching_for(campaign)
        assert [m.matched_minor for m in matching.matches] == [bank, shop]
        assert matching.total_minor == raised + bank + shop


def test_the_campaign_page_shows_matching_and_a_way_in(
    client_as, member, campaign, project, promoter, initiative
):
    MatchingFund.objects.create(campaign=campaign, sponsor="Rabo Foundation", cap_minor=1_000)
    actions.create_donation(
        initiative, amount_minor=2500, currency="EUR", email="a@example.org", promoter=promoter
    )

    page = client_as(None).get(campaign.get_absolute_url()).content.decode()
    assert "Rabo Foundation matches 1:1: €10.00 of up to €10.00" in page
    assert "plus €10.00 matched: €35.00 in all" in page
    assert "Become a promoter" in page
    mine = client_as(member).get(campaign.get_absolute_url()).content.decode()
    assert "Your promoter page and share links" in mine


def test_results_csv(client, campaign, project, promoter, initiative):
    MatchingFund.objects.create(campaign=campaign, sponsor="Bank", cap_minor=500)
    actions.create_donation(
        initiative, amount_minor=2500, currency="EUR", email="a@example.org", promoter=promoter
    )

    response = client.get(reverse("giving:results_csv", args=[campaign.slug]))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["kind", "rank", "name", "initiative", "raised_minor"]
    assert ["project", "1", initiative.title, initiative.slug, "2500", "EUR", "1", "500000"] in rows
    assert ["promoter", "1", "Mia Member", initiative.slug, "2500", "EUR", "1", "100000"] in rows
    assert ["match", "", "Bank", "", "500", "EUR", "", "500"] in rows
    assert rows[-1][:5] == ["total", "", campaign.title, "", "3000"]


def test_an_organiser_creates_a_campaign_and_adds_projects_and_a_matching_fund(
    client_as, outsider, initiative
):
    client = client_as(outsider)
    response = client.post(
        reverse("giving:campaign_create"),
        {
            "title": "Water day",
            "description": "24 hours for water.",
            "starts_at": "2030-05-01T10:00",
            "hours": "24",
            "currency": "EUR",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert campaign.ends_at - campaign.starts_at == timedelta(hours=24)
    manage = reverse("giving:campaign_manage", args=[campaign.slug])
    client.post(manage, {"form": "project", "initiative": initiative.slug, "amount": "1000"})
    again = client.post(manage, {"form": "project", "initiative": initiative.slug, "amount": "1000"})
    client.post(manage, {"form": "fund", "sponsor": "Bank", "amount": "250"})
    missing = client.post(manage, {"form": "project", "initiative": "no-such-thing", "amount": "1"})

    assert "already takes part" in again.content.decode()
    assert "no open initiative" in missing.content.decode()
    assert campaign.projects.get().target_minor == 100000
    assert campaign.matching_funds.get().cap_minor == 25000


def test_nobody_joins_an_ended_campaign(client_as, outsider, campaign, project):
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=campaign.starts_at + timedelta(seconds=1))
    response = client_as(outsider).post(
        reverse("giving:join", args=[campaign.slug]), {"project": project.pk, "story": "late", "amount": "5"}
    )
    assert "has ended" in response.content.decode()
    assert not Promoter.objects.exists()


def test_get_campaign_by_hand_written_query_matches_the_orm(campaign):
    from django.forms.models import model_to_dict
    from django.http import Http404

    from samen.giving import access

    found = access.get_campaign(campaign.slug)
    orm = Campaign.objects.get(slug=campaign.slug)
    assert model_to_dict(found) == model_to_dict(orm)
    assert (found.raised_minor, found.board_version, found.created_at) == (
        orm.raised_minor,
        orm.board_version,
        orm.created_at,
    )
    with pytest.raises(Http404):
        access.get_campaign("no-such-campaign")


def test_results_csv_neutralises_every_text_and_keeps_figures_numbers(
    client, campaign, project, promoter, initiative
):
    campaign.title = "=HYPERLINK(1)"
    campaign.save(update_fields=["title"])
    MatchingFund.objects.create(campaign=campaign, sponsor="@SUM(1)", cap_minor=500)

    response = client.get(reverse("giving:results_csv", args=[campaign.slug]))

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert ["match", "", "'@SUM(1)", "", "0", "EUR", "", "500"] in rows
    assert rows[-1][:5] == ["total", "", "'=HYPERLINK(1)", "", "0"]
