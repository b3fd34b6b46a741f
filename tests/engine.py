"""A stand-in for the Pulumi engine, for tests and benchmarks on machines without the Pulumi CLI.

The program runs under the SDK's mocks with a monitor that plays the engine's part: each RegisterResource
performs that resource's step (Check, Diff, then Create/Update/Same/Replace) through the SDK's real
dynamic-provider host before it answers, so the program sees what it would see under `pulumi up` or
`pulumi preview`. Deletes (replaced and removed resources) run at the end, destroy and refresh work on
the recorded state. Every rule cites the pulumi/pulumi source it follows (pkg/resource/deploy/…).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dill
import grpc
import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.proto import resource_pb2

from .provider_host import SECRET_SIG, ProviderHost, struct_of, unwrap_secrets

T = TypeVar("T")
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


def _quiet_about_failed_steps(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed step fails every resource output that waited on it; the SDK leaves those futures unread, and
    asyncio would print each one's traceback when it is collected. The failure itself is raised to the test."""
    if isinstance(context.get("exception"), StepFailed | PendingOperation | ProgramFailed):
        return
    loop.default_exception_handler(context)


def run_program(build: Callable[[], dict[str, Any]], new_outputs: Callable[[Registration], tuple[str, dict[str, Any]]],
                *, stack: str = "test", config: dict[str, str] | None = None, secret_keys: list[str] | None = None,
                preview: bool = False) -> ProgramRun:
    """Run `build` (which returns the stack outputs) under mocks; collect registrations and outputs."""
    monitor = RecordingMonitor(new_outputs)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_quiet_about_failed_steps)
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
    return ProgramRun(monitor.registrations, resolved)


# ---------------------------------------------------------------------- the engine's side


@dataclass
class Program:
    """What `pulumi up` runs: the program, its stack and the stack's config (namespaced keys, JSON objects)."""

    build: Callable[[], dict[str, Any]]
    stack: str = "test"
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)


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
    operation: str  # create | update | same | replace | delete | read | refresh-delete
    started: float
    ended: float


class StepFailed(Exception):
    """A provider call failed or Check refused the inputs: the deployment stops (no deletes run)."""


class PendingOperation(Exception):
    """The provider host died during a step; the snapshot records it as the engine's journal does."""


# What a cloud provider does under mocks: outputs from the test's function, a new id on replace.
MockProvider = Callable[[Registration], tuple[str, dict[str, Any]]]


def _echo(registration: Registration) -> tuple[str, dict[str, Any]]:
    return f"{registration.name}-id", dict(registration.inputs)


