"""What the per-document checks of block, storage, container, cri, k8s and runtime share.

A check sees the document as YAML decoded it; Talos sees Go structs that go-yaml decoded it into. These helpers
read a field as the Go decoder would (strings from any scalar, enums by name in any case, durations, sizes, URLs,
CIDR prefixes) and report a value the decoder refuses under R011 (decoder.go: "error decoding <kind> to <type>:
..."), so a check never passes a value Talos could not even decode. Messages name the document as Talos's
container does (container/validate.go docID: "Kind" or "Kind/name").
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ..golang import (
    byte_length,
    clip,
    format_float,
    go_quote,
    go_text,
    parse_bytes,
    parse_duration,
    parse_float,
    parse_url,
)
from ..registry import Context

Document = dict[str, Any]
DECODE_RULE = "R011"  # configloader/internal/decoder/decoder.go: error decoding %s to %T: %w

# the kinds whose Go type has Name() (config.NamedDocument): Talos names them "Kind/name"
NAMED_KINDS = frozenset({
    "VolumeConfig", "UserVolumeConfig", "RawVolumeConfig", "SwapVolumeConfig", "ExistingVolumeConfig",
    "ExternalVolumeConfig", "LVMLogicalVolumeConfig", "LVMVolumeGroupConfig", "RAIDArrayConfig", "ContainerConfig",
    "CRICustomizationConfig", "RegistryAuthConfig", "RegistryMirrorConfig", "RegistryTLSConfig",
    "KubeAdmissionControlConfig", "KubeAuthorizerConfig", "KubeExternalManifestConfig", "KubeInlineManifestConfig",
    "KubeStaticPodConfig", "EtcFileConfig", "ExtensionServiceConfig", "KernelModuleConfig", "KmsgLogConfig"})


def text(value: Any) -> str:
    """A Go string field: go-yaml decodes any scalar into it as written."""
    return go_text(value) if not isinstance(value, (dict, list)) else ""


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def listing(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def present(document: dict[str, Any], key: str) -> bool:
    """A pointer field is set: the key is there with a value (null decodes to nil)."""
    return document.get(key) is not None


@dataclass
class Report:
    """Where one document's checks report, with Talos's name for the document."""

    ctx: Context
    document: Document
    go_type: str  # the Go type the decoder fills, e.g. *block.VolumeConfigV1Alpha1

    @property
    def minor(self) -> int:
        return self.ctx.minor

    @property
    def doc_id(self) -> str:
        kind = text(self.document.get("kind"))
        return f"{kind}/{clip(text(self.document.get('name')))}" if kind in NAMED_KINDS else kind

    def fail(self, rule: str, message: str) -> None:
        self.ctx.fail(rule, f"{self.doc_id}: {message}")

    def undecodable(self, problem: str) -> None:
        kind = text(self.document.get("kind"))
        self.ctx.fail(DECODE_RULE, f"{self.doc_id}: error decoding {kind} to {self.go_type}: {problem}")

    # --- fields read as the Go decoder reads them --------------------------------------------------------
    def enum(self, value: Any, enum: str, names: tuple[str, ...], default: str) -> str | None:
        """An enumer type (-text): a name in any case; None after reporting one the decoder refuses."""
        if value is None or value == "":
            return default
        name = text(value)
        if name.lower() in names:
            return name.lower()
        self.undecodable(f"{clip(name)} does not belong to {enum} values")
        return None

    def duration(self, value: Any) -> int | None:
        """A time.Duration in nanoseconds (0 when absent); None after reporting one the decoder refuses."""
        if value is None:
            return 0
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except ValueError:
                pass
        kind = "!!str" if isinstance(value, str) else "!!int" if isinstance(value, int) else "!!float"
        self.undecodable(f"cannot unmarshal {kind} `{text(value)[:60]}` into time.Duration")
        return None

    def url(self, value: Any) -> Any:
        """A meta.URL: None when empty, the parsed URL, or False after reporting one url.Parse refuses."""
        raw = text(value)
        if not raw:
            return None
        try:
            return parse_url(raw)
        except ValueError as error:
            self.undecodable(str(error))
            return False

    def size(self, value: Any, *, percentage_allowed: bool) -> Size | None:
        """block.ByteSize, or block.Size (a byte size or a percentage); None after reporting a refused one."""
        raw = text(value)
        if not raw:
            return Size()
        try:
            if percentage_allowed and "%" in raw:
                return self._percentage(raw)
            negative = raw.startswith("-") and self.minor >= 13  # ByteSize reads the sign from v1.13
            return Size(True, parse_bytes(raw[1:] if negative else raw), False, negative)
        except _PercentageError as error:
            self.fail(error.rule, str(error))
        except ValueError as error:
            self.undecodable(str(error))
        return None

    def _percentage(self, raw: str) -> Size:
        # block/percentage_size.go PercentageSize.UnmarshalText
        if not raw.endswith("%"):
            raise _PercentageError("R047", "percentage must end with '%'")
        negative = raw.startswith("-") and self.minor >= 13
        number = raw[1:-1] if negative else raw[:-1]
        try:
            value = parse_float(number)
        except ValueError as error:
            raise _PercentageError("R048", f"invalid percentage value: {error}") from None
        if value < 0 or value > 100:
            raise _PercentageError("R049", f"percentage must be between 0 and 100, got {format_float(value)}")
        return Size(True, 0, True, negative)

    def prefix(self, value: Any) -> tuple[Any, str] | None:
        """A meta.Prefix (netip.ParsePrefix): (the address/bits as an ip_interface, its text), (None, "invalid
        Prefix") for an empty one (Go's zero Prefix), or None after reporting one the decoder refuses."""
        raw = text(value)
        if not raw:
            return None, "invalid Prefix"
        problem, parsed = parse_prefix(raw)
        if problem:
            self.undecodable(problem)
            return None
        return parsed, raw

    def cel(self, value: Any, environment: str, *, output: str = "bool") -> str | None:
        """cel.Expression.ParseBool (ParseDouble for output "double") in the celenv `environment`: cel-go's
        complaint, or None (also for an empty expression)."""
        expression = text(value)
        if not expression:
            return None
        from .. import celcheck  # the parser and checker load only for a config that has an expression

        env = celcheck.environment(environment, self.minor)
        return celcheck.check_double(expression, env) if output == "double" else celcheck.check_bool(expression, env)


@dataclass(frozen=True)
class Size:
    """block.ByteSize / block.Size as read: present, the byte value, relative (a percentage), negative."""

    present: bool = False
    value: int = 0
    relative: bool = False
    negative: bool = False


class _PercentageError(ValueError):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule


def parse_prefix(raw: str) -> tuple[str | None, Any]:
    """netip.ParsePrefix: (Go's error, None) or (None, the network with host bits as written)."""
    slash = raw.rfind("/")
    if slash < 0:
        return f"netip.ParsePrefix({go_quote(raw)}): no '/'", None
    address_text, bits_text = raw[:slash], raw[slash + 1:]
    if "%" in address_text:
        return f"netip.ParsePrefix({go_quote(raw)}): IPv6 zones cannot be present in a prefix", None
    try:
        address = ipaddress.ip_address(address_text)
    except ValueError:
        return f"netip.ParsePrefix({go_quote(raw)}): ParseAddr({go_quote(address_text)}): unable to parse IP", None
    leading_zero = len(bits_text) > 1 and bits_text[0] == "0"
    if leading_zero or not bits_text.isascii() or not bits_text.isdigit():
        return f"netip.ParsePrefix({go_quote(raw)}): bad bits after slash: {go_quote(bits_text)}", None
    bits = int(bits_text)
    if bits > address.max_prefixlen:
        return f"netip.ParsePrefix({go_quote(raw)}): prefix length out of range", None
    return None, ipaddress.ip_interface(f"{address}/{bits}")


def name_problems(report: Report, rules: tuple[str, str, str], *, longest: int | None, extra: str = "-",
                  charset_message: str = "name can only contain lowercase and uppercase ASCII letters, digits, and "
                                         "hyphens") -> None:
    """The name checks the volume kinds share: required, a length in bytes, ASCII letters, digits and `extra`."""
    name = text(report.document.get("name"))
    required, length, charset = rules
    if name == "":
        report.fail(required, "name is required")
    if longest is not None and not 1 <= byte_length(name) <= longest:
        report.fail(length, f"name must be between 1 and {longest} characters long")
    if any(not ((char.isascii() and char.isalnum()) or char in extra) for char in name):
        report.fail(charset, charset_message)
