"""Schemathesis against the live test server: no input gives a server error or an answer the
OpenAPI document does not describe (status code, content type, body).

Every operation of /api/openapi.json is run anonymously and with a token of an initiative's owner
(the demo data: initiatives, maps, plans, tasks, campaigns, outreach), each with a bounded number of
generated requests: data that fits the schema, data that does not, and, for half of the fitting
requests, path parameters that name real objects, so that the operations get past their 404.
Generation is derandomised, so a failure found here is found again on the next run.

SAMEN_SCHEMATHESIS_EXAMPLES raises the number of examples per operation and mode for a longer hunt.
"""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
import requests
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from samen.api.models import ApiToken
from samen.giving.models import Campaign
from samen.initiatives.models import Initiative, TeamMember
from samen.outreach.models import Message
from samen.plans.models import Plan, Reaction, Section
from samen.reports.models import Report, ReportMap
from samen.volunteering.models import Opportunity, Participation, TimeEntry

EXAMPLES = int(os.environ.get("SAMEN_SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Counted per mode, for the closing note of the issue (and to see that the test did run).
CASES: Counter = Counter()


def real_ids(owner) -> dict[str, object]:
    """A real object for each path parameter, where possible one the token's member may change."""
    initiative = Initiative.objects.filter(team__member=owner, team__role=TeamMember.Role.OWNER).first()
    participation = Participation.objects.filter(opportunity__initiative=initiative).first()
    return {
        "slug": initiative.slug if initiative else "",
        "map_slug": ReportMap.objects.values_list("slug", flat=True).first(),
        "campaign_slug": Campaign.objects.values_list("slug", flat=True).first(),
        "update_id": initiative.updates.values_list("pk", flat=True).first() if initiative else None,
        "report_id": Report.objects.values_list("pk", flat=True).first(),
        "opportunity_id": Opportunity.objects.values_list("pk", flat=True).first(),
        "participation_id": participation.pk if participation else None,
        "entry_id": TimeEntry.objects.values_list("pk", flat=True).first(),
        "plan_id": Plan.objects.values_list("pk", flat=True).first(),
        "section_id": Section.objects.values_list("pk", flat=True).first(),
        "reaction_id": Reaction.objects.values_list("pk", flat=True).first(),
        "message_id": Message.objects.values_list("pk", flat=True).first(),
    }


def path_values(path: str, ids: dict) -> dict:
    values = {}
    for name in re.findall(r"{(\w+)}", path):
        if name == "slug":
            key = "map_slug" if path.startswith("/api/maps/") else "slug"
            key = "campaign_slug" if path.startswith("/api/campaigns/") else key
        else:
            key = name
        if ids.get(key) is not None:
            values[name] = ids[key]
    return values


def run_operation(operation, base_url: str, headers: dict, ids: dict, label: str) -> None:
    real = path_values(operation.path, ids)
    strategy = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=real),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    session = requests.Session()

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],  # no shrinking: a failure is reported as found, at once
    )
    @given(case=strategy)
    def check(case):
        CASES[label] += 1
        response = case.call(base_url=base_url, headers=headers, session=session, timeout=30)
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        check()
    finally:
        # Ends the server's keep-alive thread, which then closes its database connection: PostgreSQL
        # would not drop the test database while it is still open.
        session.close()


@pytest.mark.django_db(transaction=True)
def test_no_input_gives_a_server_error_or_an_undocumented_answer(live_server, settings):
    settings.SITE_URL = live_server.url
    call_command("seed_demo", verbosity=0)
    owner = TeamMember.objects.filter(role=TeamMember.Role.OWNER).select_related("member").first().member
    _, token = ApiToken.issue(owner, "schemathesis")
    ids = real_ids(owner)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
    failures = []
    CASES.clear()
    for result in schema.get_all_operations():
        operation = result.ok()
        for label, headers in (("anonymous", {}), ("token", {"Authorization": f"Bearer {token}"})):
            try:
                run_operation(operation, live_server.url, headers, ids, label)
            except FailureGroup as error:
                failures.append(f"{label} {operation.label}:\n{error}")
    print(f"schemathesis cases: {dict(CASES)}")
    assert not failures, "\n\n".join(failures)
    assert CASES["anonymous"] >= len(list(schema.get_all_operations())) * EXAMPLES // 2
    assert CASES["token"] >= len(list(schema.get_all_operations())) * EXAMPLES // 2
