"""Building services is free: no secret fetched, no SDK client made, no OpenAI or Pinecone SDK imported."""

from __future__ import annotations

import json
import subprocess
import sys

SERVICES = (
    "accounts",
    "account_closure",
    "chatbots",
    "documents",
    "answers",
    "public_chat",
    "admission",
    "live_chat",
    "indexer",
    "erasure",
)

# A fresh interpreter: the test run itself has long imported the SDKs.
PROBE = f"""
import json, sys
from botocore.session import Session
from parley.container import Container
from parley.settings import Settings

made = []
Session.create_client = lambda self, service, *args, **kwargs: made.append(service)
Container.secret = lambda self, name: made.append(name)
settings = Settings.from_env({{
    "PARLEY_TABLE_NAME": "t", "PARLEY_DOCUMENTS_BUCKET": "b", "PARLEY_USER_POOL_ID": "p",
    "PARLEY_USER_POOL_CLIENT_ID": "c", "PARLEY_WEBSOCKET_ENDPOINT": "https://ws",
    "PARLEY_OPENAI_API_KEY_SECRET": "parley/openai", "PARLEY_PINECONE_API_KEY_SECRET": "parley/pinecone",
    "PARLEY_PINECONE_INDEX_HOST": "https://pc", "PARLEY_ERASURE_QUEUE_URL": "https://sqs/erasures",
}})
container = Container(settings)
for name in {SERVICES!r} + ("abandoned_uploads",):
    getattr(container, name)
sdks = [name for name in ("openai", "pinecone", "onnxruntime") if name in sys.modules]
print(json.dumps({{"made": made, "sdks": sdks}}))
"""


def test_every_service_is_built_without_secrets_clients_or_model_sdks() -> None:
    # Given the AWS configuration (OpenAI and Pinecone, keys in Secrets Manager)
    # When every service the functions use is built
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)

    # Then nothing was fetched, no client made, and the model SDKs are not even loaded
    assert json.loads(result.stdout) == {"made": [], "sdks": []}
