"""The console in a real browser against a local stack whose answers stream from a (fake) model: sign up, create a
chatbot, upload documents to S3 with progress bars until they are indexed, ask in the playground, make the chatbot
public and take the snippet; and another organization's chatbot is not found."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, WebSocket, expect

from local.fakes.samples import pdf
from local.stack.process import Stack
from tests.support.api import bearer
from tests.support.browser import PASSWORD, assert_accessible, delete_for_good

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot, Site

LLAMAS = (
    "Llamas hum when they are calm or curious. An alarm call sounds like a braying donkey. "
    "Llamas eat grass and hay; an adult needs about two percent of its weight in food daily."
)
ALPACAS = "# Alpacas\n\nAlpacas are shorn once a year, in spring.\n"
# Long enough, on a busy machine, for the indexing of a small PDF, and for an answer that starts the chat functions.
SLOW_STEP_MS = 60_000


@pytest.fixture(scope="module")
def stack(model_stack: Stack) -> tuple[str, Path]:
    """`make run` with a model whose answers stream word by word (the OpenAI fake), so tokens arrive one by one."""
    return model_stack.url, model_stack.log


def _token_frames(page: Page) -> list[str]:
    """The text of every `token` frame the page's WebSockets receive, as they arrive."""
    received: list[str] = []

    def watch(socket: WebSocket) -> None:
        def frame(payload: str | bytes) -> None:
            message = json.loads(payload)
            if message.get("type") == "token":
                received.append(message["text"])

        socket.on("framereceived", frame)

    page.on("websocket", watch)
    return received


def test_an_owner_signs_up_uploads_asks_and_embeds_in_the_console(
    page: Page,
    stack: tuple[str, Path],
    tmp_path: Path,
    shop: Site,
    elsewhere: Site,
    screenshot: Screenshot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    url, _ = stack
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    tokens = _token_frames(page)

    # Sign up, with the password rule shown
    page.goto(f"{url}/#/signup")
    expect(page.get_by_role("heading", name="Create your Parley account")).to_be_visible()
    expect(page.get_by_text("At least 12 characters")).to_be_visible()
    assert_accessible(page, accessibility_violations)
    page.get_by_label("Organization").fill("Llama Farm")
    page.get_by_label("E-mail").fill(f"owner-{uuid.uuid4().hex[:10]}@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    screenshot(page, "sign-up")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Chatbots", exact=True)).to_be_visible()
    expect(page.get_by_text("No chatbots yet")).to_be_visible()
    expect(page.get_by_text("Loading the Parley console")).to_have_count(0)
    assert_accessible(page, accessibility_violations)
    screenshot(page, "chatbots")

    # Create a chatbot: the console opens its documents
    page.get_by_label("Name").fill("Llama care")
    page.get_by_role("button", name="Create chatbot").click()
    expect(page.get_by_role("heading", name="Llama care")).to_be_visible()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    assert_accessible(page, accessibility_violations)

    # Upload a PDF with the keyboard (the file button) and a Markdown file by dropping it
    guide = tmp_path / "llamas.pdf"
    guide.write_bytes(pdf([LLAMAS]))
    page.get_by_label("Choose files…").focus()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(guide)
    page.locator(".dropzone").dispatch_event(
        "drop", {"dataTransfer": page.evaluate_handle(_DROPPED, {"name": "alpacas.md", "text": ALPACAS})}
    )
    # (each row says how its upload goes, then its status: test_first_hour.py follows them change by change)
    documents = page.get_by_role("table", name="Documents")
    for name in ("llamas.pdf", "alpacas.md"):
        expect(documents.get_by_role("row").filter(has_text=name)).to_be_visible()
    screenshot(page, "uploaded")
    for name in ("llamas.pdf", "alpacas.md"):
        row = documents.get_by_role("row").filter(has_text=name)
        expect(row).to_have_attribute("data-status", "indexed", timeout=SLOW_STEP_MS)
        expect(row.get_by_role("cell").nth(3)).to_have_text(re.compile(r"^[1-9]\d*$"))  # chunks
    expect(documents.get_by_role("row").filter(has_text="llamas.pdf")).to_contain_text("Indexed")
    expect(page.get_by_role("progressbar")).to_have_count(0)
    assert_accessible(page, accessibility_violations)
    screenshot(page, "indexed")

    # Ask in the playground: the answer streams in, with its citation
    page.get_by_role("link", name="Playground").click()
    page.get_by_label("Question").fill("When do llamas hum?")
    page.get_by_role("button", name="Ask").click()
    answer = page.locator(".turn.assistant").last
    citation = answer.get_by_role("button", name=re.compile(r"\[1\] llamas\.pdf, page 1"))
    expect(citation).to_be_visible(timeout=SLOW_STEP_MS)
    expect(answer.locator(".answer")).to_contain_text("calm")
    assert len(tokens) > 1, tokens
    assert "".join(tokens) in answer.locator(".answer").inner_text()
    citation.click()
    expect(answer.locator("blockquote")).to_contain_text("Llamas hum when they are calm")
    expect(page.get_by_role("list", name="Sources")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("When do llamas hum"))).to_be_visible()  # the history
    assert_accessible(page, accessibility_violations)
    screenshot(page, "playground")

    # Make it public for a website, then take the snippet
    page.get_by_role("link", name="Settings").click()
    page.get_by_label("Visibility").select_option("public")
    page.get_by_label("Allowed origins", exact=True).fill(shop.origin)
    page.get_by_label("Welcome message").fill("Ask me about llamas")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "public")
    page.get_by_role("link", name="Embed").click()
    expect(page.get_by_text(f"Allowed origins: {shop.origin}")).to_be_visible()
    snippet = page.locator(".snippet").inner_text()
    assert re.fullmatch(
        rf'<script src="{re.escape(url)}/widget\.js" data-key="pk_[\w-]{{32}}" data-title="Llama care" '
        r'data-color="#2f5bea" data-welcome="Ask me about llamas" async></script>',
        snippet,
    ), snippet
    page.get_by_role("button", name="Copy snippet").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == snippet
    preview = page.frame_locator("iframe[title='Preview of the chat widget']")
    expect(preview.locator("script[data-key^='pk_']")).to_have_count(1)
    assert_accessible(page, accessibility_violations)
    screenshot(page, "embed")
    console = page.url

    # The snippet pasted into the shop's page (the origin allowed, on another port): a visitor asks and is answered
    page.goto(shop.web_page("/", "Llama wool shop", snippet))
    page.get_by_role("button", name="Open chat").click()
    widget = page.locator("[data-parley-widget] .panel")
    expect(widget).to_contain_text("Ask me about llamas")
    page.get_by_label("Your question").fill("When do llamas hum?")
    page.get_by_label("Your question").press("Enter")
    visitor_answer = widget.locator(".message.assistant").last
    expect(visitor_answer).to_have_class(re.compile(r"\bdone\b"), timeout=SLOW_STEP_MS)
    expect(visitor_answer).to_contain_text("calm")
    expect(visitor_answer).to_contain_text("llamas.pdf")
    screenshot(page, "visitor-answered")
    # and the same snippet on a site the chatbot does not allow is refused
    page.goto(elsewhere.web_page("/", "Copycat shop", snippet))
    page.get_by_role("button", name="Open chat").click()
    expect(page.locator("[data-parley-widget] .panel")).to_contain_text("This chat is not available on this website.")
    screenshot(page, "visitor-refused")
    page.goto(console)

    # Delete it, after confirming
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("button", name="Delete chatbot…").click()
    confirmation = page.get_by_role("dialog", name="Delete “Llama care”?")
    expect(confirmation).to_be_visible()
    expect(confirmation.get_by_role("button", name="Cancel")).to_be_focused()
    assert_accessible(page, accessibility_violations)
    screenshot(page, "delete")
    delete_for_good(page, confirmation, "Llama care")
    expect(page.get_by_role("heading", name="Chatbots", exact=True)).to_be_visible()


