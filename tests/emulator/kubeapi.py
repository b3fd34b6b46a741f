"""kube-apiserver of an emulated control plane: HTTPS on the node's own address at 6443, a certificate from
the cluster's Kubernetes CA, client certificates verified against it, and the REST paths, replies and
error Status objects of the real server for the calls the project makes."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import re
import ssl
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from components.talos import pki
from components.talos.api.tls import load_identity

from .kubernetes import KubernetesState, legacy_document, now_rfc3339, typed_document
from .node import peer_organizations

if TYPE_CHECKING:
    from .node import EmulatedNode

_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 409: "Conflict", 415: "Unsupported Media Type", 422: "Unprocessable Entity",
            429: "Too Many Requests"}
_STATUS_REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
                   409: "Conflict", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests"}

CHUNKING_THRESHOLD = 2048  # golang net/http server.go bufferBeforeChunkingSize

# Discovery (APIResourceList): the built-in kinds the bootstrap manifests and the operations use.
RESOURCES: dict[str, list[tuple[str, str, bool]]] = {
    "v1": [("nodes", "Node", False), ("pods", "Pod", True), ("pods/eviction", "Eviction", True),
           ("namespaces", "Namespace", False), ("services", "Service", True),
           ("serviceaccounts", "ServiceAccount", True), ("configmaps", "ConfigMap", True),
           ("secrets", "Secret", True)],
    "apps/v1": [("daemonsets", "DaemonSet", True), ("deployments", "Deployment", True)],
    "rbac.authorization.k8s.io/v1": [("clusterroles", "ClusterRole", False),
                                     ("clusterrolebindings", "ClusterRoleBinding", False),
                                     ("roles", "Role", True), ("rolebindings", "RoleBinding", True)],
    "policy/v1": [("poddisruptionbudgets", "PodDisruptionBudget", True)],
}


class HTTPError(Exception):
    def __init__(self, code: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def status(code: int, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """metav1.Status as the API server sends it with an error."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": _STATUS_REASONS.get(code, ""), "code": code}
    if details:
        body["details"] = details
    return body


def not_found(resource: str, name: str, group: str = "") -> HTTPError:
    qualified = f"{resource}.{group}" if group else resource
    return HTTPError(404, f'{qualified} "{name}" not found', {"name": name, "group": group, "kind": resource})


