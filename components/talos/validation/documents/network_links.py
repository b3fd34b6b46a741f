"""Talos's checks of the link documents (siderolabs/talos pkg/machinery/config/types/network, v1.14.0-rc.1):
LinkConfig, BondConfig, BridgeConfig, DummyLinkConfig, VLANConfig, VRFConfig, VethConfig, WireguardConfig,
EthernetConfig and LinkAliasConfig, plus CommonLinkConfig.Validate (link.go) that most of them embed."""

from __future__ import annotations

from ...golang.encoding import base64_decoded_length
from ...golang.strconv import byte_length, is_print, is_space, quote
from ..cel import compile_selector
from ..registry import Context, Document, document_check, not_applicable
from ..values import address, duration, indexed, mapping, number, prefix, text

# link.go CommonLinkConfig.Validate: an address is a netip.Prefix, which go-yaml decodes with ParsePrefix, so
# it is either the zero value ("address %d must be specified") or a valid prefix; an invalid one is a decode
# error before Validate runs.
not_applicable("unreachable: netip.Prefix decodes to the zero prefix (R296) or a valid one; text that does not "
               "parse fails in the decoder before Validate runs", "R297")


def common_link_problems(ctx: Context, link: Document) -> None:
    """link.go CommonLinkConfig.Validate: addresses and routes of any link kind."""
    for index, entry in indexed(link.get("addresses")):
        value = prefix(entry.get("address"))
        if value is None:
            ctx.fail("R296", f"address {index} must be specified")
        elif value.address.is_unspecified:
            ctx.fail("R298", f"address {index} must be a valid IP address")
    for index, route in indexed(link.get("routes")):
        destination = prefix(route.get("destination"))
        if destination is not None and destination.address.is_unspecified:
            ctx.fail("R299", f"route {index} destination must be a valid IP prefix")
        gateway = address(route.get("gateway"))
        if gateway is not None and gateway.is_unspecified:
            ctx.fail("R300", f"route {index} gateway must be a valid IP address")
        source = address(route.get("source"))
        if source is not None and source.is_unspecified:
            ctx.fail("R301", f"route {index} source must be a valid IP address")


def _name_given(ctx: Context, document: Document, rule: str, message: str = "name must be specified") -> None:
    if text(document.get("name")) == "":
        ctx.fail(rule, message)


@document_check("LinkConfig", "R295", "R296", "R298", "R299", "R300", "R301")
def link_config(document: Document, ctx: Context) -> None:
    _name_given(ctx, document, "R295")
    common_link_problems(ctx, document)


@document_check("DummyLinkConfig", "R271")
def dummy_link_config(document: Document, ctx: Context) -> None:
    _name_given(ctx, document, "R271")
    common_link_problems(ctx, document)


@document_check("BridgeConfig", "R264")
def bridge_config(document: Document, ctx: Context) -> None:
    _name_given(ctx, document, "R264")
    common_link_problems(ctx, document)


@document_check("BondConfig", "R261", "R262", "R263")
def bond_config(document: Document, ctx: Context) -> None:
    """bond.go BondConfigV1Alpha1.Validate (its 802.3ad warnings are not in Talos's list of rejections)."""
    _name_given(ctx, document, "R261")
    if not document.get("links"):
        ctx.fail("R262", "at least one link must be specified")
    if document.get("bondMode") is None:
        ctx.fail("R263", "bond mode must be specified")
    common_link_problems(ctx, document)


@document_check("VLANConfig", "R352", "R353", "R354")
def vlan_config(document: Document, ctx: Context) -> None:
    _name_given(ctx, document, "R352")
    if not 0 < number(document.get("vlanID")) <= 4094:  # a uint16: the decoder refuses what does not fit
        ctx.fail("R353", "vlanID must be specified and between 1 and 4094")
    if text(document.get("parent")) == "":
        ctx.fail("R354", "parent must be specified")
    common_link_problems(ctx, document)


not_applicable("unreachable: vlanMode decodes through nethelpers.VLANProtocol's UnmarshalText, which accepts only "
               "802.1q and 802.1ad; anything else fails in the decoder (R011) before Validate runs", "R355")

# nethelpers/routingtable.go: TableUnspec, TableDefault, TableMain, TableLocal by the names RoutingTableString
# decodes (case-insensitive); the other names are the numbers 1 to 252.
_RESERVED_TABLES = frozenset({"unspec", "default", "main", "local"})


@document_check("VRFConfig", "R356", "R357")
def vrf_config(document: Document, ctx: Context) -> None:
    _name_given(ctx, document, "R356")
    table = text(document.get("table")).lower() or "unspec"  # a missing table is TableUnspec
    if table in _RESERVED_TABLES:
        ctx.fail("R357", f"cannot create vrf with reserved table {table}")
    common_link_problems(ctx, document)


