"""A dynamic resource that only reports what the engine asks of it, for tests of the engine stand-in's rules.

Each provider call appends one JSON line to the journal file named in the resource's inputs: the call, the
resource, the stack setting `probe:setting` as the engine configured the provider, and when the call started
and ended. `seconds` makes creates, updates, deletes and reads take that long; `fail` makes the create fail.
The provider host (tests/provider_host.py) imports this module by reference, as it imports the project's own.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

SETTING = "probe:setting"


class ProbeProvider(ResourceProvider):
    setting: Any = None

    def configure(self, req: ConfigureRequest) -> None:
        self.setting = req.config.get(SETTING)

    def _log(self, call: str, props: dict[str, Any], started: float) -> None:
        line = json.dumps({"call": call, "name": props.get("name"), "setting": self.setting, "started": started,
                           "ended": time.time()})
        fd = os.open(str(props["journal"]), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)

    def _work(self, call: str, props: dict[str, Any]) -> None:
        started = time.time()
        time.sleep(float(props.get("seconds") or 0))
        self._log(call, props, started)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        self._log("check", news, time.time())
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        self._log("diff", news, time.time())
        replaces = ["generation"] if olds.get("generation") != news.get("generation") else []
        return DiffResult(changes=olds.get("value") != news.get("value") or bool(replaces), replaces=replaces,
                          delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._work("create", props)
        if props.get("fail"):
            raise RuntimeError(f"{props.get('name')}: create failed as the test asked")
        return CreateResult(f"{props.get('name')}-{int(props.get('generation') or 0)}", dict(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._work("update", news)
        return UpdateResult(dict(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        self._work("delete", props)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        self._work("read", props)
        return ReadResult(id_, props)


class Probe(Resource, module="test", name="Probe"):
    def __init__(self, name: str, journal: Path, *, value: str = "v1", generation: int = 1, seconds: float = 0.0,
                 fail: bool = False, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ProbeProvider(), name, {"name": name, "journal": str(journal), "value": value,
                                                 "generation": generation, "seconds": seconds, "fail": fail}, opts)


@dataclass(frozen=True)
class Call:
    call: str
    name: str
    setting: Any
    started: float
    ended: float


def calls(journal: Path, call: str | None = None) -> list[Call]:
    if not journal.exists():
        return []
    entries = [Call(**json.loads(line)) for line in journal.read_text().splitlines() if line.strip()]
    return [entry for entry in entries if call is None or entry.call == call]


def max_overlap(entries: list[Call]) -> int:
    """The most calls running at one moment."""
    events = sorted([(entry.started, 1) for entry in entries] + [(entry.ended, -1) for entry in entries],
                    key=lambda event: (event[0], event[1]))
    running = peak = 0
    for _, change in events:
        running += change
        peak = max(peak, running)
    return peak
