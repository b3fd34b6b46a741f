"""Go library behaviour as the project ports it: what Go accepts is accepted, what it refuses is refused with Go's
text (net/netip, net, net/url, time, strconv, go-humanize, encoding/base64, encoding/pem, path/filepath,
blang/semver, siderolabs/net). Talos's checks, talosctl's flags and the stack settings all read values through
these, so a value reads the same everywhere."""

from __future__ import annotations

import re

import pytest

from components.talos.golang import durations, encoding, error_of, filepath, humanize, netip, semver, url
from components.talos.golang.strconv import format_float, parse_uint, quote, quote_list


@pytest.mark.parametrize(("text", "error"), [
    ("1.2.3", 'ParseAddr("1.2.3"): IPv4 address too short'),
    ("1.2.3.04", 'ParseAddr("1.2.3.04"): IPv4 field has octet with leading zero'),
    ("1.2.3.256", 'ParseAddr("1.2.3.256"): IPv4 field has value >255'),
    ("1.2.3.4%eth0", 'ParseAddr("1.2.3.4%eth0"): unexpected character (at "%eth0")'),
    ("abc", 'ParseAddr("abc"): unable to parse IP'),
    ("%eth0", 'ParseAddr("%eth0"): missing IPv6 address'),
    ("1..2.3", 'ParseAddr("1..2.3"): IPv4 field must have at least one digit (at ".2.3")'),
])
def test_addresses_are_parsed_as_netip_parses_them(text: str, error: str) -> None:
    with pytest.raises(netip.NetipError, match="^" + re.escape(error) + "$"):
        netip.parse_addr(text)


@pytest.mark.parametrize(("text", "valid"), [
    ("10.0.0.0/8", True), ("10.1.2.3/8", True), ("fe80::1%eth0", False), ("2001:db8::/32", True),
    ("10.0.0.0/255.0.0.0", False), ("10.0.0.0/08", False), ("10.0.0.0/33", False), ("10.0.0.0", False),
    ("fe80::1%eth0/64", False), ("10.0.0.0/+8", False),
])
def test_prefixes_are_parsed_as_netip_parses_them(text: str, valid: bool) -> None:
    assert (error_of(netip.parse_prefix, text) is None) == valid


def test_a_prefix_keeps_its_host_bits_as_netip_does() -> None:
    prefix = netip.parse_prefix("10.1.2.3/8")
    assert (str(prefix), prefix.masked, str(prefix.network)) == ("10.1.2.3/8", False, "10.0.0.0/8")
    assert netip.parse_subnet_or_address("10.0.0.1") == netip.Prefix(netip.parse_addr("10.0.0.1"), 32)


@pytest.mark.parametrize(("text", "error"), [
    ("1.2.3.4", "not an ip:port"), (":80", "no IP"), ("1.2.3.4:", "no port"), ("[::1:80", "missing ]"),
    ("1.2.3.4:http", 'invalid port "http" parsing "1.2.3.4:http"'),
    ("[1.2.3.4]:80", 'invalid ip:port "[1.2.3.4]:80", square brackets can only be used with IPv6 addresses'),
    ("::1:80", 'invalid ip:port "::1:80", IPv6 addresses must be surrounded by square brackets'),
])
def test_address_ports_are_parsed_as_netip_parses_them(text: str, error: str) -> None:
    assert error_of(netip.parse_addr_port, text) == error
    assert netip.parse_addr_port("[2001:db8::1]:51820")[1] == 51820


@pytest.mark.parametrize(("text", "error"), [
    ("host", "address host: missing port in address"), ("a:b:c", "address a:b:c: too many colons in address"),
    ("[::1]", "address [::1]: missing port in address"), ("[::1", "address [::1: missing ']' in address"),
])
def test_host_ports_are_split_as_net_splits_them(text: str, error: str) -> None:
    assert error_of(netip.split_host_port, text) == error
    assert netip.split_host_port("[::1]:514") == ("::1", "514")


