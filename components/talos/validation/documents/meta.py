"""Talos's checks of the shared config value types (siderolabs/talos pkg/machinery/config/types/meta,
v1.14.0-rc.1): ``meta.Args`` (extraArgs that take a string or a list of strings) and
``meta.CertificateAndKey`` with ``AssertValidPEM``, as the documents that hold them run them."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from ..registry import LEGACY_KIND, Context, Document, document_check
from .netcommon import Report, go_quote, go_quote_list, go_string, items, mapping

PEM_TYPE_CERTIFICATE = "CERTIFICATE"


# --- args.go -----------------------------------------------------------------------------------------------

def _arg_value_ok(value: Any) -> bool:
    """ArgValue.UnmarshalYAML: a string (any scalar or null decodes into one) or a list of strings."""
    if go_string(value) is not None:
        return True
    return isinstance(value, list) and all(go_string(item) is not None for item in value)


def _args_problems(report: Report, args: Any, path: str) -> None:
    for key, value in mapping(args).items():
        if not _arg_value_ok(value):
            report.fail("R233", f"{path}.{key}: arg value must be a string or list of strings")


# the kinds whose extraArgs is a meta.Args (k8s/kubelet.go, apiserver.go, controller_manager.go, proxy.go,
# scheduler.go)
_ARGS_KINDS = ("KubeletConfig", "KubeAPIServerConfig", "KubeControllerManagerConfig", "KubeProxyConfig",
               "KubeSchedulerConfig")


def _kind_args(document: Document, ctx: Context) -> None:
    _args_problems(Report(ctx, document), document.get("extraArgs"), "extraArgs")


for _kind in _ARGS_KINDS:
    document_check(_kind, "R233")(_kind_args)


@document_check(LEGACY_KIND, "R233")
def legacy_args(document: Document, ctx: Context) -> None:
    """v1alpha1_types.go: machine.kubelet, cluster.apiServer, controllerManager, proxy, scheduler and etcd take
    meta.Args from v1.14 (the rule's `since` keeps older configs to map[string]string, the decoder's check)."""
    report = Report(ctx, document)
    machine, cluster = mapping(document.get("machine")), mapping(document.get("cluster"))
    _args_problems(report, mapping(machine.get("kubelet")).get("extraArgs"), ".machine.kubelet.extraArgs")
    for section in ("apiServer", "controllerManager", "proxy", "scheduler", "etcd"):
        _args_problems(report, mapping(cluster.get(section)).get("extraArgs"), f".cluster.{section}.extraArgs")


# --- certificate_key.go ------------------------------------------------------------------------------------

def _line(data: bytes) -> tuple[bytes, bytes]:
    """encoding/pem getLine: the line without trailing spaces, tabs and CR, and the rest."""
    line, newline, rest = data.partition(b"\n")
    return line.rstrip(b" \t\r"), rest if newline else b""


def pem_decode(data: bytes) -> tuple[tuple[str, bytes] | None, bytes]:
    """encoding/pem Decode: the next block (type, bytes) and the rest; a block whose base64 does not decode
    or whose END line does not match is skipped, as Go skips it."""
    rest = data
    while True:
        if rest.startswith(b"-----BEGIN "):
            rest = rest[len(b"-----BEGIN "):]
        elif b"\n-----BEGIN " in rest:
            rest = rest.split(b"\n-----BEGIN ", 1)[1]
        else:
            return None, data
        type_line, rest = _line(rest)
        if not type_line.endswith(b"-----"):
            continue
        block_type = type_line[:-5]
        headers = 0
        while True:
            if not rest:
                return None, data
            line, following = _line(rest)
            if b":" not in line:
                break
            headers += 1
            rest = following
        if headers == 0 and rest.startswith(b"-----END "):
            end, trailer_at = 0, len(b"-----END ")
        else:
            end = rest.find(b"\n-----END ")
            trailer_at = end + len(b"\n-----END ")
        if end < 0:
            continue
        trailer = rest[trailer_at:]
        trailer_length = len(block_type) + 5
        if len(trailer) < trailer_length:
            continue
        rest_of_end_line, trailer = trailer[trailer_length:], trailer[:trailer_length]
        if not trailer.startswith(block_type) or not trailer.endswith(b"-----") or _line(rest_of_end_line)[0]:
            continue
        body = rest[:end].replace(b" ", b"").replace(b"\t", b"").replace(b"\r", b"").replace(b"\n", b"")
        try:
            decoded = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            continue
        return (block_type.decode("utf-8", "replace"), decoded), _line(rest[end + len(b"\n-----END ") - 1:])[1]


def pem_problem(data: str, *expected_types: str) -> str | None:
    """meta.AssertValidPEM: at least one PEM block, each of an expected type when types are given."""
    remaining, blocks = data.encode("utf-8"), 0
    while True:
        block, remaining = pem_decode(remaining)
        if block is None:
            break
        if expected_types and block[0] not in expected_types:
            expected = go_quote_list(list(expected_types))
            return f"unexpected PEM block type {go_quote(block[0])}, expected one of {expected}"
        blocks += 1
    return None if blocks else "no PEM blocks found"


def _first_block(data: str) -> tuple[str, bytes] | None:
    return pem_decode(data.encode("utf-8"))[0]


def _certificate_problem(cert: str) -> str | None:
    """siderolabs/crypto x509 PEMEncodedCertificateAndKey.GetCert."""
    from cryptography import x509

    block = _first_block(cert)
    if block is None:
        return "failed to parse PEM block"
    try:
        x509.load_der_x509_certificate(block[1])
    except ValueError as error:
        return f"failed to parse certificate: {error}"
    return None


def _key_problem(key: str) -> str | None:
    """PEMEncodedCertificateAndKey.GetKey: an RSA (PKCS#1), Ed25519 (PKCS#8), EC (SEC 1) or PKCS#8 key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    block = _first_block(key)
    if block is None:
        return "failed to parse PEM block"
    kinds: dict[str, tuple[str, tuple[type, ...]]] = {
        "RSA PRIVATE KEY": ("failed to parse RSA key", (rsa.RSAPrivateKey,)),
        "ED25519 PRIVATE KEY": ("failed to parse Ed25519 key", (ed25519.Ed25519PrivateKey,)),
        "EC PRIVATE KEY": ("failed to parse ECDSA key", (ec.EllipticCurvePrivateKey,)),
        "PRIVATE KEY": ("failed to parse key", (object,)),
    }
    if block[0] not in kinds:
        return f"unsupported key type: {go_quote(block[0])}"
    failure, types = kinds[block[0]]
    try:
        parsed = serialization.load_der_private_key(block[1], password=None)
    except (ValueError, TypeError) as error:
        return f"{failure}: {error}"
    return None if isinstance(parsed, types) else f"{failure}: wrong key type"


def certificate_and_key_problem(pair: dict[str, Any], *, try_loading: bool) -> tuple[str, str] | None:
    """meta.CertificateAndKey.Validate: (rule, message) of its first problem."""
    cert, key = go_string(pair.get("cert")) or "", go_string(pair.get("key")) or ""
    if not cert:
        return "R234", "certificate is required"
    if not key:
        return "R235", "key is required"
    problem = pem_problem(cert, PEM_TYPE_CERTIFICATE)
    if problem:
        return "R236", f"certificate: {problem}"
    problem = pem_problem(key)
    if problem:
        return "R237", f"key: {problem}"
    if try_loading:
        problem = _certificate_problem(cert)
        if problem:
            return "R238", f"certificate is invalid: {problem}"
        problem = _key_problem(key)
        if problem:
            return "R239", f"key is invalid: {problem}"
    return None


def _ca_problems(document: Document, ctx: Context) -> None:
    """k8s/apiserver_ca.go and aggregator_ca.go Validate: the issuing CA is loaded (tryLoading) and each
    accepted CA is PEM certificates. (A missing aggregator issuing CA is the k8s group's rule.)"""
    report = Report(ctx, document)
    if ctx.placeholder_secrets:  # a shape-only render: the CAs are present with empty PEM, nothing to load
        return
    issuing = document.get("issuingCA")
    if isinstance(issuing, dict):
        problem = certificate_and_key_problem(issuing, try_loading=True)
        if problem:
            report.fail(problem[0], f"issuing CA: {problem[1]}")
    for index, ca in enumerate(items(document.get("acceptedCAs"))):
        text = go_string(ca)
        message = pem_problem(text, PEM_TYPE_CERTIFICATE) if text is not None else None
        if message:
            report.fail("R240" if message.startswith("unexpected") else "R241", f"accepted CA #{index}: {message}")


for _kind in ("KubeAPIServerCAConfig", "KubeAggregatorCAConfig"):
    document_check(_kind, "R234", "R235", "R236", "R237", "R238", "R239", "R240", "R241")(_ca_problems)
