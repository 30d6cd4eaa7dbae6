"""The chat widget on other people's websites: one script tag on a page served from another origin, a visitor's
question answered as it streams, the refusal on a site the chatbot does not allow, the keyboard alone, and a page
whose CSS is hostile."""

from __future__ import annotations

import base64
import html
import itertools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, WebSocketRoute, expect

from local.fakes.samples import GUIDE
from local.stack.process import Stack, chatbot_with_document
from local.stack.stack import ROOT
from tests.support.api import bearer

if TYPE_CHECKING:
    from tests.e2e.browser.conftest import AccessibilityViolations, Screenshot, Site
    from tests.support.api import OwnedChatbot

WIDGET = ROOT / "web" / "widget" / "dist" / "widget.js"
WELCOME = "Hello! Ask me anything about llama care."
# model_stack's visitor limit (PARLEY_VISITOR_MESSAGES_PER_MINUTE).
VISITOR_LIMIT = 3
REFUSAL = "This chat is not available on this website."
# Levels (of 255) a pixel's channel may differ by between two renderings of the same panel.
TOLERANCE = 8
HOSTILE_CSS = """
* { all: unset; }
html { font-size: 40px; background: #ff00ff; color: #00ff00; font-family: "Comic Sans MS", cursive; line-height: 3; }
body { font-size: 72px; letter-spacing: 6px; text-transform: uppercase; }
div, p, h2, button, textarea, form, span, summary, details {
  font-size: 64px !important; color: lime !important; background: yellow !important;
  padding: 30px !important; border: 10px dashed red !important; margin: 25px !important;
}
"""


@pytest.fixture(scope="module")
def stack(model_stack: Stack) -> tuple[str, Path]:
    """`make run` with an OpenAI key (the fake's), so that answers stream word by word as a model writes them; one
    network (127.0.0.1) opens every test's connections, and only the visitor limit is low."""
    return model_stack.url, model_stack.log


def _public_bot(url: str, shop: Site) -> OwnedChatbot:
    return chatbot_with_document(
        url,
        "llama-care.md",
        GUIDE,
        visibility="public",
        allowed_origins=[shop.origin],
        welcome_message=WELCOME,
    )


@pytest.fixture(scope="module")
def public_bot(stack: tuple[str, Path], shop: Site) -> tuple[dict[str, Any], dict[str, Any]]:
    return _public_bot(stack[0], shop)


def snippet(stack_url: str, key: str, **data: str) -> str:
    """The script tag the console gives a chatbot's owner to paste."""
    attributes = "".join(f' data-{name}="{html.escape(value)}"' for name, value in data.items())
    return f'<script src="{stack_url}/widget.js" data-key="{key}"{attributes} async></script>'


def panel(page: Page) -> Locator:
    return page.locator("[data-parley-widget] .panel")


def open_chat(page: Page) -> Locator:
    page.get_by_role("button", name="Open chat").click()
    opened = panel(page)
    expect(opened).to_be_visible()
    return opened


def widget_focus(page: Page) -> dict[str, Any] | None:
    """The element focused inside the widget's shadow root: its label or class, and whether it is in the panel."""
    focused: dict[str, Any] | None = page.evaluate(
        """() => {
            const focused = document.querySelector("[data-parley-widget]")?.shadowRoot?.activeElement;
            if (!focused) return null;
            return {
                name: focused.getAttribute("aria-label") || focused.className,
                inPanel: Boolean(focused.closest(".panel")),
            };
        }"""
    )
    return focused


def ask(page: Page, question: str) -> Locator:
    """Type a question and send it with Enter; the assistant's message that answers it, once complete."""
    answers = panel(page).locator(".message.assistant")
    before = answers.count()
    page.get_by_label("Your question").fill(question)
    page.get_by_label("Your question").press("Enter")
    answer = answers.nth(before)
    expect(answer).to_have_class(re.compile(r"\bdone\b"))
    return answer