class Engine:
    """Holds a stack's state between deployments, like the engine's snapshot."""

    def __init__(self, host: ProviderHost, *, mock: MockProvider = _echo) -> None:
        self.host = host
        self.mock = mock
        self.state: dict[str, ResourceState] = {}
        self.steps: list[Step] = []
        self.pending_operations: dict[str, str] = {}  # urn → "creating" | "updating" | "deleting"
        self.warnings: list[str] = []
        self.replace_next: set[str] = set()  # `pulumi up --replace URN`
        self.config: dict[str, str] = {}  # the stack's config, as the last deployment had it
        self.display: dict[str, list[str]] = {}  # urn → the properties the last preview shows as changed
        self.registrations: list[Registration] = []  # what the last program run registered
        self._lock = threading.Lock()

    def _begin(self, config: dict[str, str] | None) -> None:
        if config is not None:
            self.config = dict(config)
        self.host.for_deployment(self.config)

    # ------------------------------------------------------------------ deployments

    def up(self, program: Program, *, replace: Iterable[str] = ()) -> dict[str, str]:
        """`pulumi up`: each registration's step as it registers; then the deletes. Returns urn → operation."""
        self.replace_next = set(replace)
        self._begin(program.config)
        self._warn_pending()
        deployment = _Deployment(self, preview=False)
        run = deployment.run(program)
        deployment.delete_leftovers(run)
        return deployment.operations

    def preview(self, program: Program) -> dict[str, str]:
        """`pulumi preview`: Check and Diff only; nothing is created, updated or deleted, state is unchanged."""
        self.replace_next = set()
        self._begin(program.config)
        deployment = _Deployment(self, preview=True)
        run = deployment.run(program)
        for urn in deployment.deletes_for(run):
            deployment.operations[urn] = "delete"
        self.display = deployment.display
        return deployment.operations

    def destroy(self, config: dict[str, str] | None = None) -> dict[str, str]:
        """`pulumi destroy`: every resource deleted, dependants first, with its state's outputs.
        pkg/resource/deploy/step_generator.go GenerateDeletes: a protected resource fails the whole destroy."""
        protected = [urn for urn, state in self.state.items() if state.protect]
        if protected:
            raise StepFailed(f"resource {protected[0]} cannot be deleted because it is protected. To unprotect the "
                             "resource, either remove the `protect` flag from the resource in your Pulumi program "
                             "and run `pulumi up`, or use the command: `pulumi state unprotect`")
        self._begin(config)
        deployment = _Deployment(self, preview=False)
        for urn in self._reverse_dependency_order(set(self.state)):
            deployment.delete(urn, self.state[urn])
        return deployment.operations

    def refresh(self, config: dict[str, str] | None = None) -> dict[str, str]:
        """`pulumi refresh`: Read(id, properties = old outputs, inputs = old inputs) for each custom resource.
        pkg/resource/deploy/step.go RefreshStep: an empty id means the resource is gone (dropped from state);
        Read's inputs, when given, replace the old inputs (sdk/python/lib/pulumi/dynamic/__main__.py Read).
        pkg/backend/journal.go: a refresh is what clears pending operations."""
        self._begin(config)
        operations: dict[str, str] = {}
        for urn, state in list(self.state.items()):
            if not state.custom:
                continue
            started = time.monotonic()
            if state.dynamic:
                read = self.host.read(urn, state.id, state.outputs, state.inputs)
                if not read.id:
                    del self.state[urn]
                    operations[urn] = "refresh-delete"
                else:
                    changed = read.outputs != state.outputs or (read.inputs is not None and read.inputs != state.inputs)
                    state.outputs = read.outputs
                    if read.inputs is not None:
                        state.inputs = read.inputs
                    operations[urn] = "refresh-update" if changed else "same"
            else:
                operations[urn] = "same"
            self.steps.append(Step(urn, operations[urn], started, time.monotonic()))
        self.pending_operations.clear()
        return operations

    # ------------------------------------------------------------------ helpers

    def _warn_pending(self) -> None:
        """pkg/engine/lifecycletest TestUpdateShowsWarningWithPendingOperations: an up after an interrupted one
        warns and goes on; the interrupted resources are treated as the snapshot has them (a pending create: not
        there; a pending update: its old state)."""
        if self.pending_operations:
            self.warnings.append("Attempting to deploy or update resources with "
                                 f"{len(self.pending_operations)} pending operations from previous deployment.")
        # pkg/backend/journal.go: pending CREATE operations stay until a refresh clears them; others are dropped.
        self.pending_operations = {urn: op for urn, op in self.pending_operations.items() if op == "creating"}

    def _reverse_dependency_order(self, urns: set[str]) -> list[str]:
        """Dependants before what they depend on (pkg/resource/deploy/step_generator.go GenerateDeletes, which
        schedules deletes in reverse topological order); children before parents."""
        order: list[str] = []
        seen: set[str] = set()

        def visit(urn: str) -> None:
            if urn in seen:
                return
            seen.add(urn)
            for other in urns:
                state = self.state.get(other)
                if state and (urn in state.dependencies or state.parent == urn):
                    visit(other)
            order.append(urn)

        for urn in [u for u in self.state if u in urns] + sorted(u for u in urns if u not in self.state):
            visit(urn)
        return order

    def record(self, urn: str, operation: str, started: float) -> None:
        with self._lock:
            self.steps.append(Step(urn, operation, started, time.monotonic()))


