"""What is erased when a chatbot or a whole tenant is deleted: a request the erasure worker carries out."""

from __future__ import annotations

from pydantic import BaseModel


class ErasedUser(BaseModel):
    id: str
    email: str


class ErasureRequest(BaseModel):
    """Erase a tenant's chatbot, or (without `chatbot_id`) everything the tenant owns, `users` included."""

    tenant_id: str
    chatbot_id: str | None = None
    users: list[ErasedUser] = []
    # The second pass, run once an ingest that was in flight during the first has certainly ended.
    final: bool = False
