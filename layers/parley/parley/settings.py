"""Runtime settings: one validated model, read from the environment once per container."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from parley.errors import ConfigurationError

ENV_PREFIX = "PARLEY_"


class Settings(BaseModel):
    """Everything Parley reads from its environment (`PARLEY_<FIELD>` variables, set by template.yaml)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    stage: str = "dev"
    tracing: bool = False
    table_name: str | None = None
    user_pool_id: str | None = None
    user_pool_client_id: str | None = None
    # True where the user pool does not ask for e-mail confirmation: register then confirms the user itself.
    auto_confirm_users: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every `PARLEY_*` variable; unknown ones are ignored so new settings can roll out first."""
        source = os.environ if env is None else env
        values = {key[len(ENV_PREFIX) :].lower(): value for key, value in source.items() if key.startswith(ENV_PREFIX)}
        return cls.model_validate(values)

    def require(self, name: str) -> str:
        """Return a setting a component cannot work without, or explain which variable is missing."""
        value = getattr(self, name)
        if not value:
            raise ConfigurationError(f"{ENV_PREFIX}{name.upper()} is not set")
        return str(value)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The container's settings, read once."""
    return Settings.from_env()
