"""Talos's checks of the link documents (siderolabs/talos pkg/machinery/config/types/network, v1.14.0-rc.1):
LinkConfig, BondConfig, BridgeConfig, DummyLinkConfig, VLANConfig, VRFConfig, VethConfig, WireguardConfig,
EthernetConfig and LinkAliasConfig, plus CommonLinkConfig.Validate (link.go) that most of them embed."""

from __future__ import annotations

import base64
import binascii
import unicodedata

from ...goduration import parse_duration
from ..registry import Context, Document, document_check, not_applicable
from .netcommon import (
    Report,
    go_int,
    go_quote,
    go_string,
    indexed_mappings,
    mapping,
    optional,
    parse_addr,
    prefix_of,
)

# link.go CommonLinkConfig.Validate: an address is a netip.Prefix, which go-yaml decodes with ParsePrefix, so
# it is either the zero value ("address %d must be specified") or a valid prefix; an invalid one is a decode
# error before Validate runs.
not_applicable("unreachable: netip.Prefix decodes to the zero prefix (R296) or a valid one; text that does not "
               "parse fails in the decoder before Validate runs", "R297")


def common_link_problems(report: Report, link: Document) -> None:
    """link.go CommonLinkConfig.Validate: addresses and routes of any link kind."""
    for index, address in indexed_mappings(link.get("addresses")):
        text = go_string(address.get("address"))
        if text == "":
            report.fail("R296", f"address {index} must be specified")
            continue
        prefix = optional(prefix_of, text)
        if prefix is not None and prefix.address.is_unspecified:
            report.fail("R298", f"address {index} must be a valid IP address")
    for index, route in indexed_mappings(link.get("routes")):
        destination = optional(prefix_of, route.get("destination"))
        if destination is not None and destination.address.is_unspecified:
            report.fail("R299", f"route {index} destination must be a valid IP prefix")
        gateway = optional(parse_addr, route.get("gateway"))
        if gateway is not None and gateway.is_unspecified:
            report.fail("R300", f"route {index} gateway must be a valid IP address")
        source = optional(parse_addr, route.get("source"))
        if source is not None and source.is_unspecified:
            report.fail("R301", f"route {index} source must be a valid IP address")


def _name_given(report: Report, document: Document, rule: str, message: str = "name must be specified") -> None:
    if go_string(document.get("name")) == "":
        report.fail(rule, message)


@document_check("LinkConfig", "R295", "R296", "R298", "R299", "R300", "R301")
def link_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    _name_given(report, document, "R295")
    common_link_problems(report, document)


@document_check("DummyLinkConfig", "R271")
def dummy_link_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    _name_given(report, document, "R271")
    common_link_problems(report, document)


@document_check("BridgeConfig", "R264")
def bridge_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    _name_given(report, document, "R264")
    common_link_problems(report, document)


@document_check("BondConfig", "R261", "R262", "R263")
def bond_config(document: Document, ctx: Context) -> None:
    """bond.go BondConfigV1Alpha1.Validate (its 802.3ad warnings are not in Talos's list of rejections)."""
    report = Report(ctx, document)
    _name_given(report, document, "R261")
    if not document.get("links"):
        report.fail("R262", "at least one link must be specified")
    if document.get("bondMode") is None:
        report.fail("R263", "bond mode must be specified")
    common_link_problems(report, document)


@document_check("VLANConfig", "R352", "R353", "R354")
def vlan_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    _name_given(report, document, "R352")
    vlan_id = go_int(document.get("vlanID"))
    if vlan_id is not None and not 0 < vlan_id <= 4094:
        report.fail("R353", "vlanID must be specified and between 1 and 4094")
    if go_string(document.get("parent")) == "":
        report.fail("R354", "parent must be specified")
    common_link_problems(report, document)


not_applicable("unreachable: vlanMode decodes through nethelpers.VLANProtocol's UnmarshalText, which accepts only "
               "802.1q and 802.1ad; anything else fails in the decoder before Validate runs", "R355")

# nethelpers/routingtable.go: TableUnspec, TableDefault, TableMain, TableLocal by the names RoutingTableString
# decodes (case-insensitive); the other names are the numbers 1 to 252.
_RESERVED_TABLES = frozenset({"unspec", "default", "main", "local"})


@document_check("VRFConfig", "R356", "R357")
def vrf_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    _name_given(report, document, "R356")
    table = go_string(document.get("table"))
    if table is not None:
        name = table.lower() if table else "unspec"  # a missing table is TableUnspec
        if name in _RESERVED_TABLES:
            report.fail("R357", f"cannot create vrf with reserved table {name}")
    common_link_problems(report, document)


@document_check("EthernetConfig", "R272")
def ethernet_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    _name_given(report, document, "R272", "name is required")


# --- veth.go -----------------------------------------------------------------------------------------------

