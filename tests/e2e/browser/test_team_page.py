"""The Team page in a real browser: an owner invites an admin, who joins by signing up from the accept link, and a
member, who joins by signing in; roles change, someone is removed and ownership is handed over, each confirmed; a
member sees the team but no managing controls."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import PASSWORD, assert_accessible, sign_in

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot


def _email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def _invite(page: Page, email: str, role: str) -> str:
    """Invite from the Team page; the accept link it shows once (a new one: the last invitation's is replaced)."""
    invite = page.get_by_role("region", name="Invite someone")
    link = page.get_by_label("Accept link")
    before = link.input_value() if link.count() else ""
    invite.get_by_label("E-mail").fill(email)
    invite.get_by_label("Role").select_option(role)
    invite.get_by_role("button", name="Create invitation").click()
    expect(page.get_by_text(f"Send this link to {email} yourself")).to_be_visible()
    expect(link).to_have_value(re.compile("#/join/.+"))
    assert link.input_value() != before
    return link.input_value()


def test_an_owner_builds_a_team_in_the_console(
    page: Page,
    browser: Browser,
    base_url: str,
    api: httpx.Client,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    owner_email, bea_email, cy_email = _email("owner"), _email("bea"), _email("cy")
    assert api.post("/auth/register", json={"email": owner_email, "password": PASSWORD}).status_code == 201
    # Cy has an (empty) account of his own already
    assert api.post("/auth/register", json={"email": cy_email, "password": PASSWORD}).status_code == 201

    # The owner opens the Team page: only themselves, no invitation yet
    sign_in(page, base_url, owner_email, lands_on=None)
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    expect(page.get_by_text("No pending invitations.")).to_be_visible()
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("row")).to_have_count(2)  # the header and the owner

    # They invite Bea as an admin: the accept link is shown once, to copy (no e-mail is sent)
    bea_link = _invite(page, bea_email, "admin")
    assert "#/join/" in bea_link
    expect(page.get_by_text("Parley sends no e-mail")).to_be_visible()
    pending = page.get_by_role("region", name="Pending invitations")
    expect(pending.get_by_role("cell", name=bea_email, exact=True)).to_be_visible()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "invited")
    cy_link = _invite(page, cy_email, "member")

    # Bea opens her link and signs up with it: she lands on the team page as an admin
    bea_context = browser.new_context(viewport={"width": 1280, "height": 800})
    bea = bea_context.new_page()
    bea.goto(bea_link)
    expect(bea.get_by_role("heading", name="Join your team on Parley")).to_be_visible()
    assert_accessible(bea, accessibility_violations)
    screenshot(bea, "join-by-sign-up")
    bea.get_by_label("E-mail").fill(bea_email)
    bea.get_by_label("Password").fill(PASSWORD)
    bea.get_by_role("button", name="Create account and join").click()
    expect(bea.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    expect(bea.get_by_text(f"{bea_email} (admin)")).to_be_visible()
    expect(bea.get_by_role("region", name="Invite someone")).to_be_visible()
    bea_context.close()

    # Cy opens his, signs in and accepts: as a member he sees the team but no managing control
    cy_context = browser.new_context(viewport={"width": 1280, "height": 800})
    cy = cy_context.new_page()
    cy.goto(cy_link)
    cy.get_by_role("button", name="Sign in to accept").click()
    cy.get_by_label("E-mail").fill(cy_email)
    cy.get_by_label("Password").fill(PASSWORD)
    cy.get_by_role("button", name="Sign in").click()
    expect(cy.get_by_role("heading", name="Join a team")).to_be_visible()
    screenshot(cy, "join-by-sign-in")
    cy.get_by_role("button", name="Accept the invitation").click()
    expect(cy.get_by_role("heading", name="Team", exact=True)).to_be_visible()
    expect(cy.get_by_text(f"{cy_email} (member)")).to_be_visible()
    expect(cy.get_by_text("You are a member")).to_be_visible()
    # (the team loaded: the owner, Bea and Cy, before looking for what is not there)
    expect(cy.get_by_role("region", name="Members").get_by_role("row")).to_have_count(4)
    expect(cy.get_by_role("region", name="Invite someone")).to_have_count(0)
    expect(cy.get_by_role("combobox")).to_have_count(0)
    expect(cy.get_by_role("button", name=f"Remove {bea_email}…")).to_have_count(0)
    assert_accessible(cy, accessibility_violations)
    screenshot(cy, "member-view")
    cy_context.close()

    # The owner sees both; makes Cy an admin, then removes him, confirming first
    page.reload()
    expect(members.get_by_role("row")).to_have_count(4)
    expect(page.get_by_text("No pending invitations.")).to_be_visible()
    page.get_by_label(f"Role of {cy_email}").select_option("admin")
    expect(page.get_by_label(f"Role of {cy_email}")).to_have_value("admin")
    page.get_by_role("button", name=f"Remove {cy_email}…").click()
    dialog = page.get_by_role("dialog", name=f"Remove {cy_email} from the team?")
    expect(dialog).to_be_visible()
    screenshot(page, "confirm-removal")
    dialog.get_by_role("button", name="Remove for good").click()
    expect(members.get_by_role("cell", name=cy_email, exact=True)).to_have_count(0)

    # and hands ownership to Bea: they become an admin, and may no longer transfer
    page.get_by_role("button", name=f"Make {bea_email} the owner…").click()
    page.get_by_role("dialog", name=f"Hand ownership to {bea_email}?").get_by_role(
        "button", name="Transfer ownership"
    ).click()
    expect(page.get_by_text(f"{owner_email} (admin)")).to_be_visible()
    expect(page.get_by_role("button", name=f"Make {bea_email} the owner…")).to_have_count(0)
    expect(members.get_by_text("Owner", exact=True)).to_have_count(1)
    assert_accessible(page, accessibility_violations)
    screenshot(page, "after-transfer")
