"""The local stack's state saved at stop and restored at start: moto's (every service in use), the embedded index's
and, with the fakes, the Pinecone fake's, as one snapshot, so that after a restart they never disagree.

A snapshot is a generation folder under `<data dir>/state/` named by the `current` file there. Saving writes a new
generation, syncs it to disk and then replaces `current` in one rename: a save interrupted at any point (a second
Ctrl-C, a crash, a full disk) leaves the previous snapshot whole. The live index (`<data dir>/index`) is a working
copy: at start it is replaced by the snapshot's (or emptied), so changes made after the last save are dropped from
moto and the index alike.

moto's state is its in-process backends, pickled. Locks and conditions are pickled as new ones (nothing holds them
once the stack has stopped), private and public keys (Cognito's signing key) by their DER bytes. A pickle only loads
into the moto version that wrote it: another version is refused with a message, not half-loaded.
"""

from __future__ import annotations

import copyreg
import functools
import io
import json
import os
import pickle
import shutil
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.backends import get_backend
from moto.core.base_backend import BackendDict

from local.fakes.pinecone import FakePinecone

STATE = "state"  # under the data dir
INDEX = "index"  # the embedded index's folder, under the data dir and in a snapshot (parley's LocalVectorIndex)
MOTO = "moto.pickle"
PINECONE = "pinecone.json"
MANIFEST = "manifest.json"
CURRENT = "current"

# What a stack does with the state saved in its data dir: `restore` it at start and save it at stop (`make run`);
# discard it and start empty, then save at stop (`fresh`: `make run FRESH=1`); or start empty and save nothing
# (`ephemeral`: tests, eval, bench).
Persistence = Literal["restore", "fresh", "ephemeral"]


class SnapshotError(Exception):
    """A saved state this stack cannot restore; the message says why and how to start anyway."""


# Keys are immutable: a state restored again (each integration test restores the provisioned one) shares them.
@functools.cache
def _private_key(der: bytes) -> Any:
    return serialization.load_der_private_key(der, password=None)


@functools.cache
def _public_key(der: bytes) -> Any:
    return serialization.load_der_public_key(der)


class _MotoPickler(pickle.Pickler):
    dispatch_table = copyreg.dispatch_table.copy()
    dispatch_table[type(threading.Lock())] = lambda _: (threading.Lock, ())
    dispatch_table[type(threading.RLock())] = lambda _: (threading.RLock, ())
    dispatch_table[threading.Condition] = lambda _: (threading.Condition, ())

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, rsa.RSAPrivateKey):
            der = obj.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            return _private_key, (der,)
        if isinstance(obj, rsa.RSAPublicKey):
            der = obj.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
            return _public_key, (der,)
        return NotImplemented


def _backends(service: str) -> BackendDict[Any]:
    """The BackendDict of a moto service, as moto's server finds it."""
    return get_backend(service)  # type: ignore[call-overload,no-any-return]


def moto_state() -> dict[str, dict[str, dict[str, Any]]]:
    """Every moto backend in use in this process: service → account → region → backend."""
    state = {}
    in_use: list[BackendDict[Any]] = BackendDict._instances  # type: ignore[misc]  # moto's list of services in use
    for backends in in_use:
        # Restored by name into the module's BackendDict, which must be this one.
        if _backends(backends.service_name) is not backends:
            raise SnapshotError(f"moto's {backends.service_name} backends are not found by that name")
        state[backends.service_name] = {account: dict(regions) for account, regions in backends.items()}
    return state


def pickled_moto_state() -> bytes:
    buffer = io.BytesIO()
    _MotoPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(moto_state())
    return buffer.getvalue()


def dump_moto_state(path: Path) -> None:
    path.write_bytes(pickled_moto_state())


def load_moto_state(path: Path) -> None:
    """Put the backends saved at `path` in place of this process's (before moto serves a request)."""
    restore_moto_state(path.read_bytes())


