"""The local stack's saved state (local/stack/snapshot.py): moto's backends, the local index and the Pinecone fake saved
together, restored together, and never half-written; provisioning a restored state keeps what exists."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.core.base_backend import BackendDict

from local.fakes.pinecone import FakePinecone
from local.stack import snapshot
from local.stack.provision import Provisioner
from local.stack.snapshot import INDEX, SavedState, SnapshotError
from local.stack.stack import ROOT
from local.template import REGION, load_template, parameter_values

PASSWORD = "Correct-horse-1!"

pytestmark = pytest.mark.usefixtures("aws")


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


def provision(template: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    template = template or load_template(ROOT / "template.yaml")
    return Provisioner(template, parameter_values(template), client).provision_all()


def restart_moto() -> None:
    """What a new process has: moto with nothing in it."""
    BackendDict.reset()


def put_item(table: str, pk: str) -> None:
    client("dynamodb").put_item(TableName=table, Item={"PK": {"S": pk}, "SK": {"S": "ITEM"}})


def item_keys(table: str) -> list[str]:
    return sorted(item["PK"]["S"] for item in client("dynamodb").scan(TableName=table)["Items"])


def sign_up(resources: dict[str, dict[str, Any]], email: str) -> dict[str, str]:
    cognito = client("cognito-idp")
    pool = resources["UserPool"]["Ref"]
    cognito.admin_create_user(UserPoolId=pool, Username=email, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    return sign_in(resources, email)


def sign_in(resources: dict[str, dict[str, Any]], email: str) -> dict[str, str]:
    result = client("cognito-idp").initiate_auth(
        ClientId=resources["UserPoolClient"]["Ref"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return dict(result["AuthenticationResult"])


def test_every_service_the_stack_uses_comes_back_as_it_was_saved(tmp_path: Path) -> None:
    # Given the template's resources with data in each, a signed-in user and a message being processed
    resources = provision()
    table, bucket = resources["Table"]["Ref"], resources["DocumentsBucket"]["Ref"]
    queue = resources["IngestQueue"]["QueueUrl"]
    put_item(table, "TENANT#a")
    client("s3").put_object(Bucket=bucket, Key="tenants/a/file.md", Body=b"# Llamas\n")
    tokens = sign_up(resources, "ada@example.com")
    client("secretsmanager").create_secret(Name="parley/openai-api-key", SecretString="sk-local")
    sqs = client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody="waiting")
    sqs.send_message(QueueUrl=queue, MessageBody="in flight")
    sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, VisibilityTimeout=600)
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"]
    state = SavedState(tmp_path)

    # When it is saved, and a new moto is given the saved state
    state.save(None, "2026-01-01T00:00:00+00:00")
    restart_moto()
    empty = [pool["Id"] for pool in client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]]
    manifest = state.open("restore", None)

    # Then every service holds what it held: items, files, users with their password and tokens, secrets, and
    # messages, the one in flight still in flight
    assert empty == []
    assert manifest is not None
    assert manifest["saved_at"] == "2026-01-01T00:00:00+00:00"
    assert item_keys(table) == ["TENANT#a"]
    assert client("s3").get_object(Bucket=bucket, Key="tenants/a/file.md")["Body"].read() == b"# Llamas\n"
    assert client("cognito-idp").get_user(AccessToken=tokens["AccessToken"])["Username"]
    assert sign_in(resources, "ada@example.com")["AccessToken"]
    assert client("secretsmanager").get_secret_value(SecretId="parley/openai-api-key")["SecretString"] == "sk-local"
    assert counts["ApproximateNumberOfMessagesNotVisible"] == "1"
    assert sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=names)["Attributes"] == counts


def test_provisioning_a_restored_state_keeps_its_resources_and_adds_the_templates_new_ones(tmp_path: Path) -> None:
    # Given a saved state provisioned from the template
    first = provision()
    put_item(first["Table"]["Ref"], "TENANT#a")
    SavedState(tmp_path).save(None, "t")
    restart_moto()
    SavedState(tmp_path).open("restore", None)
    # and a template that has since gained a queue
    template = load_template(ROOT / "template.yaml")
    template["Resources"]["ExportQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}

    # When the restored state is provisioned again
    second = provision(template)

    # Then the existing resources are the same ones, not copies, with their data; the new one exists
    assert {logical_id: second[logical_id] for logical_id in first} == first
    assert len(client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]) == 1
    pool = first["UserPool"]["Ref"]
    assert len(client("cognito-idp").list_user_pool_clients(UserPoolId=pool)["UserPoolClients"]) == 1
    assert item_keys(first["Table"]["Ref"]) == ["TENANT#a"]
    attributes = client("sqs").get_queue_attributes(
        QueueUrl=second["ExportQueue"]["QueueUrl"], AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"


def test_an_interrupted_save_leaves_the_previous_snapshot_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a saved state, then more changes in moto and in the index
    table = provision()["Table"]["Ref"]
    state = SavedState(tmp_path)
    (tmp_path / INDEX).mkdir()
    (tmp_path / INDEX / "tenant-a.jsonl").write_text("saved\n")
    put_item(table, "TENANT#saved")
    state.save(None, "first")
    put_item(table, "TENANT#unsaved")
    (tmp_path / INDEX / "tenant-a.jsonl").write_text("saved\nunsaved\n")

    # When the next save is cut short before it is complete (a second Ctrl-C)
    def interrupted(_: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(snapshot, "_fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        state.save(None, "second")
    monkeypatch.undo()
    restart_moto()
    manifest = state.open("restore", None)

    # Then the previous snapshot is restored, moto and index alike
    assert manifest is not None
    assert manifest["saved_at"] == "first"
    assert item_keys(table) == ["TENANT#saved"]
    assert (tmp_path / INDEX / "tenant-a.jsonl").read_text() == "saved\n"


def test_changes_after_the_last_save_are_dropped_from_moto_and_the_index_together(tmp_path: Path) -> None:
    # Given a saved state, then a crash after more was written to moto and to the live index
    table = provision()["Table"]["Ref"]
    state = SavedState(tmp_path)
    (tmp_path / INDEX).mkdir()
    (tmp_path / INDEX / "tenant-a.jsonl").write_text("saved\n")
    state.save(None, "t")
    put_item(table, "TENANT#after")
    (tmp_path / INDEX / "tenant-a.jsonl").write_text("saved\nafter\n")
    (tmp_path / INDEX / "tenant-b.jsonl").write_text("after\n")

    # When the next stack restores the state
    restart_moto()
    state.open("restore", None)

    # Then neither moto nor the index holds what came after the save
    assert item_keys(table) == []
    assert sorted(path.name for path in (tmp_path / INDEX).iterdir()) == ["tenant-a.jsonl"]
    assert (tmp_path / INDEX / "tenant-a.jsonl").read_text() == "saved\n"


def test_fresh_discards_the_saved_state_and_ephemeral_keeps_it_untouched(tmp_path: Path) -> None:
    # Given a saved state and a live index
    table = provision()["Table"]["Ref"]
    put_item(table, "TENANT#a")
    state = SavedState(tmp_path)
    (tmp_path / INDEX).mkdir()
    (tmp_path / INDEX / "tenant-a.jsonl").write_text("saved\n")
    state.save(None, "t")
    restart_moto()

    # When a stack starts ephemeral (tests), then one starts fresh
    ephemeral = state.open("ephemeral", None)
    index_after_ephemeral = (tmp_path / INDEX).exists()
    kept = state.current() is not None
    fresh = state.open("fresh", None)

    # Then neither restores anything nor keeps the live index; only fresh removes the snapshot
    assert ephemeral is None
    assert fresh is None
    assert not index_after_ephemeral
    assert kept
    assert state.current() is None
    assert not (tmp_path / INDEX).exists()
    assert client("dynamodb").list_tables()["TableNames"] == []


def test_the_pinecone_fakes_records_are_saved_and_restored_with_moto(tmp_path: Path) -> None:
    # Given the Pinecone fake holding a tenant's vectors
    provision()
    saved = FakePinecone(dimension=3)
    record = {"id": "doc#0", "values": [0.1, 0.2, 0.3], "metadata": {"chatbot_id": "bot", "text": "Llamas hum."}}
    saved.load({"tenant-a": {"doc#0": record}})
    state = SavedState(tmp_path)
    state.save(saved, "t")
    restart_moto()

    # When a new fake is given the saved state
    restored = FakePinecone(dimension=3)
    state.open("restore", restored)

    # Then it holds the same records
    assert restored.namespaces == {"tenant-a": {"doc#0": record}}


def test_a_state_saved_by_another_moto_or_with_other_stand_ins_is_refused_with_how_to_start(tmp_path: Path) -> None:
    # Given a state saved with the Pinecone fake
    provision()
    state = SavedState(tmp_path)
    saved = state.save(FakePinecone(dimension=3), "t")

    # When a stack without the fakes, then one on another moto version, restores it
    with pytest.raises(SnapshotError) as without_fakes:
        state.open("restore", None)
    manifest = json.loads((saved / snapshot.MANIFEST).read_text())
    (saved / snapshot.MANIFEST).write_text(json.dumps({**manifest, "moto": "4.0.0"}))
    with pytest.raises(SnapshotError) as other_moto:
        state.open("restore", FakePinecone(dimension=3))

    # Then each is refused with a message that says how to start anyway, and the saved state is kept
    assert "--fakes" in str(without_fakes.value)
    assert "moto 4.0.0" in str(other_moto.value)
    assert "FRESH=1" in str(other_moto.value)
    assert state.current() == saved