@pytest.mark.parametrize(("raw", "scheme", "opaque", "host", "path"), [
    ("https://discovery.talos.dev/", "https", "", "discovery.talos.dev", "/"),
    ("HTTPS://h:443/p?q=1", "https", "", "h:443", "/p"),
    ("http:opaque-url", "http", "opaque-url", "", ""),
    ("localhost:3000", "localhost", "3000", "", ""),
    ("discovery.talos.dev", "", "", "", "discovery.talos.dev"),
    ("grpc://[2001:db8::1]:6443", "grpc", "", "[2001:db8::1]:6443", ""),
])
def test_urls_are_parsed_as_net_url_parses_them(raw: str, scheme: str, opaque: str, host: str, path: str) -> None:
    assert url.parse(raw) == url.URL(scheme, host, path, opaque)


@pytest.mark.parametrize(("raw", "error"), [
    ("://x", 'parse "://x": missing protocol scheme'),
    ("http://h:port/", 'parse "http://h:port/": invalid port ":port" after host'),
    ("1a:b", 'parse "1a:b": first path segment in URL cannot contain colon'),
    ("http://[::1/", """parse "http://[::1/": missing ']' in host"""),
    ("http://h/%zz", 'parse "http://h/%zz": invalid URL escape "%zz"'),
    ("http://h/\x7f", 'parse "http://h/\\x7f": net/url: invalid control character in URL'),
])
def test_urls_net_url_refuses_are_refused_with_its_words(raw: str, error: str) -> None:
    assert error_of(url.parse, raw) == error


@pytest.mark.parametrize(("endpoint", "problem"), [
    ("https://192.168.1.80:6443", None), ("https://[fd00::1]:6443", None), ("https://cluster.lan", None),
    ("https://fd00::1:6443", "IPv6 addresses MUST be enclosed by square brackets"),
    ("https://:6443", "hostname must not be blank"), ("https://h:0", "port number must be between 1 and 65535"),
])
def test_endpoints_are_checked_as_siderolabs_net_checks_them(endpoint: str, problem: str | None) -> None:
    assert url.endpoint_uri_error(endpoint) == problem


@pytest.mark.parametrize(("text", "nanoseconds", "shown"), [
    ("-5s", -5_000_000_000, "-5s"), ("1m30s", 90_000_000_000, "1m30s"), ("1h", 3_600_000_000_000, "1h0m0s"),
    ("1.5ms", 1_500_000, "1.5ms"), ("300ms", 300_000_000, "300ms"), ("0", 0, "0s"), ("2us", 2000, "2µs"),
    ("1.000000001s", 1_000_000_001, "1.000000001s"), ("+3ns", 3, "3ns"), (".5h", 1_800_000_000_000, "30m0s"),
])
def test_durations_are_read_and_printed_as_go_does(text: str, nanoseconds: int, shown: str) -> None:
    assert durations.parse_duration(text) == nanoseconds
    assert durations.format_duration(nanoseconds) == shown


@pytest.mark.parametrize(("text", "error"), [
    ("", 'time: invalid duration ""'), ("5", 'time: missing unit in duration "5"'),
    ("1x", 'time: unknown unit "x" in duration "1x"'), ("s", 'time: invalid duration "s"'),
    (".s", 'time: invalid duration ".s"'), ("1h 2m", 'time: unknown unit "h " in duration "1h 2m"'),
    ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
    ("5µ", 'time: unknown unit "\\xc2\\xb5" in duration "5\\xc2\\xb5"'),
])
def test_durations_go_refuses_are_refused_with_its_words(text: str, error: str) -> None:
    assert error_of(durations.parse_duration, text) == error


def test_strings_are_quoted_as_strconv_quote_does() -> None:
    assert quote('a"b\\c\n\x01é\u00a0') == '"a\\"b\\\\c\\n\\x01é\\u00a0"'
    assert quote_list(["CERTIFICATE"]) == '["CERTIFICATE"]'
    assert len(quote("x" * 10_000)) < 210  # a peer's megabyte value never makes a megabyte message


@pytest.mark.parametrize(("value", "shown"), [(100.0, "100"), (1e6, "1e+06"), (0.0001, "0.0001"), (1.5e-5, "1.5e-05"),
                                              (-0.0, "-0"), (123456.7, "123456.7")])
def test_floats_are_printed_as_fmt_v_prints_them(value: float, shown: str) -> None:
    assert format_float(value) == shown


