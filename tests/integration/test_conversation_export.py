"""GET /chatbots/{id}/conversations/export through the query function's handler, against moto: both formats inline,
the date range and feedback filters, the download link beyond the inline bound, and who may export."""

from __future__ import annotations

import base64
import csv
import io
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from parley.adapters.dynamo.table import serialize
from parley.container import get_container
from parley.domain.analytics import answer_tally
from parley.domain.common import id_floor, utcnow
from parley.domain.conversations import Conversation, Feedback, Message

if TYPE_CHECKING:
    from tests.integration.conftest import Functions


EXPORT = "/chatbots/{chatbot_id}/conversations/export"


@pytest.fixture
def chatbot(lambdas: Functions, owner: dict[str, Any]) -> str:
    return str(lambdas.chatbot(owner, name="Help")["id"])


def _store(
    tenant_id: str,
    chatbot_id: str,
    started: datetime,
    turns: list[tuple[str, str, str | None]],
    started_by: str = "visitor:v1",
) -> str:
    """A conversation started at `started` (its id says when, as new_id's do), with question/answer turns, each answer
    rated (up/down) or not; written through the conversation store, as answers are."""
    conversation = Conversation(
        id=id_floor(started) + secrets.token_hex(9),
        tenant_id=tenant_id,
        chatbot_id=chatbot_id,
        title=turns[0][0],
        started_by=started_by,
        created_at=started,
        updated_at=started,
    )
    messages: list[Message] = []
    for number, (question, answer, rating) in enumerate(turns):
        at = started + timedelta(seconds=2 * number)
        messages.append(
            Message(
                id=id_floor(at) + "0" * 18,
                conversation_id=conversation.id,
                role="user",
                content=question,
                created_at=at,
            )
        )
        feedback = Feedback(rating=rating, at=at, comment=f"{rating}!") if rating else None
        later = at + timedelta(seconds=1)
        messages.append(
            Message(
                id=id_floor(later) + "1" * 18,
                conversation_id=conversation.id,
                role="assistant",
                content=answer,
                mode="extractive",
                latency_ms=42,
                feedback=feedback,
                created_at=later,
            )
        )
    # Counted as one answer in the day's analytics (what export reads is the messages, not the counters)
    tally = answer_tally(messages[-1], new_conversation=True, cost_usd=0)
    get_container().conversation_store.append(conversation, messages, new=True, tally=tally)
    return conversation.id


def _export(lambdas: Functions, user_id: str, chatbot_id: str, **query: str) -> tuple[int, dict[str, str], bytes]:
    response = lambdas.respond(
        "QueryFunction", "GET", EXPORT, sub=user_id, path_parameters={"chatbot_id": chatbot_id}, query=query
    )
    body = response.get("body") or ""
    content = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    return response["statusCode"], {k.lower(): v for k, v in response.get("headers", {}).items()}, content


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def _lines(content: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in content.decode().splitlines()]


def _today() -> datetime:
    return utcnow().replace(hour=9, minute=0, second=0, microsecond=0)


