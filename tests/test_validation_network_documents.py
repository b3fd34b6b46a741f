"""Talos's per-document checks of network, cluster, siderolink, security and meta documents: Talos-valid
documents pass, the helpers read values as Go does (netip, net/url, time.Duration, %q), CEL selectors are
parsed and checked as cel-go does, and secrets never reach a message."""

from __future__ import annotations

import pytest

from components.talos.goduration import format_duration, parse_duration
from components.talos.validation import cel, registry
from components.talos.validation.documents import netcommon

from .validation_cases import cluster, meta, network

MY_MODULES = {"network_links", "network_routing", "network_services", "cluster", "siderolink", "security", "meta"}
MY_RULES = {rule for rule, where in registry.ported_rules().items() if where.split(".")[0] in MY_MODULES}
ACCEPTED = network.ACCEPTED + cluster.ACCEPTED + meta.ACCEPTED


@pytest.mark.parametrize(("source", "minor", "document"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_talos_valid_documents_produce_no_problem(source, minor, document):
    problems = [p for p in registry.run([document], minor, registry.Mode.METAL) if p.rule in MY_RULES]
    assert problems == []


def test_a_problem_names_the_document_as_talos_does():
    problems = registry.run([{"apiVersion": "v1alpha1", "kind": "LinkConfig", "name": "eth0",
                              "addresses": [{"address": "0.0.0.0/0"}]}], 14, registry.Mode.METAL)
    assert [p.message for p in problems] == ["LinkConfig/eth0: address 0 must be a valid IP address"]


def test_a_rule_newer_than_the_target_release_is_not_applied():
    document = {"apiVersion": "v1alpha1", "kind": "ResolverConfig", "nameservers": [{"protocol": "DoT",
                                                                                    "address": "1.1.1.1"}]}
    assert registry.run([document], 13, registry.Mode.METAL) == []
    assert [p.rule for p in registry.run([document], 14, registry.Mode.METAL)] == ["R318"]


def test_a_cluster_secret_never_reaches_the_message():
    secret = "c2VjcmV0LXZhbHVlLXRoYXQtaXMtdG9vLXNob3J0"  # valid base64, 27 bytes
    problems = registry.run([{"apiVersion": "v1alpha1", "kind": "DiscoveryIdentityConfig", "clusterID": "x",
                              "clusterSecret": secret}], 14, registry.Mode.METAL)
    assert len(problems) == 1 and secret not in problems[0].message
    assert "expected 32 bytes, got 30" in problems[0].message


def test_a_shape_only_render_checks_secret_presence_not_values():
    document = {"apiVersion": "v1alpha1", "kind": "DiscoveryIdentityConfig", "clusterID": "", "clusterSecret": ""}
    assert registry.run([document], 14, registry.Mode.METAL, placeholder_secrets=True) == []
    assert [p.rule for p in registry.run([{"apiVersion": "v1alpha1", "kind": "DiscoveryIdentityConfig"}], 14,
                                         registry.Mode.METAL, placeholder_secrets=True)] == ["R083"]


def test_a_shape_only_render_does_not_load_its_empty_certificate_authorities():
    documents = [{"apiVersion": "v1alpha1", "kind": "KubeAPIServerCAConfig", "issuingCA": {"cert": "", "key": ""},
                  "acceptedCAs": [""]}]
    assert registry.run(documents, 14, registry.Mode.METAL, placeholder_secrets=True) == []
    assert {p.rule for p in registry.run(documents, 14, registry.Mode.METAL)} == {"R234", "R241"}


def test_values_of_the_wrong_shape_are_left_to_the_decoder():
    documents = [{"apiVersion": "v1alpha1", "kind": kind, "name": {"a": 1}, "addresses": "x", "routes": 5}
                 for kind in ("LinkConfig", "BondConfig", "Layer2VIPConfig", "StaticHostConfig", "RoutingRuleConfig")]
    name_rules = {"R295", "R261", "R292", "R293", "R332", "R333", "R323", "R324", "R325"}
    problems = registry.run(documents, 14, registry.Mode.METAL)
    assert [p for p in problems if p.rule in name_rules] == []


# --- Go's value readers ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "error"), [
    ("1.2.3", 'ParseAddr("1.2.3"): IPv4 address too short'),
    ("1.2.3.04", 'ParseAddr("1.2.3.04"): IPv4 field has octet with leading zero'),
    ("1.2.3.256", 'ParseAddr("1.2.3.256"): IPv4 field has value >255'),
    ("1.2.3.4%eth0", 'ParseAddr("1.2.3.4%eth0"): unexpected character (at "%eth0")'),
    ("abc", 'ParseAddr("abc"): unable to parse IP'),
    ("%eth0", 'ParseAddr("%eth0"): missing IPv6 address'),
])
def test_addresses_are_parsed_as_netip_parses_them(text, error):
    with pytest.raises(netcommon.NetipError, match="^" + __import__("re").escape(error) + "$"):
        netcommon.parse_addr(text)


@pytest.mark.parametrize(("text", "valid"), [
    ("10.0.0.0/8", True), ("10.1.2.3/8", True), ("fe80::1%eth0", False), ("2001:db8::/32", True),
    ("10.0.0.0/255.0.0.0", False), ("10.0.0.0/08", False), ("10.0.0.0/33", False), ("10.0.0.0", False),
    ("fe80::1%eth0/64", False), ("10.0.0.0/+8", False),
])
def test_prefixes_are_parsed_as_netip_parses_them(text, valid):
    if valid:
        netcommon.parse_prefix(text)
    else:
        with pytest.raises(netcommon.NetipError):
            netcommon.parse_prefix(text)


