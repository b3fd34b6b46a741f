"""A small stand-in for the Pulumi engine, for tests and benchmarks on machines without the Pulumi CLI.

`run_program` runs a program under the SDK's mocks with a monitor that records every registration (type,
parent, dependencies, inputs exactly as the SDK serialized them, which of them are secret) and marks
outputs secret as the engine does. `Engine.up` then replays the dynamic resources through the real
provider host: Check, then Diff/Update or Create, each resource after its dependencies, in parallel.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import dill
import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2

from .provider_host import SECRET_SIG, ProviderHost, struct_of, unwrap_secrets

DYNAMIC_PREFIX = "pulumi-python:dynamic"


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

    @property
    def dynamic(self) -> bool:
        return self.type.startswith(DYNAMIC_PREFIX)


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

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == "pulumi:pulumi:Stack":
            return resource_pb2.RegisterResourceResponse(urn=urn)
        raw = rpc.deserialize_properties(request.object)
        secret_inputs = {key for key, value in raw.items() if _is_secret(value)}
        registration = Registration(request.type, request.name, urn, request.parent, bool(request.custom),
                                    unwrap_secrets(raw), secret_inputs,
                                    set(request.additionalSecretOutputs) | secret_inputs, set(request.dependencies))
        id_, outputs = self.new_outputs(registration)
        registration.outputs = outputs
        wrapped = {key: _secret(value) if key in registration.secret_outputs and value is not None else value
                   for key, value in outputs.items()}
        obj = struct_of(wrapped)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, outputs)
        with self._lock:
            self.registrations.append(registration)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj)


def provider_of(registration: Registration) -> Any:
    return dill.loads(base64.b64decode(registration.inputs["__provider"]))


class ProgramFailed(Exception):
    """The program raised; `registrations` shows what it had created before (nothing, if checks come first)."""

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


def run_program(build: Callable[[], dict[str, Any]], new_outputs: Callable[[Registration], tuple[str, dict[str, Any]]],
                *, stack: str = "test", config: dict[str, str] | None = None, secret_keys: list[str] | None = None,
                preview: bool = False) -> ProgramRun:
    """Run `build` (which returns the stack outputs) under mocks; collect registrations and outputs."""
    monitor = RecordingMonitor(new_outputs)
    asyncio.set_event_loop(asyncio.new_event_loop())  # the SDK needs one; an earlier asyncio.run() unset it
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
    return ProgramRun(monitor.registrations, resolved)


# ---------------------------------------------------------------------- replay through the provider host

@dataclass
class Step:
    urn: str
    operation: str  # create | update | same
    started: float
    ended: float


@dataclass
class ResourceState:
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


class Engine:
    """Holds state between runs; `up` creates or updates the dynamic resources of a program run."""

    def __init__(self, host: ProviderHost, parallel: int = 16) -> None:
        self.host = host
        self.parallel = parallel
        self.state: dict[str, ResourceState] = {}
        self.steps: list[Step] = []
        self.created_during_program: set[str] = set()

    def outputs_for(self, registration: Registration) -> tuple[str, dict[str, Any]]:
        """Outputs a program sees while it runs: state for known resources; resources whose outputs feed
        other inputs (the secrets bundle) are created on the spot, as the engine would before dependants."""
        known = self.state.get(registration.urn)
        if known is not None:
            return known.id, known.outputs
        if registration.type.endswith("talos:Secrets"):
            self._step(registration)
            self.created_during_program.add(registration.urn)
            return self.state[registration.urn].id, self.state[registration.urn].outputs
        return "", dict(registration.inputs)

    def _step(self, registration: Registration) -> str:
        started = time.monotonic()
        previous = self.state.get(registration.urn)
        olds = previous.inputs if previous else {}
        checked = self.host.check(registration.urn, olds, registration.inputs)
        if checked.failures:
            raise AssertionError(f"{registration.name}: check failed: {checked.failures}")
        operation = "create"
        if previous is None:
            id_, outputs = self.host.create(registration.urn, checked.inputs)
        else:
            diff = self.host.diff(registration.urn, previous.id, previous.outputs, checked.inputs)
            if diff.replaces:
                operation = "replace"
                id_, outputs = self.host.create(registration.urn, checked.inputs)
            elif diff.changes:
                operation = "update"
                id_ = previous.id
                outputs = self.host.update(registration.urn, previous.id, previous.outputs, checked.inputs)
            else:
                operation, id_, outputs = "same", previous.id, previous.outputs
        self.state[registration.urn] = ResourceState(id_, checked.inputs, outputs)
        self.steps.append(Step(registration.urn, operation, started, time.monotonic()))
        return operation

    def up(self, run: ProgramRun) -> dict[str, str]:
        """Every dynamic resource of `run`, each after its dependencies; returns urn → operation."""
        pending = {r.urn: r for r in run.registrations if r.dynamic}
        done: dict[str, str] = {urn: "create" for urn in pending if urn in self.created_during_program}
        self.created_during_program.clear()
        futures: dict[str, Any] = {}
        with ThreadPoolExecutor(self.parallel) as pool:
            def schedule(registration: Registration) -> Any:
                waits = [futures[d] for d in registration.dependencies if d in futures]

                def step() -> str:
                    for wait in waits:
                        wait.result()
                    return self._step(registration)

                return pool.submit(step)

            for registration in run.registrations:  # registration order is a topological order
                if registration.urn in pending and registration.urn not in done:
                    futures[registration.urn] = schedule(registration)
            for urn, future in futures.items():
                done[urn] = future.result()
        return done
