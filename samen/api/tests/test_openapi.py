"""The OpenAPI document and the docs page."""

import re

import pytest

from .conftest import ApiClient

pytestmark = pytest.mark.django_db

EXPECTED = {
    ("/api/initiatives", "get"),
    ("/api/initiatives", "post"),
    ("/api/initiatives/{slug}", "get"),
    ("/api/initiatives/{slug}", "patch"),
    ("/api/initiatives/{slug}/updates", "get"),
    ("/api/initiatives/{slug}/updates", "post"),
    ("/api/initiatives/{slug}/updates/{update_id}", "get"),
    ("/api/me", "get"),
    ("/api/maps/{slug}/reports", "get"),
    ("/api/maps/{slug}/reports", "post"),
    ("/api/maps/{slug}/reports/{report_id}", "get"),
    ("/api/maps/{slug}/reports.geojson", "get"),
    ("/api/maps/{slug}/clusters", "get"),
    # volunteering
    ("/api/opportunities", "get"),
    ("/api/opportunities/suggested", "get"),
    ("/api/opportunities/{opportunity_id}", "get"),
    ("/api/opportunities/{opportunity_id}/participations", "get"),
    ("/api/opportunities/{opportunity_id}/participations", "post"),
    ("/api/initiatives/{slug}/opportunities", "post"),
    ("/api/participations/{participation_id}/decision", "post"),
    ("/api/participations/{participation_id}/withdraw", "post"),
    ("/api/participations/{participation_id}/hours", "get"),
    ("/api/participations/{participation_id}/hours", "post"),
    ("/api/hours/{entry_id}/decision", "post"),
    # giving
    ("/api/campaigns", "get"),
    ("/api/campaigns/{slug}", "get"),
    ("/api/campaigns/{slug}/leaderboard", "get"),
    ("/api/initiatives/{slug}/pledges", "post"),
    ("/api/initiatives/{slug}/donations", "get"),
    # plans
    ("/api/initiatives/{slug}/plans", "get"),
    ("/api/initiatives/{slug}/plans", "post"),
    ("/api/plans/{plan_id}", "get"),
    ("/api/plans/{plan_id}/sections", "post"),
    ("/api/sections/{section_id}/reactions", "get"),
    ("/api/sections/{section_id}/reactions", "post"),
    ("/api/reactions/{reaction_id}", "get"),
    # outreach: the team's own figures
    ("/api/initiatives/{slug}/outreach/messages", "get"),
    ("/api/initiatives/{slug}/outreach/messages", "post"),
    ("/api/campaigns/{slug}/outreach/messages", "get"),
    ("/api/campaigns/{slug}/outreach/messages", "post"),
    ("/api/outreach/messages/{message_id}", "get"),
    ("/api/outreach/messages/{message_id}/my-links", "post"),
    ("/api/outreach/messages/{message_id}/stats", "get"),
}
# Reads that only make sense for a token holder: their own profile, suggestions, a team's lists.
TOKEN_READS = {
    ("/api/me", "get"),
    ("/api/opportunities/suggested", "get"),
    ("/api/opportunities/{opportunity_id}/participations", "get"),
    ("/api/participations/{participation_id}/hours", "get"),
    ("/api/initiatives/{slug}/outreach/messages", "get"),
    ("/api/campaigns/{slug}/outreach/messages", "get"),
    ("/api/outreach/messages/{message_id}", "get"),
    ("/api/outreach/messages/{message_id}/stats", "get"),
}
WRITES = {operation for operation in EXPECTED if operation[1] in {"post", "patch"}} | TOKEN_READS


