"""One deployment of the engine stand-in (tests/engine.py): the step generator and the step executor.

Each rule cites pulumi/pulumi HEAD 1b59498 (engine 3.260-dev); tests/engine_modes.md lists every mode and rule
with the test that covers it.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import grpc

from .engine_graph import GraphNode, UrnTargets, dependents_closure, schedule_deletes, transitive_dependencies
from .engine_program import (
    PendingOperation,
    Program,
    ProgramFailed,
    ProgramRun,
    Registration,
    ResourceState,
    StepFailed,
    run_program,
)
from .provider_host import ProviderHost

if TYPE_CHECKING:
    from .engine import Engine

T = TypeVar("T")
PROVIDER_KEY = "__provider"
UPDATE, DESTROY = "update", "destroy"  # step_generator.go updateMode, destroyMode (`destroy --run-program`)


@dataclass(frozen=True)
class Options:
    """The CLI flags that shape a deployment (pkg/engine UpdateOptions, as pkg/cmd/pulumi/operations sets them)."""

    parallel: int
    targets: tuple[str, ...] = ()
    target_dependents: bool = False
    ignore_protect: bool = False
    continue_on_error: bool = False
    excludes: tuple[str, ...] = ()


class DeleteProtected(StepFailed):
    """step.go deleteProtectedError: a delete step of a protected resource fails; the executor goes on past it."""

    def __init__(self, urn: str) -> None:
        super().__init__(f"resource \"{urn}\" cannot be deleted\nbecause it is protected. To unprotect the resource, "
                         "either remove the `protect` flag from the resource in your Pulumi program and run "
                         f"`pulumi up`, or use the command:\n`pulumi state unprotect '{urn}'`")


@dataclass
class _Step:
    """What a step did: the operation, the id and outputs the program sees, the state to record (None: keep)."""

    operation: str
    id: str
    outputs: dict[str, Any]
    record: ResourceState | None


class Deployment:
    """One `up`, `preview` or `destroy --run-program`: registrations become steps as they arrive, deletes come
    after the program (deployment_executor.go performPostSteps)."""

    def __init__(self, engine: Engine, *, preview: bool, options: Options, mode: str = UPDATE) -> None:
        self.engine = engine
        self.preview = preview
        self.options = options
        self.mode = mode
        self.operations: dict[str, str] = {}
        self.claimed_old: set[str] = set()  # old URNs taken over through an alias
        self.checked: dict[str, dict[str, Any]] = {}  # urn → the inputs Check returned, recorded in state
        self.failed = False
        self.cancelled = False
        self.display: dict[str, list[str]] = {}
        self.prev: list[GraphNode] = engine.snapshot()  # deployment.go prev: the snapshot this deployment starts from
        self.to_delete: list[GraphNode] = []  # destroyMode: the program's resources, deleted after it ran
        self.targets = UrnTargets(list(options.targets))
        self.targets_actual: set[str] = set()  # step_generator.go targetsActual (--target-dependents)
        self.skipped_creates: set[str] = set()
        # step_executor.go newStepExecutor: DegreeOfParallelism() workers run steps (--parallel, default 4 × CPUs)
        self._workers = threading.BoundedSemaphore(max(1, options.parallel))
        self._lock = threading.Lock()

    @property
    def host(self) -> ProviderHost:
        return self.engine.host

    def run(self, program: Program) -> ProgramRun:
        try:
            run = run_program(program.build, self.register, stack=program.stack, config=program.config,
                              secret_keys=program.secret_keys, preview=self.preview, parallel=self.options.parallel)
            self.engine.registrations = run.registrations
        except ProgramFailed as failure:
            self.engine.registrations = failure.registrations
            cause: BaseException | None = failure.error
            while cause is not None and not isinstance(cause, StepFailed | PendingOperation):
                cause = cause.__cause__ or cause.__context__
            raise (cause or failure) from failure
        unknown = [urn for urn in self.targets.literals()
                   if urn not in self.engine.state and urn not in {r.urn for r in run.registrations}]
        if unknown:  # deployment_executor.go checkTargets
            raise StepFailed(f"Target '{unknown[0]}' could not be found in the stack.")
        return run

    # ------------------------------------------------------------------ per registration

    def _old_state(self, registration: Registration) -> tuple[str, ResourceState | None]:
        """State by URN, else through an alias (step_generator.go: an alias maps the new URN onto the old
        resource, which is then not deleted)."""
        state = self.engine.state.get(registration.urn)
        if state is not None:
            return registration.urn, state
        for alias in registration.aliases:
            if alias in self.engine.state:
                with self._lock:
                    self.claimed_old.add(alias)
                return alias, self.engine.state[alias]
        return registration.urn, None

    def _targeted(self, registration: Registration) -> bool:
        """step_generator.go isTargetedForUpdate: named by --target, or (--target-dependents) depending on a
        resource that is; with no --target every resource is."""
        if not self.targets.constrained:
            return True
        depends = registration.dependencies | ({registration.parent} if registration.parent else set())
        targeted = self.targets.contains(registration.urn) or (
            self.options.target_dependents and bool(depends & self.targets_actual))
        if targeted:
            with self._lock:
                self.targets_actual.add(registration.urn)
        return targeted

    def register(self, registration: Registration) -> tuple[str, dict[str, Any]]:
        if self.failed:
            # step_executor.go: after a step fails the executor is cancelled and starts no new step.
            raise StepFailed(f"{registration.name}: not started: an earlier step failed")
        with self._workers:
            return self._register(registration)

    def _register(self, registration: Registration) -> tuple[str, dict[str, Any]]:
        started = time.monotonic()
        old_urn, old = self._old_state(registration)
        try:
            step = self._step(registration, old)
        except (PendingOperation, StepFailed):
            self.failed = True
            raise
        except Exception as error:
            self.failed = True
            raise StepFailed(f"{registration.name}: {_provider_error(error)}") from error
        with self._lock:
            self.operations[registration.urn] = step.operation
        if not self.preview and step.record is not None:
            with self.engine.lock:
                if old_urn != registration.urn:
                    self.engine.state.pop(old_urn, None)
                self.engine.state[registration.urn] = step.record
            self.engine.record(registration.urn, step.operation, started)
        return step.id, step.outputs

    def _step(self, registration: Registration, old: ResourceState | None) -> _Step:
        if self.mode == DESTROY:
            return self._destroy_mode_step(registration, old)
        if not self._targeted(registration):
            if old is None:  # step_generator.go: an untargeted new resource is a SkippedCreate
                with self._lock:
                    self.skipped_creates.add(registration.urn)
                return _Step("skipped-create", "", dict(registration.inputs), None)
            # step_generator.go generateSteps: no Check, no Diff; UntargetedSameStep keeps the old state as is
            return _Step("same", old.id, old.outputs, None)
        skipped = sorted(registration.dependencies & self.skipped_creates)
        if skipped:  # sdk diag GetResourceWillBeCreatedButWasNotSpecifiedInTargetList
            raise StepFailed(f"Resource '{registration.urn}' depends on '{skipped[0]}' which was was not specified "
                             "in --target list.")
        if not registration.custom:  # a component: recorded, no provider
            operation = "same" if old else "create"
            return _Step(operation, "", dict(registration.inputs), self._new_state(registration, "", dict(
                registration.inputs)))
        if registration.dynamic:
            operation, id_, outputs = self._dynamic_step(registration, old)
        else:
            operation, id_, outputs = self._mock_step(registration, old)
        return _Step(operation, id_, outputs, self._new_state(registration, id_, outputs))

    def _new_state(self, registration: Registration, id_: str, outputs: dict[str, Any]) -> ResourceState:
        # step.go: every step records the checked new inputs (a SameStep too) with its outputs.
        return ResourceState(registration.type, id_, self.checked.pop(registration.urn, dict(registration.inputs)),
                             outputs, registration.parent, set(registration.dependencies), registration.custom,
                             registration.protect)

    def _destroy_mode_step(self, registration: Registration, old: ResourceState | None) -> _Step:
        """step_generator.go continueStepsFromRefresh, destroyMode (`pulumi destroy --run-program`): no Check and
        no create; a resource in state gets a SameStep that keeps its old inputs and outputs (with the program's
        protect flag and dependencies) and is deleted after the program; one that is not, or that depends on a
        skipped one, is a SkippedCreate. Components are constructed and deleted with the rest."""
        depends = registration.dependencies | ({registration.parent} if registration.parent else set())
        if registration.custom and (old is None or depends & self.skipped_creates):
            with self._lock:
                self.skipped_creates.add(registration.urn)
            return _Step("skipped-create", "", old.outputs if old else dict(registration.inputs), None)
        inputs = old.inputs if old else dict(registration.inputs)
        outputs = old.outputs if old else dict(registration.inputs)
        new = ResourceState(registration.type, old.id if old else "", inputs, outputs, registration.parent,
                            set(registration.dependencies), registration.custom, registration.protect)
        with self._lock:
            self.to_delete.append(GraphNode(registration.urn, new))
        return _Step("same", new.id, outputs, new)

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
        delete_first = registration.delete_before_replace
        if not replace:
            # step_generator.go diff(): Diff(olds = old outputs, news = checked inputs, old_inputs = old inputs).
            diff = self.host.diff(urn, old.id, old.outputs, news, old.inputs)
            changes = diff.changes
            if changes is None:  # DIFF_UNKNOWN: the engine compares old and new inputs itself
                changes = _without_provider(old.inputs) != _without_provider(news)
            # continueStepsFromDiff: a replace only under DIFF_SOME (DIFF_NONE ignores `replaces`);
            # applyReplaceOnChanges then turns a change of those properties into a replace too.
            diff_replaces: list[str] = []
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
            failure = self._delete_step(self._prev_node(urn, old), replacing=True, dry_run=False)
            if failure is not None:
                raise failure
        id_, outputs = self._create(registration, news)
        if not delete_first:
            self._pending_delete(urn, old)
        return "replace", id_, outputs

    def _prev_node(self, urn: str, state: ResourceState) -> GraphNode:
        return next((node for node in self.prev if node.state is state), GraphNode(urn, state))

    def _pending_delete(self, urn: str, old: ResourceState) -> None:
        """step.go CreateStep.Apply: once the replacement exists, the old resource is marked Delete (pending
        deletion) in the snapshot; the deletes at the end of this deployment, or of the next one if this one
        fails first, remove it."""
        with self.engine.lock:
            self._prev_node(urn, old).delete = True
            self.engine.pending_deletes.append((urn, old))

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
        with self.engine.lock:
            self.engine.pending_operations[urn] = pending
        try:
            result = call()
        except Exception as error:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.host.process.wait(1)  # a host killed mid-call: its connection broke just before it was reaped
            if self.host.process.poll() is not None:
                raise PendingOperation(f"{urn.rsplit('::', 1)[-1]}: interrupted while {pending}") from error
            with self.engine.lock:
                del self.engine.pending_operations[urn]
            raise
        with self.engine.lock:
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
            self._pending_delete(registration.urn, old)
            return "replace", id_, outputs
        return "update", old.id, outputs

    # ------------------------------------------------------------------ deletes

    def generate_deletes(self, registered: set[str]) -> list[tuple[GraphNode, bool]]:
        """step_generator.go GenerateDeletes: (resource, is the old half of a replacement) for every resource
        pending deletion and every one the program did not register (destroyMode: also the program's own);
        with --target only those targeted or, transitively, depending on a target; with --exclude none excluded
        nor anything an excluded one depends on; the rest stay in state (UntargetedSameStep). A delete of a
        resource not named by --target fails the deployment before any delete runs, unless --target-dependents."""
        graph = self.to_delete + self.prev
        allowed: set[str] | None = None
        if self.targets.constrained:
            allowed = dependents_closure(graph, [node for node in graph if self.targets.contains(node.urn)])
        # getExcludeDependencies: an excluded resource keeps everything it depends on
        forbidden = set(self.options.excludes)
        for node in graph:
            if node.urn in self.options.excludes:
                forbidden |= {other.urn for other in transitive_dependencies(graph, node)}

        def included(node: GraphNode) -> bool:
            return (allowed is None or node.urn in allowed) and node.urn not in forbidden

        kept = registered | self.claimed_old
        steps = [(node, node.delete) for node in self.prev
                 if included(node) and (node.delete or node.urn not in kept)]
        steps += [(node, False) for node in self.to_delete if included(node)]
        unspecified = [node.urn for node, _ in steps
                       if not self.targets.contains(node.urn) and not self.options.target_dependents]
        if unspecified:  # sdk diag GetResourceWillBeDestroyedButWasNotSpecifiedInTargetList; bails (preview too)
            raise StepFailed("\n".join(f"Resource '{urn}' will be destroyed but was not specified in --target list.\n"
                                       "Either include resource in --target list or pass --target-dependents to "
                                       "proceed." for urn in unspecified))
        return steps

    def execute_deletes(self, steps: list[tuple[GraphNode, bool]]) -> None:
        """deployment_executor.go performPostSteps: the deletes in ScheduleDeletes' antichains, each run in
        parallel (at most --parallel at once) and finished before the next. A failed delete cancels the rest
        (step_executor.go cancelDueToError), except a protect failure, which the executor always goes past
        (and --continue-on-error, any failure); a later antichain skips every resource a failed one depends on,
        transitively."""
        graph = self.to_delete + self.prev
        replacing = {node: flag for node, flag in steps}
        errors: list[StepFailed] = []
        errored: list[GraphNode] = []
        for antichain in schedule_deletes(graph, replacing):
            kept: set[GraphNode] = set()
            for node in errored:
                kept |= transitive_dependencies(graph, node)
            runnable = [node for node in antichain if node not in kept]
            if self.cancelled or not runnable:
                continue
            with ThreadPoolExecutor(max_workers=min(self.options.parallel, len(runnable))) as pool:
                failures = list(pool.map(lambda node: self._delete_step(node, replacing[node], self.preview),
                                         runnable))
            for node, failure in zip(runnable, failures, strict=True):
                if isinstance(failure, PendingOperation):
                    raise failure
                if failure is None:
                    continue
                errors.append(failure)
                errored.append(node)
                if not isinstance(failure, DeleteProtected) and not self.options.continue_on_error:
                    self.cancelled = True
        if errors:
            raise errors[0] if len(errors) == 1 else StepFailed("\n".join(str(error) for error in errors))

    def _delete_step(self, node: GraphNode, replacing: bool, dry_run: bool) -> StepFailed | PendingOperation | None:
        """step.go DeleteStep.Apply: protect first (not for the old half of a replacement, nor with
        --ignore-protect), then, unless a preview, the provider's Delete with the old outputs and inputs."""
        if self.cancelled:
            return None  # step_executor.go executeChain: a cancelled executor starts no step
        urn, state = node.urn, node.state
        if not replacing and state.protect and not self.options.ignore_protect:
            return DeleteProtected(urn)
        started = time.monotonic()
        if not dry_run and state.custom and state.dynamic:
            try:
                self._call(urn, "deleting", lambda: self.host.delete(urn, state.id, state.outputs, state.inputs))
            except PendingOperation as interrupted:
                return interrupted
            except Exception as error:
                return StepFailed(f"{urn.rsplit('::', 1)[-1]}: {_provider_error(error)}")
        with self._lock:
            if self.operations.get(urn) in (None, "same"):
                self.operations[urn] = "delete"
        if dry_run:
            return None
        self.engine.record(urn, "delete", started)
        with self.engine.lock:
            if self.engine.state.get(urn) is state:
                del self.engine.state[urn]
            self.engine.pending_deletes = [(u, s) for u, s in self.engine.pending_deletes if s is not state]
        return None


def _provider_error(error: Exception) -> str:
    """What the CLI prints for a failed provider call: the provider's own last line, not the gRPC wrapping
    (the SDK host puts the whole traceback into the status details)."""
    details = error.details() if isinstance(error, grpc.RpcError) else str(error)
    lines = [line for line in str(details or error).splitlines() if line.strip()]
    return lines[-1] if lines else str(error)


def _without_provider(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if key != PROVIDER_KEY}