@pytest.mark.parametrize(("text", "size"), [("100 GB", 100 * 10**9), ("1.5TiB", int(1.5 * 2**40)), ("10", 10),
                                            ("1,024 kb", 1_024_000), ("5 gi", 5 * 2**30)])
def test_sizes_are_read_as_go_humanize_reads_them(text: str, size: int) -> None:
    assert humanize.parse_bytes(text) == size


@pytest.mark.parametrize(("text", "error"), [("10 gigs", "unhandled size name: gigs"),
                                             ("-10GiB", 'strconv.ParseFloat: parsing "": invalid syntax'),
                                             ("99999999999 EB", "too large: 99999999999 EB")])
def test_sizes_go_humanize_refuses_are_refused_with_its_words(text: str, error: str) -> None:
    assert error_of(humanize.parse_bytes, text) == error


@pytest.mark.parametrize(("size", "shown"), [(34359738368, "34 GB"), (1500, "1.5 kB"), (9, "9 B"), (10, "10 B"),
                                             (999_999, "1000 kB")])
def test_sizes_are_printed_as_go_humanize_bytes_prints_them(size: int, shown: str) -> None:
    assert humanize.format_bytes(size) == shown


@pytest.mark.parametrize(("text", "length", "error"), [
    ("Zm9v", 3, None), ("Zm8=", 2, None), ("Zg==", 1, None), ("Zm9v\nYmFy", 6, None), ("", 0, None),
    ("Zm9", 0, "illegal base64 data at input byte 0"), ("Zm9v!", 0, "illegal base64 data at input byte 4"),
    ("Zg=", 0, "illegal base64 data at input byte 3"), ("Zg==Zg==", 0, "illegal base64 data at input byte 4"),
])
def test_base64_is_decoded_as_go_std_encoding_decodes_it(text: str, length: int, error: str | None) -> None:
    assert error_of(encoding.base64_decoded_length, text) == error
    if error is None:
        assert encoding.base64_decoded_length(text) == length


def test_pem_blocks_are_read_as_encoding_pem_reads_them() -> None:
    good = "-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n"
    skipped = "-----BEGIN CERTIFICATE-----\nZm9v\n-----END KEY-----\n"  # END does not match: Go skips the block
    assert [block.type for block in encoding.pem_blocks(skipped + good + good)] == ["CERTIFICATE", "CERTIFICATE"]
    assert encoding.pem_decode("no pem here")[0] is None


@pytest.mark.parametrize(("path", "local"), [("hosts.d/x", True), ("a/../b", True), ("/etc/x", False),
                                             ("../x", False), ("a/../../x", False), ("", False)])
def test_local_paths_are_judged_as_filepath_is_local_judges_them(path: str, local: bool) -> None:
    assert filepath.is_local(path) is local


@pytest.mark.parametrize(("text", "core", "shown"), [("v1.32.1", (1, 32, 1), "1.32.1"), ("1.33", (1, 33, 0), "1.33.0"),
                                                      ("v1.34.0-rc.1", (1, 34, 0), "1.34.0-rc.1"),
                                                      (" 01.31.02 ", (1, 31, 2), "1.31.2")])
def test_versions_are_read_as_blang_semver_parse_tolerant_reads_them(text: str, core: tuple[int, int, int],
                                                                       shown: str) -> None:
    version = semver.parse_tolerant(text)
    assert (version.core, str(version)) == (core, shown)


@pytest.mark.parametrize(("text", "error"), [("latest", 'Invalid character(s) found in major number "0latest"'),
                                             ("1.2-rc", "Short version cannot contain PreRelease/Build meta data"),
                                             ("1.2.3-", "Prerelease is empty")])
def test_versions_semver_refuses_are_refused_with_its_words(text: str, error: str) -> None:
    assert error_of(semver.parse_tolerant, text) == error


def test_unsigned_integers_are_parsed_as_strconv_parses_them() -> None:
    assert parse_uint("65535", 16) == 65535
    assert error_of(lambda text: parse_uint(text, 16), "65536") == \
        'strconv.ParseUint: parsing "65536": value out of range'
    assert error_of(parse_uint, "-1") == 'strconv.ParseUint: parsing "-1": invalid syntax'
