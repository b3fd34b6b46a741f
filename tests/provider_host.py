"""The SDK's own dynamic-provider host (`python -m pulumi.dynamic`) in a subprocess, driven over gRPC the
way the Pulumi engine drives it during `pulumi preview`, `up`, `refresh` and `destroy`."""

from __future__ import annotations

import asyncio
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any

import grpc
from pulumi.dynamic.dynamic import ResourceProvider, serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from .paths import ROOT

SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
VIRTUALENV = ".venv"  # Pulumi.yaml runtime.options.virtualenv


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
    delete_before_replace: bool = False


@dataclass
class ReadOutcome:
    id: str
    outputs: dict[str, Any]
    inputs: dict[str, Any] | None


def host_command() -> list[str]:
    """What pulumi-resource-pulumi-python runs (pulumi/pulumi sdk/python/dist/pulumi-resource-pulumi-python):
    the project's virtualenv python from Pulumi.yaml, `-u -m pulumi.dynamic`, from the project directory."""
    python = ROOT / VIRTUALENV / "bin" / "python"
    if not python.exists():
        raise RuntimeError(f"{python} does not exist: the provider host runs in the project's virtualenv, as "
                           "Pulumi runs it (create it with `make venv`)")
    return [str(python), "-u", "-m", "pulumi.dynamic"]


class ProviderHost:
    """One host process for every dynamic resource of a deployment, as the engine starts it: cwd = the project,
    the virtualenv's bin first on PATH, PULUMI_PROJECT set, port on stdout; Configure gets the whole stack
    config with namespaces kept (pulumi/pulumi pkg/resource/deploy/target.go GetPackageConfig: "For dynamic
    providers, we always pass the full configuration")."""

    def __init__(self, project: str = "talos-cluster", env: dict[str, str] | None = None,
                 config: dict[str, str] | None = None) -> None:
        self.project = project
        self.env = env or {}
        self.config = config or {}

    def __enter__(self) -> ProviderHost:
        self.start()
        self.deployments = 0
        return self

    def start(self) -> None:
        environment = {**os.environ, "PULUMI_PROJECT": self.project, **self.env}
        environment["PATH"] = f"{ROOT / VIRTUALENV / 'bin'}:{environment.get('PATH', '')}"
        environment.pop("PYTHONHOME", None)
        self.process = subprocess.Popen(self.command(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=environment)
        assert self.process.stdout is not None
        port = int(self.process.stdout.readline())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=struct_of(dict(self.config)),
                                                          variables=dict(self.config)))

    def command(self) -> list[str]:
        """The host's command line; a benchmark runs the same host with its calls timed."""
        return host_command()

    def for_deployment(self, config: dict[str, str]) -> None:
        """pulumi/pulumi pkg/resource/plugin/provider_plugin.go NewProvider: each deployment (preview, up,
        refresh, destroy) loads its own provider plugin process and configures it with that stack's config;
        a host keeps nothing (caches, claims) from one deployment to the next."""
        if self.deployments or config != self.config or self.process.poll() is not None:
            self.close()
            self.config = dict(config)
            self.start()
        self.deployments += 1

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)

    def kill(self) -> None:
        """As when `pulumi up` is interrupted hard: the host dies in the middle of whatever it was doing."""
        self.process.kill()
        self.process.wait(10)

    @staticmethod
    def urn(type_: str, name: str) -> str:
        return f"urn:pulumi:test::talos-cluster::{type_}::{name}"

    def check(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> CheckOutcome:
        reply = self.stub.Check(provider_pb2.CheckRequest(urn=urn, olds=struct_of(olds), news=struct_of(news)))
        return CheckOutcome(_plain(reply.inputs), [(f.property, f.reason) for f in reply.failures])

    def diff(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any],
             old_inputs: dict[str, Any] | None = None) -> DiffOutcome:
        request = provider_pb2.DiffRequest(urn=urn, id=id_, olds=struct_of(olds), news=struct_of(news),
                                           old_inputs=struct_of(old_inputs or {}))
        reply = self.stub.Diff(request)
        changes = {provider_pb2.DiffResponse.DIFF_SOME: True, provider_pb2.DiffResponse.DIFF_NONE: False}.get(
            reply.changes)
        return DiffOutcome(changes, list(reply.replaces), reply.deleteBeforeReplace)

    def create(self, urn: str, properties: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        reply = self.stub.Create(provider_pb2.CreateRequest(urn=urn, properties=struct_of(properties)))
        return reply.id, _plain(reply.properties)

    def update(self, urn: str, id_: str, olds: dict[str, Any], news: dict[str, Any],
               old_inputs: dict[str, Any] | None = None) -> dict[str, Any]:
        request = provider_pb2.UpdateRequest(urn=urn, id=id_, olds=struct_of(olds), news=struct_of(news),
                                             old_inputs=struct_of(old_inputs or {}))
        reply = self.stub.Update(request)
        return _plain(reply.properties)

    def delete(self, urn: str, id_: str, properties: dict[str, Any], old_inputs: dict[str, Any] | None = None) -> None:
        self.stub.Delete(provider_pb2.DeleteRequest(urn=urn, id=id_, properties=struct_of(properties),
                                                    old_inputs=struct_of(old_inputs or {})))

    def read(self, urn: str, id_: str, properties: dict[str, Any], inputs: dict[str, Any]) -> ReadOutcome:
        reply = self.stub.Read(provider_pb2.ReadRequest(urn=urn, id=id_, properties=struct_of(properties),
                                                        inputs=struct_of(inputs)))
        returned = _plain(reply.inputs) if reply.HasField("inputs") else None
        return ReadOutcome(reply.id, _plain(reply.properties), returned)


def with_provider(provider: ResourceProvider, inputs: dict[str, Any]) -> dict[str, Any]:
    """Inputs as the SDK registers them: the provider serialized by the SDK's own function."""
    return {**inputs, "__provider": serialize_provider(provider)}
