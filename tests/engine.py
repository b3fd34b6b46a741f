"""A stand-in for the Pulumi engine, for tests and benchmarks on machines without the Pulumi CLI.

The program runs under the SDK's mocks with a monitor that plays the engine's part: each RegisterResource
performs that resource's step (Check, Diff, then Create/Update/Same/Replace) through the SDK's real
dynamic-provider host before it answers, so the program sees what it would see under `pulumi up` or
`pulumi preview`. Deletes (replaced and removed resources) run at the end in dependency order, in parallel;
destroy and refresh work on the recorded state with the provider configured as recorded. Every rule cites the
pulumi/pulumi source it follows; tests/engine_modes.md lists the engine's modes and rules, each modelled
here (and where), tested (by which test) or not applicable (why).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .engine_deployment import DESTROY, Deployment, Options
from .engine_graph import GraphNode, transitive_dependencies
from .engine_program import (
    PendingOperation,
    Program,
    ProgramFailed,
    ProgramRun,
    Registration,
    ResourceState,
    Step,
    StepFailed,
    provider_of,
    run_program,
)
from .provider_host import ProviderHost, ReadOutcome

__all__ = ["Engine", "PendingOperation", "Program", "ProgramFailed", "ProgramRun", "Registration", "ResourceState",
           "StepFailed", "default_parallel", "provider_of", "run_program"]


def default_parallel() -> int:
    """pkg/cmd/pulumi/operations/up.go defaultParallel: `--parallel` defaults to 4 × GOMAXPROCS, which Go sets
    to the CPUs this process may run on (destroy, refresh and preview use the same default)."""
    return 4 * len(os.sched_getaffinity(0))


def _echo(registration: Registration) -> tuple[str, dict[str, Any]]:
    return f"{registration.name}-id", dict(registration.inputs)


class Engine:
    """Holds a stack's state between deployments, like the engine's snapshot."""

    def __init__(self, host: ProviderHost, *, mock: Any = _echo) -> None:
        self.host = host
        self.mock = mock  # what a cloud provider does under mocks: outputs from the test, a new id on replace
        self.state: dict[str, ResourceState] = {}
        # step.go CreateStep.Apply: old halves of replacements, marked Delete in the snapshot until deleted
        self.pending_deletes: list[tuple[str, ResourceState]] = []
        self.steps: list[Step] = []
        self.pending_operations: dict[str, str] = {}  # urn → "creating" | "updating" | "deleting"
        self.warnings: list[str] = []
        self.replace_next: set[str] = set()  # `pulumi up --replace URN`
        # The inputs recorded for the default dynamic provider: the stack config of the last deployment that ran
        # the program (source_eval.go default providers get target.go GetPackageConfig: all of it)
        self.provider_config: dict[str, str] = {}
        self.display: dict[str, list[str]] = {}  # urn → the properties the last preview shows as changed
        self.refresh_diffs: dict[str, bool] = {}  # urn → whether the last refresh showed a difference
        self.registrations: list[Registration] = []  # what the last program run registered
        self.lock = threading.Lock()

    def snapshot(self) -> list[GraphNode]:
        with self.lock:
            return [GraphNode(urn, state) for urn, state in self.state.items()] + [
                GraphNode(urn, state, delete=True) for urn, state in self.pending_deletes]

    def record(self, urn: str, operation: str, started: float) -> None:
        with self.lock:
            self.steps.append(Step(urn, operation, started, time.monotonic()))

    def _configure(self, config: dict[str, str]) -> None:
        """registry.go: the provider is configured with the inputs of its state (Same, from EnsureProvider) or,
        when the program registers it, with the current stack config (Check, then Same/Update)."""
        self.host.for_deployment(config)

    # ------------------------------------------------------------------ deployments

    def up(self, program: Program, *, replace: Iterable[str] = (), targets: Iterable[str] = (),
           target_dependents: bool = False, refresh: bool = False, parallel: int | None = None) -> dict[str, str]:
        """`pulumi up --skip-preview` (or `up --yes` once its preview passed): each registration's step as it
        registers; then the deletes. `--replace`, `--target`, `--target-dependents`, `--refresh`, `--parallel`.
        Returns urn → operation."""
        options = Options(parallel or default_parallel(), tuple(targets), target_dependents)
        if refresh:
            # deployment_executor.go Execute: `--refresh` reads every resource first, through providers loaded
            # from state (step_generator.go GenerateRefreshes → deployment.go EnsureProvider)
            self._refresh(self.provider_config, options.parallel, clear_pending_creates=False)
        self.replace_next = set(replace)
        self._configure(program.config)  # providers are always targeted (step_generator.go: implicitly targeted)
        self.provider_config = dict(program.config)
        self._warn_pending()
        deployment = Deployment(self, preview=False, options=options)
        run = deployment.run(program)
        deployment.execute_deletes(deployment.generate_deletes({r.urn for r in run.registrations}))
        return deployment.operations

    def preview(self, program: Program, *, targets: Iterable[str] = (), target_dependents: bool = False,
                parallel: int | None = None) -> dict[str, str]:
        """`pulumi preview`: Check and Diff only; nothing is created, updated or deleted, state is unchanged;
        deletes are listed (and a protected one fails the preview, step.go DeleteStep.Apply in DryRun)."""
        self.replace_next = set()
        self._configure(program.config)
        options = Options(parallel or default_parallel(), tuple(targets), target_dependents)
        deployment = Deployment(self, preview=True, options=options)
        run = deployment.run(program)
        self.display = deployment.display
        deployment.execute_deletes(deployment.generate_deletes({r.urn for r in run.registrations}))
        return deployment.operations

    def destroy(self, program: Program | None = None, *, run_program: bool = False, skip_preview: bool = False,
                targets: Iterable[str] = (), target_dependents: bool = False, ignore_protect: bool = False,
                continue_on_error: bool = False, exclude_protected: bool = False,
                parallel: int | None = None) -> dict[str, str]:
        """`pulumi destroy`, which previews first unless `--skip-preview` (also `--remote`, and the Automation
        API's Stack.destroy(), which runs `pulumi destroy --skip-preview --yes`): backend/apply.go
        PreviewThenPromptThenExecute returns the preview's error before anything is deleted. `--exclude-protected`
        keeps the protected resources and what they depend on.
        Without `--run-program` the engine runs no program (engine/destroy.go newDestroySource: a null source)
        and configures the provider with the inputs recorded in state; with it, the program runs in destroyMode
        and the provider gets the stack config as it is now (`program.config`)."""
        if run_program and program is None:
            raise ValueError("`pulumi destroy --run-program` runs the program: give it")
        excludes: tuple[str, ...] = ()
        if exclude_protected:
            # cmd destroy.go getProtectedExcludes: protected resources and everything they depend on; when that
            # is all of them, "There were no unprotected resources to destroy" and nothing runs
            graph = self.snapshot()
            kept = {node.urn for node in graph if node.state.protect}
            for node in graph:
                if node.state.protect:
                    kept |= {other.urn for other in transitive_dependencies(graph, node)}
            if kept >= {node.urn for node in graph}:
                return {}
            excludes = tuple(sorted(kept))
        options = Options(parallel or default_parallel(), tuple(targets), target_dependents, ignore_protect,
                          continue_on_error, excludes)
        if not skip_preview:
            self._destroy(program if run_program else None, options, dry_run=True)
        return self._destroy(program if run_program else None, options, dry_run=False)

    def _destroy(self, program: Program | None, options: Options, *, dry_run: bool) -> dict[str, str]:
        self._configure(program.config if program is not None else self.provider_config)
        deployment = Deployment(self, preview=dry_run, options=options, mode=DESTROY)
        registered: set[str] = set()
        if program is not None:
            registered = {r.urn for r in deployment.run(program).registrations}
            if not dry_run:
                self.provider_config = dict(program.config)
        deployment.execute_deletes(deployment.generate_deletes(registered))
        return deployment.operations

    def refresh(self, program: Program | None = None, *, run_program: bool = False,
                clear_pending_creates: bool = False, parallel: int | None = None) -> dict[str, str]:
        """`pulumi refresh` (also the Automation API's Stack.refresh(): `refresh --skip-preview --yes`): without
        `--run-program` the provider is configured from state, with it with the current stack config
        (`program.config`; the program's registrations themselves change nothing a Read sees).
        `--clear-pending-creates` drops pending creates (cmd refresh.go); nothing else does."""
        if run_program and program is None:
            raise ValueError("`pulumi refresh --run-program` runs the program: give it")
        config = program.config if run_program and program is not None else self.provider_config
        if run_program and program is not None:
            self.provider_config = dict(program.config)
        return self._refresh(config, parallel or default_parallel(), clear_pending_creates=clear_pending_creates)

    def _refresh(self, config: dict[str, str], parallel: int, *, clear_pending_creates: bool) -> dict[str, str]:
        """deployment_executor.go refresh: one RefreshStep per custom resource, all in parallel
        (ExecuteParallel). step.go RefreshStep.Apply: Read(id, inputs = old inputs, state = old outputs); an
        empty id means the resource is gone (dropped from state); returned inputs replace the old ones; then
        Diff(olds = new outputs, news = old inputs, old_inputs = new inputs) for the display, inverted."""
        self._configure(config)
        refreshable = [(urn, state) for urn, state in self.state.items() if state.custom]
        with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(refreshable) or 1))) as pool:
            outcomes = list(pool.map(lambda item: self._read(*item), refreshable))
        operations: dict[str, str] = {}
        for (urn, state), (operation, read) in zip(refreshable, outcomes, strict=True):
            operations[urn] = operation
            if read is None:
                continue
            if not read.id:
                del self.state[urn]
                continue
            state.outputs = read.outputs
            if read.inputs is not None:
                state.inputs = read.inputs
        # pkg/backend/journal.go: pending CREATE operations stay until the user resolves them; others go.
        self.pending_operations = {urn: op for urn, op in self.pending_operations.items()
                                   if op == "creating" and not clear_pending_creates}
        return operations

    def _read(self, urn: str, state: ResourceState) -> tuple[str, ReadOutcome | None]:
        started = time.monotonic()
        if not state.dynamic:
            self.record(urn, "same", started)
            return "same", None
        read = self.host.read(urn, state.id, state.outputs, state.inputs)
        if not read.id:
            operation = "refresh-delete"
        else:
            diff = self.host.diff(urn, read.id, read.outputs, state.inputs, read.inputs or state.inputs)
            with self.lock:
                self.refresh_diffs[urn] = bool(diff.changes)
            changed = read.outputs != state.outputs or (read.inputs is not None and read.inputs != state.inputs)
            operation = "refresh-update" if changed else "same"
        self.record(urn, operation, started)
        return operation, read

    def unprotect(self, *urns: str) -> None:
        """`pulumi state unprotect URN...` (cmd state/state_unprotect.go): clears the flag in state only."""
        for urn in urns:
            self.state[urn].protect = False

    # ------------------------------------------------------------------ helpers

    def _warn_pending(self) -> None:
        """pkg/engine/lifecycletest TestUpdateShowsWarningWithPendingOperations: an up after an interrupted one
        warns and goes on; the interrupted resources are treated as the snapshot has them (a pending create: not
        there; a pending update: its old state)."""
        if self.pending_operations:
            self.warnings.append("Attempting to deploy or update resources with "
                                 f"{len(self.pending_operations)} pending operations from previous deployment.")
        # pkg/backend/journal.go: pending CREATE operations stay (until `refresh --clear-pending-creates`); others go.
        self.pending_operations = {urn: op for urn, op in self.pending_operations.items() if op == "creating"}