@pytest.fixture
def schema(db):
    response = ApiClient().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def resolve(schema, ref: str):
    node = schema
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def refs_in(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def test_it_lists_every_endpoint(schema):
    found = {(path, method) for path, operations in schema["paths"].items() for method in operations}
    assert found == EXPECTED


def test_it_is_a_well_formed_openapi_3_document(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Samen API"
    operation_ids = [op["operationId"] for ops in schema["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    for ref in refs_in(schema):
        assert resolve(schema, ref) is not None, ref
    for path, operations in schema["paths"].items():
        declared = {
            p["name"] for op in operations.values() for p in op.get("parameters", []) if p["in"] == "path"
        }
        assert declared == set(re.findall(r"{(\w+)}", path)), path
        for operation in operations.values():
            assert operation["responses"], path
            assert operation.get("summary"), path


def test_writes_need_a_token_and_reads_take_one_optionally(schema):
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if (path, method) in WRITES:
                assert operation["security"] == [{"TokenAuth": []}], (path, method)
            else:
                assert operation["security"] == [{}, {"TokenAuth": []}], (path, method)


def test_the_api_root_points_to_the_docs(db):
    body = ApiClient().get("/api/").json()
    assert body["openapi"].endswith("/api/openapi.json")
    assert body["docs"].endswith("/api/docs")
    assert body["tokens"].endswith("/tokens/")


def test_the_docs_page_documents_every_endpoint_in_plain_html(db):
    response = ApiClient().get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert "<script" not in page.split("<main", 1)[1]  # nothing here needs JavaScript
    for path, method in EXPECTED:
        assert f"<code>{method.upper()} {path}</code>" in page
    assert "<code>page_size</code>" in page  # parameters
    assert "<code>summary</code>" in page  # body fields
    assert 'href="/api/openapi.json"' in page
    assert 'href="/tokens/"' in page
    assert 'href="/api/docs/explorer"' in page


def test_the_explorer_runs_swagger_ui_from_our_own_server(db):
    response = ApiClient().get("/api/docs/explorer")
    assert response.status_code == 200
    page = response.content.decode()
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert any(src.endswith("swagger-ui-bundle.js") for src in scripts)
    assert all(src.startswith("/static/") for src in scripts), scripts  # no CDN
    assert '"url": "/api/openapi.json"' in page
    assert 'href="/api/docs"' in page  # the accessible alternative is one link away
    assert "<noscript>" in page


def test_swagger_ui_is_served_from_our_own_static_files(client):
    from django.contrib.staticfiles import finders

    assert finders.find("ninja/swagger-ui-bundle.js")
    assert finders.find("ninja/swagger-ui-init.js")
    assert finders.find("ninja/swagger-ui.css")


def test_every_operation_documents_its_error_answers(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            where = (path, method)
            assert "401" in codes, where  # a wrong token is refused everywhere
            if "{" in path:
                assert "404" in codes, where
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in codes, where
            if method in {"post", "patch"}:
                assert {"400", "403", "404", "422", "429"} <= codes, where
            for code in codes - {"200", "201"}:
                body = operation["responses"][code]["content"]["application/json"]["schema"]
                properties = (
                    resolve(schema, body["$ref"])["properties"] if "$ref" in body else body["properties"]
                )
                assert "detail" in properties, (where, code)


def test_choices_are_enums(schema):
    components = schema["components"]["schemas"]
    assert components["ReportOut"]["properties"]["source"]["enum"] == ["web", "sms", "email", "import", "api"]
    assert "published" in components["ReportOut"]["properties"]["status"]["enum"]
    assert components["InitiativeOut"]["properties"]["viewer_role"]["enum"][0] == "anonymous"
    assert "water" in components["InitiativeOut"]["properties"]["causes"]["items"]["enum"]
    assert components["OpportunityIn"]["properties"]["mode"]["enum"] == ["online", "on_location"]
    assert None in components["ReactionOut"]["properties"]["state"]["enum"]
    stats = next(
        p
        for p in schema["paths"]["/api/outreach/messages/{message_id}/stats"]["get"]["parameters"]
        if p["name"] == "model"
    )
    assert set(stats["schema"]["enum"]) == {"first", "last"}