def test_an_owner_exports_json_lines_of_every_message_in_the_range(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    # Given two conversations today (one with a quote and a line break), and one 40 days ago
    tenant = owner["tenant"]["id"]
    first = _store(tenant, chatbot, _today(), [("Hello", 'Say "hi",\nplease', "down")])
    second = _store(tenant, chatbot, _today() + timedelta(minutes=5), [("Bye", "See you", None)])
    _store(tenant, chatbot, _today() - timedelta(days=40), [("Old", "Older", None)])

    # When the owner exports with the default range (the last 30 days)
    status, headers, content = _export(lambdas, owner["user"]["id"], chatbot, format="jsonl")

    # Then it is the file itself: JSON Lines, one object per message, oldest conversation first
    assert status == 200, content
    assert headers["content-type"] == "application/x-ndjson"
    assert headers["content-disposition"].startswith(f'attachment; filename="conversations-{chatbot}-')
    assert headers["content-disposition"].endswith('.jsonl"')
    rows = _lines(content)
    assert [(row["conversation_id"], row["role"], row["content"]) for row in rows] == [
        (first, "user", "Hello"),
        (first, "assistant", 'Say "hi",\nplease'),
        (second, "user", "Bye"),
        (second, "assistant", "See you"),
    ]
    assert rows[1]["feedback"] == "down"
    assert rows[1]["feedback_comment"] == "down!"
    assert rows[1]["latency_ms"] == 42
    assert rows[1]["started_by"] == "visitor:v1"


def test_a_conversation_a_member_started_is_exported_with_their_e_mail_address(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    # Given a conversation the owner started in the playground, and one a visitor started
    tenant, user_id = owner["tenant"]["id"], owner["user"]["id"]
    _store(tenant, chatbot, _today(), [("Hello", "Hi", None)], started_by=user_id)
    _store(tenant, chatbot, _today() + timedelta(minutes=1), [("Bye", "See you", None)])

    # When the owner exports them
    status, _, content = _export(lambdas, user_id, chatbot, format="csv")

    # Then the owner's is theirs by e-mail address, not by user id; the visitor's keeps the visitor's tag
    assert status == 200, content
    assert [row["started_by"] for row in _csv(content)] == ["owner@example.com"] * 2 + ["visitor:v1"] * 2


def test_csv_of_a_date_range_with_only_the_negative_feedback(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    # Given conversations on three days, with answers rated up, down and not at all
    tenant, day = owner["tenant"]["id"], _today() - timedelta(days=10)
    _store(tenant, chatbot, day - timedelta(days=1), [("Before", "=before", "down")])
    inside = _store(tenant, chatbot, day, [("Good?", "Yes", "up"), ("=Bad?", "-No", "down"), ("Meh?", "Meh", None)])
    _store(tenant, chatbot, day + timedelta(days=1), [("After", "after", "down")])

    # When the owner exports that one day as CSV, negative feedback only
    status, headers, content = _export(
        lambdas,
        owner["user"]["id"],
        chatbot,
        format="csv",
        **{"from": day.date().isoformat(), "to": day.date().isoformat(), "feedback": "down"},
    )

    # Then only the down-rated answer comes, after its question, with formulas neutralised
    assert status == 200, content
    assert headers["content-type"] == "text/csv; charset=utf-8"
    assert headers["content-disposition"].endswith(f'-{day.date()}-to-{day.date()}-down.csv"')
    rows = _csv(content)
    assert [(row["conversation_id"], row["role"], row["content"], row["feedback"]) for row in rows] == [
        (inside, "user", "'=Bad?", ""),
        (inside, "assistant", "'-No", "down"),
    ]


def test_a_reversed_range_a_too_long_one_and_an_unknown_format_are_422(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    user = owner["user"]["id"]
    status, _, content = _export(lambdas, user, chatbot, **{"from": "2026-03-02", "to": "2026-03-01"})
    assert status == 422
    assert json.loads(content)["error"]["message"] == "from (2026-03-02) is after to (2026-03-01)"
    status, _, content = _export(lambdas, user, chatbot, **{"from": "2024-01-01", "to": "2026-03-01"})
    assert (status, json.loads(content)["error"]["code"]) == (422, "validation_error")
    status, _, content = _export(lambdas, user, chatbot, format="xlsx")
    assert (status, json.loads(content)["error"]["code"]) == (422, "validation_error")


@pytest.mark.parametrize("function_environment", [{"PARLEY_EXPORT_MAX_CONVERSATIONS": "2"}])
def test_more_conversations_than_one_export_reads_is_refused_with_what_to_do(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    for minutes in range(3):
        _store(owner["tenant"]["id"], chatbot, _today() + timedelta(minutes=minutes), [("Q", "A", None)])

    status, _, content = _export(lambdas, owner["user"]["id"], chatbot)

    assert status == 422
    error = json.loads(content)["error"]
    assert error["code"] == "export_too_large"
    assert "narrowing from and to" in error["message"]


@pytest.mark.parametrize("function_environment", [{"PARLEY_EXPORT_INLINE_MAX_BYTES": "300"}])
def test_an_export_beyond_the_inline_bound_comes_as_a_short_lived_link_to_s3(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    # Given more conversation than 300 bytes of CSV
    tenant = owner["tenant"]["id"]
    for minutes in range(3):
        _store(tenant, chatbot, _today() + timedelta(minutes=minutes), [("Question " * 10, "Answer " * 10, "up")])

    # When the owner exports it
    status, headers, content = _export(lambdas, owner["user"]["id"], chatbot, format="csv")

    # Then the answer is a link, presigned for 15 minutes, to the file under the chatbot's exports
    assert status == 200, content
    assert headers["content-type"] == "application/json"
    link = json.loads(content)
    assert link["expires_in"] == 900
    assert link["filename"].endswith(".csv")
    url = urlsplit(link["url"])
    assert parse_qs(url.query)["X-Amz-Expires"] == ["900"]
    bucket = lambdas.resources["DocumentsBucket"]["Ref"]
    key = unquote(url.path).lstrip("/").removeprefix(f"{bucket}/")  # path- or virtual-hosted-style
    assert key.startswith(f"tenants/{tenant}/chatbots/{chatbot}/exports/")
    # And the file holds every row, downloads under its name, and carries the tag the bucket expires it by
    s3 = boto3.client("s3")
    stored = s3.get_object(Bucket=bucket, Key=key)
    assert stored["ContentDisposition"] == f'attachment; filename="{link["filename"]}"'
    rows = _csv(stored["Body"].read())
    assert len(rows) == 6
    assert rows[-1]["content"] == "Answer " * 10
    assert s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"] == [{"Key": "parley-export", "Value": "expiring"}]


def test_another_tenant_gets_404_and_sees_nothing(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    _store(owner["tenant"]["id"], chatbot, _today(), [("Secret", "Answer", "down")])
    stranger = register("stranger@example.com")["user"]["id"]

    status, _, content = _export(lambdas, stranger, chatbot, format="csv")

    assert status == 404
    assert json.loads(content)["error"]["code"] == "not_found"
    assert b"Secret" not in content


def test_a_member_of_the_tenant_gets_403(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any, register: Callable[..., dict[str, Any]]
) -> None:
    # Given a member of the owner's team (their profile moved into the tenant as the team feature does)
    member = register("member@example.com")["user"]["id"]
    get_container().table.client.update_item(
        TableName=get_container().table.name,
        Key=serialize({"PK": f"USER#{member}", "SK": "PROFILE"}),
        UpdateExpression="SET tenant_id = :tenant, #role = :role",
        ExpressionAttributeNames={"#role": "role"},
        ExpressionAttributeValues=serialize({":tenant": owner["tenant"]["id"], ":role": "member"}),
    )
    _store(owner["tenant"]["id"], chatbot, _today(), [("Q", "A", None)])

    # When they export, Then the role forbids it; reading the conversations stays allowed
    status, _, content = _export(lambdas, member, chatbot)
    assert (status, json.loads(content)["error"]["code"]) == (403, "forbidden")
    status, listed = lambdas.call(
        "QueryFunction",
        "GET",
        "/chatbots/{chatbot_id}/conversations",
        sub=member,
        path_parameters={"chatbot_id": chatbot},
    )
    assert status == 200
    assert len(listed["items"]) == 1


def test_conversation_created_at_and_its_id_agree_on_when_it_started(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    # The range is read by key (ids sort by creation time); an answered question's conversation falls in today.
    status, answered = lambdas.call(
        "QueryFunction",
        "POST",
        "/chatbots/{chatbot_id}/query",
        sub=owner["user"]["id"],
        path_parameters={"chatbot_id": chatbot},
        body={"question": "Anything?"},
    )
    assert status == 200, answered
    today = datetime.now(UTC).date().isoformat()

    status, _, content = _export(lambdas, owner["user"]["id"], chatbot, **{"from": today, "to": today})

    assert status == 200
    rows = _lines(content)
    assert {row["conversation_id"] for row in rows} == {answered["conversation_id"]}
    assert [row["role"] for row in rows] == ["user", "assistant"]


@pytest.mark.parametrize("function_environment", [{"PARLEY_EXPORT_INLINE_MAX_BYTES": "2000"}])
def test_a_small_file_that_escaping_would_swell_past_the_bound_comes_as_a_link(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    # Given a question of control characters: few bytes in the file, six times as many escaped into a response
    question = "\x01" * 400
    _store(owner["tenant"]["id"], chatbot, _today(), [(question, "A", None)])

    status, headers, content = _export(lambdas, owner["user"]["id"], chatbot, format="csv")

    # Then it is not answered inline, where it would have weighed more than the bound
    assert status == 200, content
    assert headers["content-type"] == "application/json"
    link = json.loads(content)
    bucket = lambdas.resources["DocumentsBucket"]["Ref"]
    key = unquote(urlsplit(link["url"]).path).lstrip("/").removeprefix(f"{bucket}/")
    stored = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert len(stored) < 2000
    assert _csv(stored)[0]["content"] == question


def test_the_conversation_list_narrows_to_a_range_of_days_newest_first_in_pages(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    # Given conversations started 12, 11 (two) and 10 days ago
    tenant, day = owner["tenant"]["id"], _today() - timedelta(days=11)
    _store(tenant, chatbot, day - timedelta(days=1), [("Before", "A", None)])
    first = _store(tenant, chatbot, day, [("First", "A", None)])
    second = _store(tenant, chatbot, day + timedelta(hours=1), [("Second", "A", None)])
    _store(tenant, chatbot, day + timedelta(days=1), [("After", "A", None)])

    def listed(**query: str) -> tuple[int, Any]:
        return lambdas.call(
            "QueryFunction",
            "GET",
            "/chatbots/{chatbot_id}/conversations",
            sub=owner["user"]["id"],
            path_parameters={"chatbot_id": chatbot},
            query=query,
        )

    # When the owner lists that one day, a page of one at a time
    one_day = {"from": day.date().isoformat(), "to": day.date().isoformat()}
    status, page = listed(limit="1", **one_day)
    assert status == 200, page
    status, rest = listed(limit="1", cursor=page["next_cursor"], **one_day)

    # Then only that day's conversations come, the most recent first
    assert [item["id"] for item in page["items"] + rest["items"]] == [second, first]
    assert rest["next_cursor"] is None
    # and without a range, all four; a reversed range is 422
    assert len(listed()[1]["items"]) == 4
    status, refused = listed(**{"from": one_day["to"], "to": (day - timedelta(days=1)).date().isoformat()})
    assert (status, refused["error"]["code"]) == (422, "validation_error")


def test_a_range_without_conversations_is_an_empty_file_or_a_header(
    lambdas: Functions, owner: dict[str, Any], chatbot: Any
) -> None:
    _store(owner["tenant"]["id"], chatbot, _today() - timedelta(days=100), [("Old", "A", None)])

    status, headers, content = _export(lambdas, owner["user"]["id"], chatbot, format="jsonl")
    assert (status, headers["content-type"], content) == (200, "application/x-ndjson", b"")

    status, headers, content = _export(lambdas, owner["user"]["id"], chatbot, format="csv")
    assert (status, headers["content-type"]) == (200, "text/csv; charset=utf-8")
    assert _csv(content) == []
    assert content.decode("utf-8-sig").startswith("conversation_id,started_by,")
