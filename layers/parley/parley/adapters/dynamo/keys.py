"""The table's key scheme: every key and key prefix is spelled here and only here.

Every tenant-owned item lives in its tenant's partition, except a chatbot's lexical statistics, which get
partitions of their own (their keys still begin with the tenant); a user's profile is keyed by user, so a token's
`sub` leads to its tenant in one read.
"""

from __future__ import annotations

from datetime import datetime

from parley.domain.common import id_floor

# The sparse index of lookups that do not start from a tenant: a live chatbot by its publishable key, and the
# documents whose upload is due.
LOOKUP_INDEX = "GSI1"
LOOKUP_PK, LOOKUP_SK = "GSI1PK", "GSI1SK"

TENANT_SK = "TENANT"
PROFILE_SK = "PROFILE"


def tenant(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def user(user_id: str) -> str:
    return f"USER#{user_id}"


def chatbots() -> str:
    return "CHATBOT#"


def chatbot(chatbot_id: str) -> str:
    return f"{chatbots()}{chatbot_id}"


def public_key(key: str) -> str:
    return f"PUBLIC_KEY#{key}"


def documents(chatbot_id: str) -> str:
    return f"DOC#{chatbot_id}#"


def document(chatbot_id: str, document_id: str) -> str:
    return f"{documents(chatbot_id)}{document_id}"


def uploads_due() -> str:
    """The GSI1 partition of documents still waiting for their upload (sorted by when their ticket expires): what
    the sweep of expired tickets reads. Claiming the upload takes a document out of it."""
    return "UPLOADS_DUE"


def upload_due(expires_at: str, tenant_id: str, chatbot_id: str, document_id: str) -> str:
    return f"{expires_at}#{tenant_id}#{chatbot_id}#{document_id}"


def connection(connection_id: str) -> str:
    return f"CONNECTION#{connection_id}"


def conversations(chatbot_id: str) -> str:
    return f"CONV#{chatbot_id}#"


def conversation(chatbot_id: str, conversation_id: str) -> str:
    return f"{conversations(chatbot_id)}{conversation_id}"


def conversations_started(chatbot_id: str, moment: datetime) -> str:
    """The key bound of a chatbot's conversations started at `moment`: ids sort by creation time, so the
    conversations started in a time range are the keys between two bounds."""
    return f"{conversations(chatbot_id)}{id_floor(moment)}"


def handoffs() -> str:
    return "HANDOFF#"


def chatbot_handoffs(chatbot_id: str) -> str:
    return f"{handoffs()}{chatbot_id}#"


def handoff(chatbot_id: str, conversation_id: str) -> str:
    """A conversation's request for a person: in the tenant's partition under one prefix, so that the inbox of every
    chatbot of the tenant is one query."""
    return f"{chatbot_handoffs(chatbot_id)}{conversation_id}"


def gaps(chatbot_id: str) -> str:
    return f"GAP#{chatbot_id}#"


def gap(chatbot_id: str, asked_at: str, gap_id: str) -> str:
    """A question the chatbot could not answer, keyed by time: a period's gaps are the newest keys."""
    return f"{gaps(chatbot_id)}{asked_at}#{gap_id}"


def gaps_since(chatbot_id: str, asked_at: str) -> tuple[str, str]:
    """The key bounds of a chatbot's gaps recorded at or after `asked_at` ("~" sorts after every timestamp)."""
    return gap(chatbot_id, asked_at, ""), f"{gaps(chatbot_id)}~"


def messages(conversation_id: str) -> str:
    return f"MSG#{conversation_id}#"


def message(conversation_id: str, created_at: str, message_id: str) -> str:
    # Time first: messages of a conversation come back in the order they were written.
    return f"{messages(conversation_id)}{created_at}#{message_id}"


def rate_window(counter: str, window: int) -> str:
    return f"RATE#{counter}#{window}"


def sign_in_failures(subject: str) -> str:
    """The partition of one subject's failed sign-ins (no tenant: the caller is not known yet)."""
    return f"SIGNIN#{subject}"


def lexicon(tenant_id: str, chatbot_id: str) -> str:
    """The partition of a chatbot's lexical counters (kept out of the tenant's partition: ingest writes them in
    bulk, and nothing lists them)."""
    return f"LEX#{tenant_id}#{chatbot_id}"


def lexicon_totals(shard: int) -> str:
    return f"TOTALS#{shard}"


def lexicon_term(term_id: int, shard: int) -> str:
    return f"T#{term_id}#{shard}"


def lexicon_shares(tenant_id: str, chatbot_id: str, document_id: str) -> str:
    """The partition of a document's shares of those counters, so that finding them reads nothing else."""
    return f"LEXDOC#{tenant_id}#{chatbot_id}#{document_id}"


def lexicon_share(part: int) -> str:
    return f"{part:04d}"


def api_keys() -> str:
    return "APIKEY#"


def api_key(key_id: str) -> str:
    return f"{api_keys()}{key_id}"


def api_key_grant(hash: str) -> str:
    """The partition of one key's grant, found by the key's hash alone (the caller is not known yet)."""
    return f"KEYHASH#{hash}"


GRANT_SK = "GRANT"


def members() -> str:
    return "MEMBER#"


def member(user_id: str) -> str:
    return f"{members()}{user_id}"


def invitations() -> str:
    return "INVITATION#"


def invitation(invitation_id: str) -> str:
    return f"{invitations()}{invitation_id}"


def answer_refs(chatbot_id: str) -> str:
    return f"ANSWER#{chatbot_id}#"


def answer_ref(chatbot_id: str, message_id: str) -> str:
    """A pointer from an answer's id to its message item (keyed by conversation and time), written with it: what
    a rating finds the answer by, in one read. Keyed by chatbot, so another chatbot's answer is not found."""
    return f"{answer_refs(chatbot_id)}{message_id}"


def analytics_days(chatbot_id: str) -> str:
    return f"STATS#{chatbot_id}#"


def analytics_day(chatbot_id: str, day: str) -> str:
    # ISO dates sort as days do: a range of days is one Query between two keys.
    return f"{analytics_days(chatbot_id)}{day}"


def usage() -> str:
    """The tenant's standing counters (chatbots, documents…) and its plan, in one item."""
    return "USAGE"


def usage_month(month: str) -> str:
    """The tenant's counters of one calendar month (`2026-11`): a new month starts a new item, so nothing resets."""
    return f"{usage()}#{month}"


def sources(chatbot_id: str) -> str:
    return f"SRC#{chatbot_id}#"


def source(chatbot_id: str, source_id: str) -> str:
    return f"{sources(chatbot_id)}{source_id}"


def source_pages(chatbot_id: str, source_id: str | None = None) -> str:
    """The pages of a website source (or of every source of a chatbot), keyed by their address's hash."""
    return f"SRCPAGE#{chatbot_id}#" + (f"{source_id}#" if source_id else "")


def source_page(chatbot_id: str, source_id: str, url_hash: str) -> str:
    return f"{source_pages(chatbot_id, source_id)}{url_hash}"


def sources_due() -> str:
    """The GSI1 partition of website sources by when they are next due: to sync again, or (while a sync runs) to be
    ended past its deadline. What the scheduled sweep reads."""
    return "SOURCES_DUE"


def source_due(due_at: str, tenant_id: str, chatbot_id: str, source_id: str) -> str:
    return f"{due_at}#{tenant_id}#{chatbot_id}#{source_id}"