# A drop of one text file, as the browser builds it from a file dragged onto the page.
_DROPPED = """({ name, text }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name, { type: "" }));
    return transfer;
}"""


def test_another_organizations_chatbot_is_not_found_in_the_console(
    page: Page, stack: tuple[str, Path], screenshot: Screenshot, accessibility_violations: AccessibilityViolations
) -> None:
    url, _ = stack
    # Given two organizations, the first with a chatbot
    with httpx.Client(base_url=url, timeout=30) as api:
        owners = []
        for _ in range(2):
            email = f"owner-{uuid.uuid4().hex[:10]}@example.com"
            registered = api.post("/auth/register", json={"email": email, "password": PASSWORD})
            assert registered.status_code == 201, registered.text
            owners.append((email, registered.json()["tokens"]["access_token"]))
        created = api.post("/chatbots", headers=bearer(owners[0][1]), json={"name": "Private"})
        chatbot_id = created.json()["id"]
    # When the second signs in and opens the first's chatbot by its address
    page.goto(f"{url}/#/signin")
    assert_accessible(page, accessibility_violations)
    page.get_by_label("E-mail").fill(owners[1][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Chatbots", exact=True)).to_be_visible()
    for tab in ("settings", "documents"):
        page.goto(f"{url}/#/chatbots/{chatbot_id}/{tab}")
        # Then the console says it is not found, and shows nothing of it
        expect(page.get_by_role("heading", name="Chatbot not found")).to_be_visible()
        expect(page.get_by_text("Private")).to_have_count(0)
    assert_accessible(page, accessibility_violations)
    screenshot(page, "not-found")
    # And signing out leads back to sign-in
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Parley")).to_be_visible()
    assert page.evaluate("Object.keys(localStorage)") == []