def restore_moto_state(pickled: bytes) -> None:
    """Put the backends `pickled_moto_state` pickled in place of this process's."""
    state = pickle.loads(pickled)  # noqa: S301 - pickled by the stack itself (its own data dir, or its own memory)
    for service, accounts in state.items():
        backends = _backends(service)
        for account, regions in accounts.items():
            for region, backend in regions.items():
                backends[account][region] = backend


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class SavedState:
    """The snapshots of the stack on `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = data_dir / STATE
        self.index = data_dir / INDEX

    def open(self, persistence: Persistence, pinecone: FakePinecone | None) -> dict[str, Any] | None:
        """Make the data dir ready for a stack: the working state emptied, then the last snapshot restored when
        `persistence` says so; returns the manifest of the snapshot restored, if any."""
        if persistence == "fresh":
            self.discard()
        self.empty_working_state()
        return self.restore(pinecone) if persistence == "restore" else None

    def current(self) -> Path | None:
        """The folder of the last complete snapshot, if any."""
        pointer = self.path / CURRENT
        return self.path / pointer.read_text().strip() if pointer.exists() else None

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def empty_working_state(self) -> None:
        """Empty the data dir (the live index, stack.json), keeping the snapshots."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for entry in self.data_dir.iterdir():
            if entry != self.path:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    def restore(self, pinecone: FakePinecone | None) -> dict[str, Any] | None:
        """Load the last snapshot into moto, the live index and `pinecone`; returns its manifest, or None (and
        changes nothing) when there is no snapshot."""
        snapshot = self.current()
        if snapshot is None:
            return None
        manifest: dict[str, Any] = json.loads((snapshot / MANIFEST).read_text())
        if manifest["moto"] != version("moto"):
            raise SnapshotError(
                f"the local state in {self.path} was saved by moto {manifest['moto']} and this is moto "
                f"{version('moto')}: start empty with `make run FRESH=1` (python -m local --fresh)"
            )
        if manifest["fakes"] != (pinecone is not None):
            saved = "with" if manifest["fakes"] else "without"
            raise SnapshotError(
                f"the local state in {self.path} was saved {saved} --fakes (its vectors are in that index): start "
                f"{saved} --fakes again, or start empty with `make run FRESH=1` (--fresh)"
            )
        load_moto_state(snapshot / MOTO)
        if (snapshot / INDEX).exists():
            shutil.copytree(snapshot / INDEX, self.index)
        if pinecone is not None:
            pinecone.load(json.loads((snapshot / PINECONE).read_text()))
        return manifest

    def save(self, pinecone: FakePinecone | None, saved_at: str) -> Path:
        """Write moto's state, the live index and `pinecone`'s records as the new current snapshot; call it only
        once nothing changes them any more (the stack stopped)."""
        self.path.mkdir(parents=True, exist_ok=True)
        previous = self.current()
        generation = int(previous.name) + 1 if previous is not None else 1
        snapshot = self.path / str(generation)
        shutil.rmtree(snapshot, ignore_errors=True)  # what an interrupted save left
        snapshot.mkdir()
        dump_moto_state(snapshot / MOTO)
        if self.index.exists():
            shutil.copytree(self.index, snapshot / INDEX, ignore=shutil.ignore_patterns("*.lock"))
        if pinecone is not None:
            (snapshot / PINECONE).write_text(json.dumps(pinecone.namespaces))
        manifest = {"moto": version("moto"), "fakes": pinecone is not None, "saved_at": saved_at}
        (snapshot / MANIFEST).write_text(json.dumps(manifest, indent=2))
        for folder, _, files in os.walk(snapshot):
            for name in files:
                _fsync(Path(folder) / name)
            _fsync(Path(folder))
        pointer = self.path / f"{CURRENT}.new"
        pointer.write_text(snapshot.name)
        _fsync(pointer)
        pointer.replace(self.path / CURRENT)
        _fsync(self.path)
        for entry in self.path.iterdir():
            if entry.is_dir() and entry != snapshot:
                shutil.rmtree(entry)
        return snapshot
