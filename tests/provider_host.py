"""The SDK's own dynamic-provider host (`python -m pulumi.dynamic`) in a subprocess, driven over gRPC the
way the Pulumi engine drives it during `pulumi preview` and `pulumi up`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

import grpc
from pulumi.dynamic.dynamic import ResourceProvider, serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from .conftest import ROOT

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def unwrap_secrets(value: Any) -> Any:
    """What the engine sends a provider that does not accept secrets: plain values."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == SECRET_SIG:
            return unwrap_secrets(value["value"])
        return {key: unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(item) for item in value]
    return value


def struct_of(properties: dict[str, Any]) -> Any:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(properties, {}))
    finally:
        loop.close()


def _plain(struct: Any) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


@dataclass
class CheckOutcome:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class DiffOutcome:
    changes: bool | None
    replaces: list[str]


class ProviderHost:
    """One host process, as the engine starts it: cwd = the project, PULUMI_PROJECT set, port on stdout."""

    def __init__(self, project: str = "talos-cluster", env: dict[str, str] | None = None) -> None:
        self.project = project
        self.env = env or {}

    def __enter__(self) -> ProviderHost:
        environment = {**os.environ, "PULUMI_PROJECT": self.project, **self.env}
        self.process = subprocess.Popen([sys.executable, "-u", "-m", "pulumi.dynamic"], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=struct_of({})))
        return self

    def __exit__(self, *_: object) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(10)

    @staticmethod
    def urn(type_: str, name: str) -> str:
        return f"urn:pulumi:test::talos-cluster::{type_}::{name}"

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> CheckOutcome:
        reply = self.stub.Check(provider_pb2.CheckRequest(urn=urn, olds=struct_of(olds), news=struct_of(news)))
        return CheckOutcome(_plain(reply.inputs), [(f.property, f.reason) for f in reply.failures])

    def diff(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffOutcome:
        reply = self.stub.Diff(provider_pb2.DiffRequest(urn=urn, id=id_, olds=struct_of(olds), news=struct_of(news)))
        changes = {provider_pb2.DiffResponse.DIFF_SOME: True, provider_pb2.DiffResponse.DIFF_NONE: False}.get(
            reply.changes)
        return DiffOutcome(changes, list(reply.replaces))

    def create(self, urn: str, properties: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        reply = self.stub.Create(provider_pb2.CreateRequest(urn=urn, properties=struct_of(properties)))
        return reply.id, _plain(reply.properties)

    def update(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        request = provider_pb2.UpdateRequest(urn=urn, id=id_, olds=struct_of(olds), news=struct_of(news))
        reply = self.stub.Update(request)
        return _plain(reply.properties)

    def delete(self, urn: str, id_: str, properties: dict[str, Any]) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(urn=urn, id=id_, properties=struct_of(properties)))


def with_provider(provider: ResourceProvider, inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs as the SDK registers them: the provider serialized by the SDK's own function."""
    return {**inputs, "__provider": serialize_provider(provider)}