def _veth_name_problem(field: str, name: str) -> tuple[str, str] | None:
    """veth.go validateVethLinkName: an interface name the kernel takes (dev_valid_name)."""
    if name == "":
        return "R347", f"{field} must be specified"
    if len(name.encode("utf-8")) > 15:
        return "R348", f"{field} must not exceed 15 bytes"
    if name in (".", ".."):
        return "R349", f"{field} must not be {go_quote(name)}"
    if "/" in name or ":" in name:
        return "R350", f"{field} must not contain '/' or ':'"
    if any(not _go_is_print(char) or _go_is_space(char) for char in name):
        return "R351", f"{field} must not contain whitespace or non-printable characters"
    return None


def _go_is_print(char: str) -> bool:
    # unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space
    return char == " " or unicodedata.category(char)[0] in "LMNPS"


def _go_is_space(char: str) -> bool:
    # unicode.IsSpace: '\t', '\n', '\v', '\f', '\r', ' ', U+0085, U+00A0 and the Unicode White_Space set
    return char.isspace() or char in "\u0085\u00a0"


@document_check("VethConfig", "R346", "R347", "R348", "R349", "R350", "R351")
def veth_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    peer = mapping(document.get("peer"))
    name, peer_name = go_string(document.get("name")), go_string(peer.get("name"))
    for field, value in (("name", name), ("peer name", peer_name)):
        problem = _veth_name_problem(field, value) if value is not None else None
        if problem:
            report.fail(*problem)
    if name and name == peer_name:
        report.fail("R346", "name and peer name must be different")
    common_link_problems(report, document)
    common_link_problems(report, peer)


# --- wireguard.go ------------------------------------------------------------------------------------------

def _wireguard_key_problem(key: str) -> str | None:
    """wireguard.go validateWireguardKey: standard base64 of 32 bytes."""
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return f"illegal base64 data at input byte {_bad_base64_offset(key)}"
    return None if len(raw) == 32 else "invalid wireguard key length"


def _bad_base64_offset(text: str) -> int:
    """encoding/base64 CorruptInputError: the offset of the first byte that cannot be there."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    data = text.encode("utf-8", "replace")
    for index, byte in enumerate(data):
        if chr(byte) not in alphabet and chr(byte) not in "\r\n":
            if chr(byte) == "=" and index % 4 >= 2:
                continue
            return index
    return len(data) - len(data) % 4 if len(data) % 4 else len(data)


@document_check("WireguardConfig", "R358", "R359", "R360", "R361", "R362", "R363", "R364", "R365", "R366")
def wireguard_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    _name_given(report, document, "R359")
    private_key = go_string(document.get("privateKey"))
    if private_key == "":
        report.fail("R360", "wireguard private key must be specified")
    elif private_key is not None and not ctx.placeholder_secrets:
        problem = _wireguard_key_problem(private_key)
        if problem:
            report.fail("R358" if problem == "invalid wireguard key length" else "R361",
                        f"wireguard private key is invalid: {problem}")
    port = go_int(document.get("listenPort"))
    if port is not None and not 0 <= port <= 65535:
        report.fail("R362", "wireguard listen port must be between 0 and 65535")
    for index, peer in indexed_mappings(document.get("peers")):
        public_key = go_string(peer.get("publicKey"))
        if public_key == "":
            report.fail("R363", f"wireguard peer public key must be specified (peer index {index})")
        elif public_key is not None:
            problem = _wireguard_key_problem(public_key)
            if problem:
                report.fail("R364", f"wireguard peer public key is invalid (peer index {index}): {problem}")
        preshared = go_string(peer.get("presharedKey"))
        if preshared and not ctx.placeholder_secrets:
            problem = _wireguard_key_problem(preshared)
            if problem:
                report.fail("R365", f"wireguard peer preshared key is invalid (peer index {index}): {problem}")
        keepalive = go_string(peer.get("persistentKeepaliveInterval"))
        interval = parse_duration(keepalive) if keepalive else None
        if interval is not None and interval < 0:
            report.fail("R366", f"wireguard peer persistent keepalive interval cannot be negative (peer index {index})")
    common_link_problems(report, document)


# --- link_alias.go -----------------------------------------------------------------------------------------

@document_check("LinkAliasConfig", "R302", "R303", "R304", "R305")
def link_alias_config(document: Document, ctx: Context) -> None:
    report = Report(ctx, document)
    name = go_string(document.get("name"))
    if name == "":
        report.fail("R302", "name must be specified")
    elif name is not None and "%" in name:  # IsPatternAlias
        prefix, _, suffix = name.partition("%")
        if suffix != "d" or prefix == "":
            report.fail("R303", f"name {go_quote(name)} contains an invalid format verb, use %d suffix")
    match = go_string(mapping(document.get("selector")).get("match"))
    if match == "":
        report.fail("R305", "link selector is required")
    elif match is not None:
        from .. import cel

        problem = cel.boolean_expression_problem(match, cel.LINK_LOCATOR)
        if problem:
            report.fail("R304", f"link selector is invalid: {problem}")