def test_a_visitor_asks_and_sees_the_answer_stream_in_with_its_source(
    page: Page, stack: tuple[str, Path], shop: Site, screenshot: Screenshot
) -> None:
    # Given the chatbot's snippet on the shop's page (another origin than the stack's); a chatbot of its own, whose
    # one conversation the owner reads below
    url, _ = stack
    owner, bot = _public_bot(url, shop)
    page.goto(shop.web_page("/", "Llama wool shop", snippet(url, bot["public_key"])))
    screenshot(page, "shop-page")

    # When a visitor opens the chat, with the answer's text recorded at each change as it streams in
    chat = open_chat(page)
    expect(chat).to_have_attribute("data-link", "open")
    expect(chat.get_by_role("heading")).to_have_text("Llama care")
    expect(chat.locator(".welcome")).to_have_text(WELCOME)
    screenshot(page, "chat-open")
    page.evaluate(
        """() => {
            const log = document.querySelector("[data-parley-widget]").shadowRoot.querySelector(".log");
            window.seen = [];
            new MutationObserver(() => {
                const text = log.querySelector(".assistant .text")?.textContent ?? "";
                if (text && text !== window.seen.at(-1)) window.seen.push(text);
            }).observe(log, { childList: true, subtree: true, characterData: true });
        }"""
    )
    answer = ask(page, "What do llamas eat?")
    screenshot(page, "answer")

    # Then the answer grew in several steps into the whole of it, and names its source with the passage
    seen = page.evaluate("window.seen")
    assert len(seen) >= 3, seen
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(seen)), seen
    expect(answer.locator(".text")).to_contain_text("grass and hay")
    source = answer.locator("summary")
    expect(source.first).to_have_text("llama-care.md")
    source.first.click()
    expect(answer.locator("blockquote").first).to_contain_text("Llamas eat grass and hay")
    screenshot(page, "source-open")

    # And a follow-up continues the same conversation, which the owner finds with both questions
    ask(page, "And how do they sound?")
    visitor_id = page.evaluate("localStorage.getItem('parley:visitor')")
    assert re.fullmatch(r"[0-9a-f]{32}", visitor_id)
    auth = bearer(owner)
    conversations = httpx.get(f"{url}/chatbots/{bot['id']}/conversations", headers=auth).json()["items"]
    assert len(conversations) == 1
    messages = httpx.get(f"{url}/chatbots/{bot['id']}/conversations/{conversations[0]['id']}", headers=auth).json()
    assert [m["content"] for m in messages["messages"] if m["role"] == "user"] == [
        "What do llamas eat?",
        "And how do they sound?",
    ]


def test_the_open_panel_with_an_answer_has_no_serious_accessibility_violation(
    page: Page,
    stack: tuple[str, Path],
    shop: Site,
    public_bot: OwnedChatbot,
    accessibility_violations: AccessibilityViolations,
) -> None:
    url, _ = stack
    _, bot = public_bot
    page.goto(shop.web_page("/a11y", "Llama wool shop", snippet(url, bot["public_key"])))
    chat = open_chat(page)
    expect(chat).to_have_attribute("data-link", "open")
    ask(page, "What do llamas eat?")

    assert accessibility_violations(page) == []


def test_a_site_the_chatbot_does_not_allow_shows_the_refusal_and_opens_no_connection(
    page: Page, stack: tuple[str, Path], elsewhere: Site, public_bot: OwnedChatbot, screenshot: Screenshot
) -> None:
    url, _ = stack
    _, bot = public_bot
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(elsewhere.web_page("/", "Copycat shop", snippet(url, bot["public_key"])))

    chat = open_chat(page)

    expect(chat.get_by_role("status")).to_have_text(REFUSAL)
    expect(chat).to_have_attribute("data-link", "refused")
    expect(page.get_by_label("Your question")).to_be_disabled()
    # and it is not greeted as if it could ask: no welcome, nothing to type into
    expect(chat.locator(".welcome")).to_be_hidden()
    expect(page.get_by_label("Your question")).to_be_hidden()
    screenshot(page, "refused")
    assert sockets == []


def test_the_chat_is_usable_with_the_keyboard_alone(
    page: Page, stack: tuple[str, Path], shop: Site, public_bot: OwnedChatbot
) -> None:
    url, _ = stack
    _, bot = public_bot
    page.goto(shop.web_page("/keys", "Llama wool shop", snippet(url, bot["public_key"])))
    expect(page.get_by_role("button", name="Open chat")).to_be_visible()

    # Tab reaches the launcher after the page's own link; Enter opens the panel with the question field focused
    for _ in range(3):
        page.keyboard.press("Tab")
        if (widget_focus(page) or {}).get("name") == "Open chat":
            break
    assert widget_focus(page) == {"name": "Open chat", "inPanel": False}
    page.keyboard.press("Enter")
    expect(panel(page)).to_be_visible()
    assert widget_focus(page) == {"name": "input", "inPanel": True}

    # Tab and Shift+Tab go round inside the open panel
    for key in ["Tab"] * 6 + ["Shift+Tab"] * 6:
        page.keyboard.press(key)
        focused = widget_focus(page)
        assert focused is not None, key
        assert focused["inPanel"], (key, focused)

    # Escape closes it and gives focus back to the launcher
    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    assert widget_focus(page) == {"name": "Open chat", "inPanel": False}
    expect(page.get_by_role("button", name="Open chat")).to_have_attribute("aria-expanded", "false")


def test_the_visitor_is_told_when_sending_too_fast(
    page: Page, stack: tuple[str, Path], shop: Site, public_bot: OwnedChatbot
) -> None:
    url, _ = stack
    _, bot = public_bot
    page.goto(shop.web_page("/busy", "Llama wool shop", snippet(url, bot["public_key"])))
    open_chat(page)
    expect(panel(page)).to_have_attribute("data-link", "open")
    for _ in range(VISITOR_LIMIT):
        ask(page, "What do llamas eat?")

    page.get_by_label("Your question").fill("And one more?")
    page.get_by_label("Your question").press("Enter")

    expect(panel(page).locator(".notice")).to_have_text(
        re.compile(r"You are sending messages too quickly\. Please try again in \d+ seconds\.")
    )
    expect(panel(page).get_by_role("button", name="Send")).to_be_enabled()


