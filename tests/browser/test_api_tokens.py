"""Journey: a member creates a personal API token, uses it once, and revokes it."""

import re

import pytest
from playwright.sync_api import expect

from .harness import check_a11y, log_in, visit

pytestmark = pytest.mark.browser


def test_a_member_creates_uses_and_revokes_a_token(page, owner):
    log_in(page, owner)
    visit(page, "/tokens/")
    expect(page.get_by_text("You have no tokens yet.")).to_be_visible()

    page.get_by_label("Name").fill("Spreadsheet import")
    page.get_by_role("button", name="Create token").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your new API token")
    raw = page.get_by_label("Token “Spreadsheet import”").input_value()
    assert re.fullmatch(r"smn_\S{20,}", raw), raw
    check_a11y(page)

    me = page.request.get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert me.status == 200
    assert me.json()["email"] == owner.email

    page.get_by_role("link", name="Back to my API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    row = page.get_by_role("row", name=re.compile("Spreadsheet import"))
    expect(row).to_contain_text(raw[:8])
    expect(page.get_by_text(raw)).to_have_count(0)  # shown once, never again
    check_a11y(page)

    row.get_by_role("button", name="Revoke “Spreadsheet import”").click()

    expect(page.get_by_role("status")).to_contain_text("is revoked")
    expect(page.get_by_role("row", name=re.compile("Spreadsheet import"))).to_contain_text("Revoked on")
    check_a11y(page)
    refused = page.request.get("/api/me", headers={"Authorization": f"Bearer {raw}"})
    assert refused.status == 401
    assert "detail" in refused.json()