def merge(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7386); for the maps patched here the strategic merge patch is the same."""
    result = dict(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def _kubernetes_ca(node: EmulatedNode) -> tuple[bytes, bytes] | None:
    """The Kubernetes CA (PEM certificate, key): KubeAPIServerCAConfig.issuingCA from v1.14 (PEM text), else
    cluster.ca (base64 PEM); None on a worker."""
    import base64

    typed = typed_document(node, "KubeAPIServerCAConfig")
    if typed is not None:
        issuing = typed.get("issuingCA") or {}
        return (str(issuing["cert"]).encode(), str(issuing["key"]).encode()) if issuing.get("key") else None
    ca = (legacy_document(node).get("cluster") or {}).get("ca") or {}
    return (base64.b64decode(ca["crt"]), base64.b64decode(ca["key"])) if ca.get("key") else None


def _server_context(node: EmulatedNode) -> ssl.SSLContext | None:
    pair = _kubernetes_ca(node)
    if pair is None:
        return None
    crt, key = pair
    issuer = pki.CertificateAndKey(pki.decode_certificate(crt, "cluster.ca.crt"), pki.decode_key(key, "cluster.ca.key"))
    leaf = pki.issue_certificate(issuer, organizations=[], common_name="kube-apiserver",
                                 lifetime=datetime.timedelta(hours=24), server=True, client=False,
                                 dns_names=["kubernetes", "kubernetes.default", node.hostname],
                                 ip_addresses=[node.address, "127.0.0.1"])
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    load_identity(context, leaf.crt_pem, leaf.key_pem)
    context.verify_mode = ssl.CERT_OPTIONAL  # anonymous requests reach the server and get 401 or 403
    context.load_verify_locations(cadata=crt.decode())
    return context


async def start_api_server(state: KubernetesState, node: EmulatedNode) -> None:
    context = _server_context(node)
    if context is None:
        return
    api = KubeAPI(state, node)
    state.servers[node.address] = await asyncio.start_server(api.connection, node.address, state.port, ssl=context)


class KubeAPI:
    def __init__(self, state: KubernetesState, node: EmulatedNode) -> None:
        self.state = state
        self.node = node

    async def connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        apiserver = self.state.static_pods.get((self.node.address, "kube-apiserver"))
        if apiserver is None or asyncio.get_running_loop().time() < apiserver.ready_at:
            writer.close()  # kube-apiserver on this node is restarting: nothing answers on 6443
            return
        try:
            request_line = await reader.readline()
            headers: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            method, target, _ = request_line.decode("latin-1").split(" ", 2)
            cert = writer.get_extra_info("peercert")
            try:
                code, reply = self.handle(method, target, headers.get("content-type", ""), body, cert)
            except HTTPError as error:
                code, reply = error.code, status(error.code, error.message, error.details)
            data = json.dumps(reply).encode()
            head = f"HTTP/1.1 {code} {_REASONS.get(code, '')}\r\nContent-Type: application/json\r\n"
            if len(data) <= CHUNKING_THRESHOLD:
                writer.write(f"{head}Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data)
            else:  # Go's net/http chunks a reply that outgrew its buffer before the handler finished
                chunks = [data[i:i + CHUNKING_THRESHOLD] for i in range(0, len(data), CHUNKING_THRESHOLD)]
                writer.write(f"{head}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode()
                             + b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n")
            await writer.drain()
        except (ValueError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def handle(self, method: str, target: str, content_type: str, body: bytes, cert: Any
               ) -> tuple[int, dict[str, Any]]:
        if not cert:
            raise HTTPError(401, "Unauthorized")
        if "system:masters" not in peer_organizations(cert):
            raise HTTPError(403, "forbidden: User cannot access the API (only system:masters is emulated)")
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        path = unquote(parts.path).rstrip("/")
        if path in ("/api/v1", *(f"/apis/{gv}" for gv in RESOURCES)):
            group_version = "v1" if path == "/api/v1" else path[len("/apis/"):]
            return 200, {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                         "resources": [{"name": n, "singularName": "", "namespaced": ns, "kind": k,
                                        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"]}
                                       for n, k, ns in RESOURCES[group_version]]}
        if method == "PATCH" and content_type.startswith("application/apply-patch"):
            return self.apply(path, query, body)
        if (match := re.fullmatch(r"/api/v1/nodes(?:/([^/]+))?", path)):
            return self.nodes(method, match.group(1), content_type, body)
        if (match := re.fullmatch(r"/api/v1(?:/namespaces/([^/]+))?/pods(?:/([^/]+)(/eviction)?)?", path)):
            return self.pods(method, match.group(1) or "", match.group(2), bool(match.group(3)), query)
        if method == "GET" and path in self.state.objects:
            return 200, self.state.objects[path]
        if method == "GET" and self._known_path(path):
            name = path.rsplit("/", 1)[-1]
            resource = path.rsplit("/", 2)[-2]
            group = path.split("/")[2] if path.startswith("/apis/") else ""
            raise not_found(resource, name, group)
        raise HTTPError(404, "the server could not find the requested resource")

    @staticmethod
    def _known_path(path: str) -> bool:
        for group_version, resources in RESOURCES.items():
            base = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
            for plural, _, namespaced in resources:
                pattern = rf"{re.escape(base)}/namespaces/[^/]+/{plural}/[^/]+" if namespaced \
                    else rf"{re.escape(base)}/{plural}/[^/]+"
                if re.fullmatch(pattern, path):
                    return True
        return False

    # ------------------------------------------------------------------ core/v1 nodes

    def nodes(self, method: str, name: str | None, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        state = self.state
        if name is None:
            if method != "GET":
                raise HTTPError(405, "the server does not allow this method on the requested resource")
            return 200, {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": state.next_version()},
                         "items": state.nodes()}
        registered = state.registered.get(name)
        if registered is None:
            raise not_found("nodes", name)
        if method == "GET":
            return 200, state.node_object(registered)
        if method == "DELETE":
            obj = state.node_object(registered)
            del state.registered[name]
            state.cluster.etcd_data().written()
            state.cluster.journal_event(name, "node-delete")
            return 200, obj
        if method == "PATCH":
            if content_type not in ("application/strategic-merge-patch+json", "application/merge-patch+json"):
                raise HTTPError(415, "the body of the request was in an unknown format - accepted media types "
                                     "include: application/json-patch+json, application/merge-patch+json, "
                                     "application/apply-patch+yaml, application/strategic-merge-patch+json")
            patch = json.loads(body or b"{}")
            spec = merge({"unschedulable": registered.unschedulable or None}, patch.get("spec") or {})
            if spec.get("unschedulable") and not registered.unschedulable:
                state.cluster.journal_event(name, "drain")  # cordoned: the start of a drain
            registered.unschedulable = bool(spec.get("unschedulable"))
            return 200, state.node_object(registered)
        raise HTTPError(405, "the server does not allow this method on the requested resource")

    # ------------------------------------------------------------------ core/v1 pods and evictions

    def pods(self, method: str, namespace: str, name: str | None, eviction: bool, query: dict[str, str]
             ) -> tuple[int, dict[str, Any]]:
        pods = [p for p in self.state.pods() if not namespace or p["metadata"]["namespace"] == namespace]
        if name is None:
            if method != "GET":
                raise HTTPError(405, "the server does not allow this method on the requested resource")
            for selector in filter(None, query.get("labelSelector", "").split(",")):
                key, _, value = selector.partition("=")
                pods = [p for p in pods if p["metadata"]["labels"].get(key.strip()) == value.strip()]
            for selector in filter(None, query.get("fieldSelector", "").split(",")):
                key, _, value = selector.partition("=")
                if key.strip() != "spec.nodeName":
                    raise HTTPError(400, f'field label not supported: {key.strip()}')
                pods = [p for p in pods if p["spec"]["nodeName"] == value.strip()]
            return 200, {"kind": "PodList", "apiVersion": "v1", "metadata": {}, "items": pods}
        pod = next((p for p in pods if p["metadata"]["name"] == name), None)
        if pod is None:
            raise not_found("pods", name)
        if method == "GET" and not eviction:
            return 200, pod
        if method == "POST" and eviction:
            return self.evict(namespace, name)
        raise HTTPError(405, "the server does not allow this method on the requested resource")

    def evict(self, namespace: str, name: str) -> tuple[int, dict[str, Any]]:
        """kubernetes/kubernetes pkg/registry/core/pod/storage/eviction.go: 429 while a budget forbids it,
        else the pod is deleted gracefully and the reply is a Success Status (201)."""
        workload = next((w for w in self.state.workloads if (w.namespace, w.name) == (namespace, name)), None)
        if workload is not None:
            if workload.blocked_evictions > 0:
                workload.blocked_evictions -= 1
                raise HTTPError(429, "Cannot evict pod as it would violate the pod's disruption budget.",
                                {"causes": [{"reason": "DisruptionBudget", "message": "The disruption budget "
                                             "needs 1 healthy pods and has 1 currently"}]})
            if workload.deleting_at is None:
                workload.deleting_at = asyncio.get_running_loop().time() + self.state.terminate_seconds
                self.state.evictions.append((namespace, name))
        return 201, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    # ------------------------------------------------------------------ server-side apply

    def apply(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        if not self._known_path(path):
            raise HTTPError(404, "the server could not find the requested resource")
        manager = query.get("fieldManager", "")
        if not manager:  # apiserver's PatchOptions validation
            raise HTTPError(422, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required '
                                 'for apply patch')
        import yaml

        obj = yaml.safe_load(body) or {}
        if not isinstance(obj, dict) or obj.get("metadata", {}).get("name") != path.rsplit("/", 1)[-1]:
            raise HTTPError(400, "the name of the object does not match the name on the URL")
        if query.get("dryRun") == "All":
            return 200, obj
        existing = self.state.objects.get(path)
        stamp = now_rfc3339()
        merged = merge(existing or {}, obj)
        metadata = merged.setdefault("metadata", {})
        metadata["resourceVersion"] = self.state.next_version()
        metadata.setdefault("creationTimestamp", stamp)
        metadata["managedFields"] = [{"manager": manager, "operation": "Apply", "apiVersion": obj.get("apiVersion"),
                                      "time": stamp, "fieldsType": "FieldsV1"}]
        self.state.objects[path] = merged
        self.state.cluster.etcd_data().written()
        return (200 if existing else 201), merged
