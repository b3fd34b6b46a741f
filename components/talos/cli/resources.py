"""``talosctl get``: resource types by any of their names, tables with talosctl's columns, ``-o yaml``."""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from typing import Any

from .. import yamlio
from ..api import calls
from ..api.client import TalosClient
from ..errors import ConfigError, terminal_safe
from .session import Session, add_global_flags
from .tables import print_table


@dataclass(frozen=True)
class ResourceType:
    """A resource definition as Talos registers it (pkg/machinery/resources/<ns>/*.go ResourceDefinition):
    the type, its default namespace, extra aliases and the spec columns (name, JSONPath key path)."""

    type: str
    namespace: str
    columns: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """COSI meta's DisplayType: the singular of the type's first part (KubeSpanPeerStatuses → …Status)."""
        plural = self.type.split(".", 1)[0]
        if plural.endswith("ses"):
            return plural[:-2]
        return plural[:-1] if plural.endswith("s") else plural

    def names(self) -> set[str]:
        """The aliases COSI generates (cosi-project/runtime pkg/resource/meta/spec/resource_definition.go):
        singular and plural lower-cased, the plural with leading parts of the suffix (members.cluster), the
        plural's upper-case letters when there are several (ksps; mc and mcs), plus the definition's own."""
        plural, suffix = self.type.split(".", 1)
        names = {self.type.lower(), plural.lower(), self.display.lower(), *self.aliases}
        parts = suffix.split(".")
        names.update(".".join([plural.lower(), *parts[:i]]) for i in range(1, len(parts)))
        upper = "".join(re.findall(r"[A-Z]", plural))
        if len(upper) > 1:
            names.add(upper.lower())
            if not upper.endswith("S"):
                names.add(upper.lower() + "s")
        return names


RESOURCE_TYPES = (
    ResourceType("KubeSpanPeerStatuses.kubespan.talos.dev", "kubespan",
                 (("LABEL", "label"), ("ENDPOINT", "endpoint"), ("STATE", "state"), ("RX", "receiveBytes"),
                  ("TX", "transmitBytes"))),
    ResourceType("Members.cluster.talos.dev", "cluster",
                 (("HOSTNAME", "hostname"), ("MACHINE TYPE", "machineType"), ("OS", "operatingSystem"),
                  ("ADDRESSES", "addresses"))),
    ResourceType("MachineStatuses.runtime.talos.dev", "runtime", (("STAGE", "stage"), ("READY", "status.ready"))),
    ResourceType("MachineConfigs.config.talos.dev", "config"),
    ResourceType("Disks.block.talos.dev", "runtime",
                 (("SIZE", "pretty_size"), ("READ ONLY", "readonly"), ("TRANSPORT", "transport"),
                  ("ROTATIONAL", "rotational"), ("WWID", "wwid"), ("MODEL", "model"), ("SERIAL", "serial"))),
    ResourceType("HostnameStatuses.net.talos.dev", "network", (("HOSTNAME", "hostname"), ("DOMAINNAME", "domainname")),
                 aliases=("hostname",)),
)


def resolve(name: str) -> ResourceType:
    wanted = name.lower()
    for definition in RESOURCE_TYPES:
        if wanted in definition.names():
            return definition
    known = ", ".join(sorted(d.display.lower() for d in RESOURCE_TYPES))
    raise ConfigError(f"get {name}: resource type not found; this CLI knows {known}")


def _column(spec: Any, path: str) -> str:
    """kubectl's JSONPath printing: missing → empty, lists and maps as JSON, booleans lower-case."""
    value = spec
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _get(args: argparse.Namespace) -> int:
    session = Session(args, insecure=args.insecure)
    definition = resolve(args.resource)
    namespace = args.namespace or definition.namespace

    async def fetch(client: TalosClient, node: str) -> list[calls.Resource]:
        if args.id:
            return [await calls.get_resource(client, namespace, definition.type, args.id, node=node)]
        return await calls.list_resources(client, namespace, definition.type, node=node)

    results = session.each(fetch)
    if args.output == "yaml":  # talosctl's YAML output keeps the full type; only tables show DisplayType
        for node, resources in results:
            for resource in resources:
                # YAML quotes control characters but keeps them raw; shown escaped they stay YAML (\x1b is a
                # double-quoted escape) and never reach the terminal as themselves
                print(terminal_safe(yamlio.dump({"node": node, "metadata": {
                    "namespace": resource.namespace, "type": resource.type, "id": resource.id,
                    "version": resource.version}, "spec": resource.spec}), None, lines=True) + "---")
        return 0
    header = ["NODE", "NAMESPACE", "TYPE", "ID", "VERSION", *(name for name, _ in definition.columns)]
    rows = [[node, r.namespace, definition.display, r.id, r.version,
             *(_column(r.spec, path) for _, path in definition.columns)]
            for node, resources in results for r in resources]
    print_table(header, rows)
    return 0


def register(commands: Any) -> None:
    get = commands.add_parser("get", help="read resources (talosctl get)")
    add_global_flags(get)
    get.add_argument("resource", help="a type or alias: members, ksps, mc, disks, hostname, machinestatus")
    get.add_argument("id", nargs="?")
    get.add_argument("--namespace", help="resource namespace (default: the type's own)")
    get.add_argument("-o", "--output", choices=("table", "yaml"), default="table")
    get.add_argument("-i", "--insecure", action="store_true")
    get.set_defaults(handler=_get)