@pytest.mark.parametrize(("raw", "scheme", "opaque", "host", "path"), [
    ("https://discovery.talos.dev/", "https", "", "discovery.talos.dev", "/"),
    ("HTTPS://h:443/p?q=1", "https", "", "h:443", "/p"),
    ("http:opaque-url", "http", "opaque-url", "", ""),
    ("localhost:3000", "localhost", "3000", "", ""),
    ("discovery.talos.dev", "", "", "", "discovery.talos.dev"),
    ("grpc://[2001:db8::1]:6443", "grpc", "", "[2001:db8::1]:6443", ""),
])
def test_urls_are_parsed_as_net_url_parses_them(raw, scheme, opaque, host, path):
    assert netcommon.parse_url(raw) == netcommon.URL(scheme, opaque, host, path)


@pytest.mark.parametrize("raw", ["://x", "http://h:port/", "a:b/c" * 0 + "1a:b", "http://[::1/"])
def test_urls_net_url_refuses_are_refused(raw):
    with pytest.raises(netcommon.URLError):
        netcommon.parse_url(raw)


@pytest.mark.parametrize(("text", "nanoseconds", "shown"), [
    ("-5s", -5_000_000_000, "-5s"), ("1m30s", 90_000_000_000, "1m30s"), ("1h", 3_600_000_000_000, "1h0m0s"),
    ("1.5ms", 1_500_000, "1.5ms"), ("300ms", 300_000_000, "300ms"), ("0", 0, "0s"), ("2us", 2000, "2µs"),
    ("1.000000001s", 1_000_000_001, "1.000000001s"), ("+3ns", 3, "3ns"),
])
def test_durations_are_read_and_printed_as_go_does(text, nanoseconds, shown):
    assert parse_duration(text) == nanoseconds
    assert format_duration(nanoseconds) == shown


@pytest.mark.parametrize("text", ["", "5", "1x", "s", "1.s5", ".s", "1h 2m", "9223372036854775808ns"])
def test_durations_go_refuses_are_refused(text):
    assert parse_duration(text) is None


def test_strings_are_quoted_as_strconv_quote_does():
    assert netcommon.go_quote('a"b\\c\n\x01é') == '"a\\"b\\\\c\\n\\x01é"'
    assert netcommon.go_quote_list(["CERTIFICATE"]) == '["CERTIFICATE"]'


# --- CEL -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    'mac(link.permanent_addr) == "00:1a:2b:3c:4d:5e"',  # link_alias.go examples
    'glob("00:1a:2b:*", mac(link.permanent_addr))',
    'link.driver == "e1000"',
    'link.type == 1 && link.link_state && link.speed_megabits >= 1000',
    '"eth1" in link.alt_names || link.alt_names.exists(n, n.startsWith("enp"))',
    "link.mtu > 1500u && size(link.alt_names) > 0",
    "has(link.vlan) ? link.vlan.vlan_id == 10 : false",
    "link.kind.matches('^(bond|br)') // a comment",
    r'link.vendor == "\x41\u0042\101" && b"\xff" != link.hardware_addr',
    r'link.alias == r"\d" || link.alias == """multi"""',
    "talos.resource.definitions.enums.NethelpersLinkType.LINK_ETHER == link.type",
    "[1, 2].all(x, x > 0) && {'a': 1}['a'] == 1 && !(link.index == 0u)",
    "int(link.mtu) - 1 > 1000 && -1 < 0 && 1.5 * 2.0 > 1.0",
])
def test_valid_link_selectors_are_accepted(expression):
    assert cel.boolean_expression_problem(expression, cel.LINK_LOCATOR) is None


@pytest.mark.parametrize(("expression", "problem"), [
    ("disk.size > 120", "undeclared reference to 'disk'"),
    ('link.name == "eth0"', "undefined field 'name'"),
    ("link.driver", "expression output type is string, expected bool"),
    ('link.driver == 1', "found no matching overload for '_==_' applied to '(string, int)'"),
    ('link.driver == "e1000', "unterminated string"),
    ("link.driver == 'a' &&", "mismatched input '<EOF>'"),
    ('link.driver == "\\q"', "invalid escape sequence"),
    ("if == 1", "reserved identifier: if"),
    ("link.driver.foo()", "undeclared reference to 'foo'"),
    ("frobnicate(link.driver)", "undeclared reference to 'frobnicate'"),
    ("link.mtu + 1 > 0", "found no matching overload for '_+_' applied to '(uint, int)'"),
    ("has(link)", "invalid argument to has() macro"),
    ("link.alt_names.all(1, true)", "argument must be a simple name"),
    ("link.driver == 'a' link", "extraneous input 'link'"),
    ("9223372036854775808 > 0", "integer literal is out of range"),
    ("(" * 300 + "true" + ")" * 300, "recursion limit"),
])
def test_invalid_link_selectors_are_refused_as_cel_go_refuses_them(expression, problem):
    assert problem in (cel.boolean_expression_problem(expression, cel.LINK_LOCATOR) or "")


def test_a_huge_selector_is_refused_without_echoing_it():
    problem = cel.boolean_expression_problem("link.driver == 'x' && " * 5000 + "true", cel.LINK_LOCATOR)
    assert problem is not None and "exceeds limit" in problem and len(problem) < 200
