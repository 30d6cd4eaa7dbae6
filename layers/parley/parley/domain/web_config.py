"""The web front ends' runtime config: where the APIs of this deployment are, read by the console and the widget
from `config.json` next to them, so one build serves every deployment."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WebConfig(BaseModel):
    # The front ends' names (JavaScript's camelCase) are the JSON's; the template's property names fill them.
    model_config = ConfigDict(populate_by_name=True, extra="forbid", frozen=True)

    api_url: str = Field(alias="apiUrl", min_length=1)
    public_api_url: str = Field(alias="publicApiUrl", min_length=1)
    websocket_url: str = Field(alias="websocketUrl", min_length=1)
    region: str | None = None
    user_pool_client_id: str | None = Field(default=None, alias="userPoolClientId")

    def to_json(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()