class _Deployment:
    """One `up` or `preview`: the step generator and executor for the registrations of one program run."""

    def __init__(self, engine: Engine, *, preview: bool) -> None:
        self.engine = engine
        self.preview = preview
        self.operations: dict[str, str] = {}
        self.replaced: dict[str, ResourceState] = {}  # old states of resources replaced create-before-delete
        self.claimed_old: set[str] = set()  # old URNs taken over through an alias
        self.checked: dict[str, dict[str, Any]] = {}  # urn → the inputs Check returned, recorded in state
        self.failed = False
        self.display: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    @property
    def host(self) -> ProviderHost:
        return self.engine.host

    def run(self, program: Program) -> ProgramRun:
        try:
            run = run_program(program.build, self.register, stack=program.stack, config=program.config,
                              secret_keys=program.secret_keys, preview=self.preview)
            self.engine.registrations = run.registrations
            return run
        except ProgramFailed as failure:
            self.engine.registrations = failure.registrations
            cause: BaseException | None = failure.error
            while cause is not None and not isinstance(cause, StepFailed | PendingOperation):
                cause = cause.__cause__ or cause.__context__
            raise (cause or failure) from failure

    # ------------------------------------------------------------------ per registration

    def _old_state(self, registration: Registration) -> tuple[str, ResourceState | None]:
        """State by URN, else through an alias (pkg/resource/deploy/step_generator.go: an alias maps the new
        URN onto the old resource, which is then not deleted)."""
        state = self.engine.state.get(registration.urn)
        if state is not None:
            return registration.urn, state
        for alias in registration.aliases:
            if alias in self.engine.state:
                with self._lock:
                    self.claimed_old.add(alias)
                return alias, self.engine.state[alias]
        return registration.urn, None

    def register(self, registration: Registration) -> tuple[str, dict[str, Any]]:
        if self.failed:
            # step_executor.go: after a step fails the executor is cancelled and starts no new step.
            raise StepFailed(f"{registration.name}: not started: an earlier step failed")
        started = time.monotonic()
        old_urn, old = self._old_state(registration)
        try:
            if not registration.custom:  # a component: recorded, no provider
                operation, id_, outputs = ("same" if old else "create"), "", dict(registration.inputs)
            elif registration.dynamic:
                operation, id_, outputs = self._dynamic_step(registration, old)
            else:
                operation, id_, outputs = self._mock_step(registration, old)
        except PendingOperation:
            self.failed = True
            raise
        except StepFailed:
            self.failed = True
            raise
        except Exception as error:
            self.failed = True
            raise StepFailed(f"{registration.name}: {_provider_error(error)}") from error
        with self._lock:
            self.operations[registration.urn] = operation
        if not self.preview:
            if old_urn != registration.urn:
                self.engine.state.pop(old_urn, None)
            # step.go: every step records the checked new inputs (a SameStep too) with its outputs.
            self.engine.state[registration.urn] = ResourceState(
                registration.type, id_, self.checked.pop(registration.urn, dict(registration.inputs)), outputs,
                registration.parent, set(registration.dependencies), registration.custom, registration.protect)
            self.engine.record(registration.urn, operation, started)
        return id_, outputs

    def _dynamic_step(self, registration: Registration, old: ResourceState | None) -> tuple[str, str, dict[str, Any]]:
        urn = registration.urn
        # step_generator.go generateSteps: Check(olds = the old resource's inputs, news = the program's inputs).
        checked = self.host.check(urn, old.inputs if old else {}, registration.inputs)
        if checked.failures:
            reasons = "; ".join(reason for _, reason in checked.failures)
            raise StepFailed(f"{registration.name}: {reasons}")
        news = checked.inputs
        if old is None:
            return "create", *self._create(registration, news)
        replace = urn in self.engine.replace_next
        diff_replaces: list[str] = []
        delete_first = registration.delete_before_replace
        if not replace:
            # step_generator.go diff(): Diff(olds = old outputs, news = checked inputs, old_inputs = old inputs).
            diff = self.host.diff(urn, old.id, old.outputs, news, old.inputs)
            changes = diff.changes
            if changes is None:  # DIFF_UNKNOWN: the engine compares old and new inputs itself
                changes = _without_provider(old.inputs) != _without_provider(news)
            # continueStepsFromDiff: a replace only under DIFF_SOME (DIFF_NONE ignores `replaces`);
            # applyReplaceOnChanges then turns a change of those properties into a replace too.
            if changes:
                diff_replaces = list(diff.replaces) + [key for key in registration.replace_on_changes
                                                       if old.inputs.get(key) != news.get(key)]
            replace = bool(diff_replaces)
            delete_first = delete_first or diff.delete_before_replace
            if not replace and not changes:
                # SameStep (step.go): new inputs are recorded, the old outputs are kept.
                self.checked[urn] = news
                return "same", old.id, old.outputs
            if not replace:
                if self.preview:
                    # provider_plugin.go Update: a provider without preview support answers a preview with the
                    # inputs; the SDK resolves every output missing from them as unknown.
                    self._shown(urn, old.outputs, news)
                    return "update", old.id, news
                outputs = self._call(urn, "updating",
                                     lambda: self.host.update(urn, old.id, old.outputs, news, old.inputs))
                self.checked[urn] = news
                return "update", old.id, outputs
        # A replace. step_generator.go continueStepsFromDiff: Check runs again with no olds ("recompute the
        # default values"), except for a `--replace` target; a protected resource is never replaced.
        if old.protect and registration.protect:
            raise StepFailed(f"unable to replace resource {urn!r} as it is currently marked for protection")
        if urn not in self.engine.replace_next:
            news = self.host.check(urn, {}, registration.inputs).inputs
        if self.preview:
            self._shown(urn, old.outputs, news)
            return "replace", "", news
        if delete_first:
            # step_generator.go: deleteBeforeReplace deletes the old resource before the new one is created.
            self.delete(urn, old)
        else:
            # step_generator.go / step_executor.go: the old resource is marked for deletion and deleted after
            # every other step of the deployment has finished.
            with self._lock:
                self.replaced[urn] = old
        id_, outputs = self._create(registration, news)
        return "replace", id_, outputs

    def _shown(self, urn: str, olds: dict[str, Any], news: dict[str, Any]) -> None:
        """What `pulumi preview` prints for the step: pkg/backend/display/object_diff.go getResourceProperties
        Details diffs the old outputs against the new outputs (in a preview: the inputs), ignoring `__` keys."""
        keys = sorted(key for key in set(olds) | set(news)
                      if not key.startswith("__") and olds.get(key) != news.get(key))
        with self._lock:
            self.display[urn] = keys

    def _create(self, registration: Registration, news: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        self.checked[registration.urn] = news
        if self.preview:
            # provider_plugin.go Create(preview): the inputs stand for the outputs; the rest is unknown.
            return "", news
        created: tuple[str, dict[str, Any]] = self._call(registration.urn, "creating",
                                                         lambda: self.host.create(registration.urn, news))
        return created

    def _call(self, urn: str, pending: str, call: Callable[[], T]) -> T:
        """pkg/backend/journal.go: an operation is pending in the snapshot until the provider answers; a host
        that dies leaves it there."""
        self.engine.pending_operations[urn] = pending
        try:
            result = call()
        except Exception as error:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.host.process.wait(1)  # a host killed mid-call: its connection broke just before it was reaped
            if self.host.process.poll() is not None:
                raise PendingOperation(f"{urn.rsplit('::', 1)[-1]}: interrupted while {pending}") from error
            del self.engine.pending_operations[urn]
            raise
        del self.engine.pending_operations[urn]
        return result

    def _mock_step(self, registration: Registration, old: ResourceState | None) -> tuple[str, str, dict[str, Any]]:
        """A cloud resource under mocks: its outputs come from the test; a forced replace gets a new id."""
        if old is not None and registration.urn not in self.engine.replace_next and old.inputs == registration.inputs:
            return "same", old.id, old.outputs
        if self.preview:
            operation = "create" if old is None else "update"
            if registration.urn in self.engine.replace_next:
                operation = "replace"
            return operation, old.id if operation == "update" and old else "", dict(registration.inputs)
        id_, outputs = self.engine.mock(registration)
        if old is None:
            return "create", id_, outputs
        if registration.urn in self.engine.replace_next:
            with self._lock:
                self.replaced[registration.urn] = old
            return "replace", id_, outputs
        return "update", old.id, outputs

    # ------------------------------------------------------------------ deletes

    def deletes_for(self, run: ProgramRun) -> list[str]:
        registered = {r.urn for r in run.registrations} | self.claimed_old
        removed = {urn for urn in self.engine.state if urn not in registered}
        return self.engine._reverse_dependency_order(removed)

    def delete_leftovers(self, run: ProgramRun) -> None:
        """step_executor.go: once every other step is done, the replaced resources' old versions and the
        resources the program no longer registers are deleted, dependants first, each with its old outputs."""
        for urn, old in self.replaced.items():
            self.delete(urn, old)
        for urn in self.deletes_for(run):
            state = self.engine.state[urn]
            if state.protect:
                raise StepFailed(f"resource {urn} cannot be deleted because it is protected")
            self.delete(urn, state)
            self.engine.state.pop(urn, None)

    def delete(self, urn: str, state: ResourceState) -> None:
        started = time.monotonic()
        if state.custom and state.dynamic:
            self._call(urn, "deleting", lambda: self.host.delete(urn, state.id, state.outputs, state.inputs))
        with self._lock:
            self.operations.setdefault(urn, "delete")
            if self.operations[urn] == "same":
                self.operations[urn] = "delete"
        self.engine.record(urn, "delete", started)
        if self.engine.state.get(urn) is state:
            del self.engine.state[urn]


def _provider_error(error: Exception) -> str:
    """What the CLI prints for a failed provider call: the provider's own last line, not the gRPC wrapping
    (the SDK host puts the whole traceback into the status details)."""
    details = error.details() if isinstance(error, grpc.RpcError) else str(error)
    lines = [line for line in str(details or error).splitlines() if line.strip()]
    return lines[-1] if lines else str(error)


def _without_provider(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key != PROVIDER_KEY}
