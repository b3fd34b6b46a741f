"""The program's side of the engine stand-in (tests/engine.py): the program runs under the SDK's mocks with a
monitor that answers each RegisterResource only after the engine's step for it, and what the engine records.
"""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import dill
import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2

from .provider_host import SECRET_SIG, struct_of, unwrap_secrets

DYNAMIC_PREFIX = "pulumi-python:dynamic"
PROVIDER_KEY = "__provider"


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == SECRET_SIG


def _secret(value: Any) -> dict[str, Any]:
    return {rpc._special_sig_key: SECRET_SIG, "value": value}


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    custom: bool
    inputs: dict[str, Any]  # plain, as the engine hands them to a provider that does not accept secrets
    secret_inputs: set[str]
    secret_outputs: set[str]
    dependencies: set[str]
    outputs: dict[str, Any] = field(default_factory=dict)
    protect: bool = False
    delete_before_replace: bool = False
    replace_on_changes: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)

    @property
    def dynamic(self) -> bool:
        return self.type.startswith(DYNAMIC_PREFIX)


@dataclass
class ResourceState:
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    parent: str = ""
    dependencies: set[str] = field(default_factory=set)
    custom: bool = True
    protect: bool = False

    @property
    def dynamic(self) -> bool:
        return self.type.startswith(DYNAMIC_PREFIX)


@dataclass
class Step:
    urn: str
    operation: str  # create | update | same | replace | delete | refresh-update | refresh-delete
    started: float
    ended: float


class StepFailed(Exception):
    """A provider call failed or Check refused the inputs: the deployment stops (no deletes run)."""


class PendingOperation(Exception):
    """The provider host died during a step; the snapshot records it as the engine's journal does."""


class _NoMocks(pulumi_mocks.Mocks):
    """RecordingMonitor answers registrations itself; nothing reaches these."""

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        raise AssertionError("unreachable")

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return {}, None


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The SDK's mock monitor, plus a record of each registration and the engine's secret marking."""

    def __init__(self, new_outputs: Callable[[Registration], tuple[str, dict[str, Any]]]) -> None:
        super().__init__(_NoMocks())
        self.new_outputs = new_outputs
        self.registrations: list[Registration] = []
        self._lock = threading.Lock()

    def _alias_urns(self, request: Any) -> list[str]:
        urns = []
        for alias in request.aliases:
            if alias.urn:
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urns.append(self.make_urn(parent, spec.type or request.type, spec.name or request.name))
        return urns

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        raw = rpc.deserialize_properties(request.object, keep_unknowns=True)
        secret_inputs = {key for key, value in raw.items() if _is_secret(value)}
        registration = Registration(
            request.type, request.name, urn, request.parent, bool(request.custom), unwrap_secrets(raw), secret_inputs,
            set(request.additionalSecretOutputs) | secret_inputs, set(request.dependencies),
            protect=bool(request.protect), delete_before_replace=bool(request.deleteBeforeReplace),
            replace_on_changes=list(request.replaceOnChanges), aliases=self._alias_urns(request))
        with self._lock:
            self.registrations.append(registration)
        id_, outputs = self.new_outputs(registration)
        registration.outputs = outputs
        wrapped = {key: _secret(value) if key in registration.secret_outputs and value is not None else value
                   for key, value in outputs.items()}
        obj = struct_of(wrapped)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, outputs)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj)


def provider_of(registration: Registration) -> Any:
    return dill.loads(base64.b64decode(registration.inputs[PROVIDER_KEY]))


class ProgramFailed(Exception):
    """The program raised; `registrations` shows what it had registered before (nothing, if checks come first)."""

    def __init__(self, error: BaseException, registrations: list[Registration]) -> None:
        super().__init__(str(error))
        self.error = error
        self.registrations = registrations


@dataclass
class ProgramRun:
    registrations: list[Registration]
    outputs: dict[str, tuple[Any, bool, bool]]  # name → (value, is_secret, is_known)

    def of_type(self, suffix: str) -> list[Registration]:
        return [r for r in self.registrations if r.type.endswith(suffix)]

    def named(self, name: str) -> Registration:
        return next(r for r in self.registrations if r.name == name)


@dataclass
class Program:
    """What `pulumi up` runs: the program, its stack and the stack's config (namespaced keys, JSON objects)."""

    build: Callable[[], dict[str, Any]]
    stack: str = "test"
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)


def _quiet_about_failed_steps(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed step fails every resource output that waited on it; the SDK leaves those futures unread, and
    asyncio would print each one's traceback when it is collected. The failure itself is raised to the test."""
    if isinstance(context.get("exception"), StepFailed | PendingOperation | ProgramFailed):
        return
    loop.default_exception_handler(context)


def run_program(build: Callable[[], dict[str, Any]], new_outputs: Callable[[Registration], tuple[str, dict[str, Any]]],
                *, stack: str = "test", config: dict[str, str] | None = None, secret_keys: list[str] | None = None,
                preview: bool = False, parallel: int = 8) -> ProgramRun:
    """Run `build` (which returns the stack outputs) under mocks; collect registrations and outputs.

    The SDK sends each RegisterResource from the event loop's default executor; it gets more threads than
    `parallel`, so the engine's own bound (the caller's `new_outputs`) is what limits the steps in flight."""
    monitor = RecordingMonitor(new_outputs)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_quiet_about_failed_steps)
    executor = ThreadPoolExecutor(max_workers=parallel + 4, thread_name_prefix="sdk-register")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)  # the SDK needs one; an earlier asyncio.run() unset it
    pulumi.runtime.set_mocks(monitor.mocks, project="talos-cluster", stack=stack, preview=preview, monitor=monitor)
    pulumi.runtime.set_all_config(config or {}, secret_keys)
    resolved: dict[str, tuple[Any, bool, bool]] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        outputs = build()

        async def collect() -> None:
            for name, output in outputs.items():
                output = pulumi.Output.from_input(output)
                known = await output.is_known()
                resolved[name] = (await output.future() if known else None, await output.is_secret(), known)

        return pulumi.Output.from_input(collect())

    try:
        program()
    except Exception as error:
        raise ProgramFailed(error, monitor.registrations) from error
    finally:
        executor.shutdown(wait=False)
    return ProgramRun(monitor.registrations, resolved)