def test_the_widget_reconnects_after_the_connection_drops(
    page: Page, stack: tuple[str, Path], shop: Site, public_bot: OwnedChatbot
) -> None:
    # Given every WebSocket of the page passed through to the stack, so that the test can cut one
    url, _ = stack
    _, bot = public_bot
    routes: list[WebSocketRoute] = []

    def through(route: WebSocketRoute) -> None:
        routes.append(route)
        route.connect_to_server()

    page.route_web_socket(re.compile(r"^ws://"), through)
    page.goto(shop.web_page("/drop", "Llama wool shop", snippet(url, bot["public_key"])))
    open_chat(page)
    expect(panel(page)).to_have_attribute("data-link", "open")

    page.evaluate(
        """() => {
            const chat = document.querySelector("[data-parley-widget]").shadowRoot.querySelector(".panel");
            window.links = [];
            new MutationObserver(() => window.links.push(chat.dataset.link)).observe(chat, { attributes: true });
        }"""
    )

    # When the connection drops
    routes[0].close()

    # Then the widget says so, connects again by itself, and answers on the new connection
    # (the states the panel went through after the drop: reconnecting, then open again)
    page.wait_for_function("() => window.links.join(' ').includes('reconnecting') && window.links.at(-1) === 'open'")
    assert len(routes) == 2
    answer = ask(page, "What do llamas eat?")
    expect(answer.locator(".text")).to_contain_text("grass and hay")


def test_a_hostile_page_style_does_not_change_the_widget(
    page: Page, stack: tuple[str, Path], shop: Site, public_bot: OwnedChatbot, screenshot: Screenshot
) -> None:
    # Given the same snippet on a plain page and on one whose CSS unsets everything and blows fonts up
    url, _ = stack
    _, bot = public_bot
    script = snippet(url, bot["public_key"], title="Llama help", color="#0f766e")
    looks = {}
    for name, css in (("plain", ""), ("hostile", HOSTILE_CSS)):
        page.goto(shop.web_page(f"/{name}", "Llama wool shop", script, css))
        chat = open_chat(page)
        expect(chat).to_have_attribute("data-link", "open")
        screenshot(page, name)
        launcher = page.locator("[data-parley-widget] .launcher")
        looks[name] = {
            "panel": chat.screenshot(animations="disabled"),
            "panel box": chat.bounding_box(),
            "launcher box": launcher.bounding_box(),
            "page font": page.evaluate("getComputedStyle(document.querySelector('h1')).fontSize"),
        }

    # Then the page's own heading did change, and the widget did not, pixel by pixel (bar the panel's rounded corners,
    # where the page's background shows through)
    assert looks["plain"]["page font"] != looks["hostile"]["page font"]
    assert looks["plain"]["panel box"] == looks["hostile"]["panel box"]
    assert looks["plain"]["launcher box"] == looks["hostile"]["launcher box"]
    assert pixel_difference(page, looks["plain"]["panel"], looks["hostile"]["panel"], corner=12) == {
        "size": "same",
        "differing": 0,
    }


def pixel_difference(page: Page, first: bytes, second: bytes, corner: int) -> dict[str, Any]:
    """Compares two PNGs in the browser (a canvas each, as Pillow is not a dependency): whether their sizes match,
    and how many pixels differ by more than TOLERANCE in a channel, leaving out `corner`-pixel squares at the four
    corners. The tolerance absorbs the compositor's anti-aliasing (a couple of levels at a bubble's rounded edge
    differ from one page load to the next); a changed font, size or colour differs by far more."""
    page.goto("about:blank")
    return dict(
        page.evaluate(
            """async ([first, second, corner, tolerance]) => {
                const pixels = async (png) => {
                    const image = new Image();
                    image.src = png;
                    await image.decode();
                    const canvas = new OffscreenCanvas(image.width, image.height);
                    const context = canvas.getContext("2d");
                    context.drawImage(image, 0, 0);
                    return context.getImageData(0, 0, image.width, image.height);
                };
                const [a, b] = [await pixels(first), await pixels(second)];
                if (a.width !== b.width || a.height !== b.height) return { size: "different", differing: -1 };
                let differing = 0;
                for (let y = 0; y < a.height; y++) {
                    for (let x = 0; x < a.width; x++) {
                        const inCorner =
                            (x < corner || x >= a.width - corner) && (y < corner || y >= a.height - corner);
                        const at = (y * a.width + x) * 4;
                        const far = [0, 1, 2, 3].some((c) => Math.abs(a.data[at + c] - b.data[at + c]) > tolerance);
                        if (!inCorner && far) differing++;
                    }
                }
                return { size: "same", differing };
            }""",
            [data_url(first), data_url(second), corner, TOLERANCE],
        )
    )


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()