@document_check("EthernetConfig", "R272")
def ethernet_config(document: Document, ctx: Context) -> None:
    _name_given(ctx, document, "R272", "name is required")


# --- veth.go -----------------------------------------------------------------------------------------------

not_applicable("unreachable: container.New claims each link by name, the veth's peer end included "
               "(AdditionalLinkConfigs), and refuses a peer named as its veth (R016, conflicting link configurations) "
               "before Validate runs", "R346")


def _veth_name_problem(field: str, name: str) -> tuple[str, str] | None:
    """veth.go validateVethLinkName: an interface name the kernel takes (dev_valid_name)."""
    if name == "":
        return "R347", f"{field} must be specified"
    if byte_length(name) > 15:
        return "R348", f"{field} must not exceed 15 bytes"
    if name in (".", ".."):
        return "R349", f"{field} must not be {quote(name)}"
    if "/" in name or ":" in name:
        return "R350", f"{field} must not contain '/' or ':'"
    if any(not is_print(char) or is_space(char) for char in name):
        return "R351", f"{field} must not contain whitespace or non-printable characters"
    return None


@document_check("VethConfig", "R347", "R348", "R349", "R350", "R351")
def veth_config(document: Document, ctx: Context) -> None:
    peer = mapping(document.get("peer"))
    for field, value in (("name", text(document.get("name"))), ("peer name", text(peer.get("name")))):
        if problem := _veth_name_problem(field, value):
            ctx.fail(*problem)
    common_link_problems(ctx, document)
    common_link_problems(ctx, peer)


# --- wireguard.go ------------------------------------------------------------------------------------------

def _wireguard_key_problem(key: str) -> tuple[str, tuple[str, ...]] | None:
    """validateWireguardKey: standard base64 of 32 bytes; (error, the rule of the length site when it is that)."""
    try:
        length = base64_decoded_length(key)
    except ValueError as error:
        return str(error), ()
    return None if length == 32 else ("invalid wireguard key length", ("R358",))


@document_check("WireguardConfig", "R358", "R359", "R360", "R361", "R362", "R363", "R364", "R365", "R366")
def wireguard_config(document: Document, ctx: Context) -> None:
    _name_given(ctx, document, "R359")
    private_key = document.get("privateKey")
    if not ctx.has_secret(private_key):
        ctx.fail("R360", "wireguard private key must be specified")
    elif not ctx.secret_unknown(private_key) and (problem := _wireguard_key_problem(text(private_key))):
        ctx.fail("R358" if problem[1] else "R361", f"wireguard private key is invalid: {problem[0]}",
                 inner=("R361",) if problem[1] else ())
    if not 0 <= number(document.get("listenPort")) <= 65535:
        ctx.fail("R362", "wireguard listen port must be between 0 and 65535")
    for index, peer in indexed(document.get("peers")):
        public_key = text(peer.get("publicKey"))
        if public_key == "":
            ctx.fail("R363", f"wireguard peer public key must be specified (peer index {index})")
        elif problem := _wireguard_key_problem(public_key):
            ctx.fail("R364", f"wireguard peer public key is invalid (peer index {index}): {problem[0]}",
                     inner=problem[1])
        preshared = peer.get("presharedKey")
        if text(preshared) and (problem := _wireguard_key_problem(text(preshared))):
            ctx.fail("R365", f"wireguard peer preshared key is invalid (peer index {index}): {problem[0]}",
                     inner=problem[1])
        if duration(peer.get("persistentKeepaliveInterval")) < 0:
            ctx.fail("R366", f"wireguard peer persistent keepalive interval cannot be negative (peer index {index})")
    common_link_problems(ctx, document)


# --- link_alias.go -----------------------------------------------------------------------------------------

@document_check("LinkAliasConfig", "R302", "R303", "R304", "R305")
def link_alias_config(document: Document, ctx: Context) -> None:
    name = text(document.get("name"))
    if name == "":
        ctx.fail("R302", "name must be specified")
    elif "%" in name:  # IsPatternAlias
        head, _, verb = name.partition("%")
        if verb != "d" or head == "":
            ctx.fail("R303", f"name {quote(name)} contains an invalid format verb, use %d suffix")
    match = text(mapping(document.get("selector")).get("match"))
    if match == "":
        ctx.fail("R305", "link selector is required")
    elif problem := compile_selector(match, "LinkLocator", ctx.minor):
        ctx.fail("R304", f"link selector is invalid: {problem}")
