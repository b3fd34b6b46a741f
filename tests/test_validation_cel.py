"""CEL selectors as Talos compiles them: what cel-go accepts is accepted, what it refuses is refused with its
wording (ERROR: <input>:line:column: ..., the line and a caret), and nothing a user writes can crash the check."""

from __future__ import annotations

import pytest

from components.talos.validation.cel import compile_selector
from components.talos.validation.cel.parser import MAX_CODE_POINTS

# Talos v1.14 documentation and examples (website/content/v1.14, types/*/*_doc.go, testdata)
TALOS_DISK_SELECTORS = [
    'disk.dev_path == "/dev/sda"',
    "disk.size > 120u * GB && disk.size < 1u * TB",
    'disk.transport == "nvme"',
    'disk.transport == "nvme" && disk.size > 100u * GiB',
    'disk.transport == "sata" && !disk.rotational && !system_disk',
    'disk.transport == "nvme" && !system_disk',
    "!system_disk",
    "system_disk",
    "1u * GiB < 2u * GiB",
    "disk.size > 1000u && !disk.rotational",
]
TALOS_VOLUME_SELECTORS = [
    'volume.partition_label == "MY-DATA"',
    'volume.name == "xfs" && disk.serial == "SERIAL123"',
    'volume.partition_label.startsWith("r-lvm")',
]
TALOS_LINK_SELECTORS = [
    'glob("00:1a:2b:*", mac(link.permanent_addr))',  # link_alias.go examples
    'link.driver == "e1000"',
    'mac(link.permanent_addr) == "00:1a:2b:3c:4d:5e"',
]
# what a user reasonably writes about a link: its proto fields, enums by name, literals of every kind
VALID_LINK_SELECTORS = [
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
]
# what a user reasonably writes with CEL's standard library and macros
VALID_DISK_SELECTORS = [
    'disk.symlinks.exists(s, s.startsWith("/dev/disk/by-id/nvme-"))',
    'disk.symlinks.all(s, s != "")',
    'size(disk.symlinks.filter(s, s.contains("wwn"))) > 0',
    'disk.symlinks.map(s, s.size()).exists(n, n > 10)',
    '"/dev/disk/by-id/ata-X" in disk.symlinks',
    'disk.dev_path in ["/dev/sda", "/dev/sdb"]',
    "has(disk.wwid) && disk.wwid != ''",
    'disk.model.matches("^Samsung") || glob("/dev/nvme*", disk.dev_path)',
    "disk.transport == 'nvme' ? disk.size > 100u * GB : disk.size > 1u * TB",
    "int(disk.size) > 0 && double(disk.size) / 1e9 > 100.0",
    'string(disk.size).size() > 3 && disk.size >= 0x10u',
    "r'raw\\string' != '' && b'bytes' != b''",
    '"""multi\nline""" != ""',
    "disk.size > 100u * GB // a comment\n&& !disk.cdrom",
    "!!system_disk",
    "-(-1) == 1 && -1 < 0 && 1.5e3 > 1.0",
    "{'a': 1}['a'] == 1 && [1, 2][0] == 1",
    "type(disk.size) == uint",
    "dyn(disk.size) > 1",
    "disk.size > 120u * GB && disk.size < 1u * TB && disk.transport != 'usb'",
]


@pytest.mark.parametrize("expression", TALOS_DISK_SELECTORS + VALID_DISK_SELECTORS)
def test_a_disk_selector_cel_go_accepts_is_accepted(expression: str):
    assert compile_selector(expression, "DiskLocator", 14) is None


@pytest.mark.parametrize("expression", TALOS_VOLUME_SELECTORS)
def test_a_talos_volume_selector_is_accepted(expression: str):
    assert compile_selector(expression, "VolumeLocator", 14) is None


@pytest.mark.parametrize("expression", TALOS_LINK_SELECTORS + VALID_LINK_SELECTORS)
def test_a_link_selector_cel_go_accepts_is_accepted(expression: str):
    assert compile_selector(expression, "LinkLocator", 14) is None


def test_talos_default_oom_expressions_are_accepted():
    # constants.DefaultOOMTriggerExpression / DefaultOOMCgroupRankingExpression (runtime/testdata/oom.yaml)
    trigger = ('multiply_qos_vectors(d_qos_memory_full_total, {System: 8.0, Podruntime: 4.0}) > 3000.0 &&\n'
               'multiply_qos_vectors(qos_memory_full_avg10, {System: 1.0, Podruntime: 1.0}) > 5.0 &&\n'
               'time_since_trigger > duration("5s")')
    ranking = ("memory_max.hasValue() ? 0.0 : ({Besteffort: 1.0, Burstable: 0.5, Guaranteed: 0.0, Podruntime: 0.0, "
               "System: 0.0}[class] * double(memory_current.orValue(0u)))")
    assert compile_selector(trigger, "OOMTrigger", 14) is None
    assert compile_selector(ranking, "OOMCgroupScoring", 14, output="double") is None


@pytest.mark.parametrize(("expression", "message"), [
    # block/volume_config_test.go: an int where the field is uint (cross-type comparisons are off in Talos)
    ("disk.size > 120", "ERROR: <input>:1:11: found no matching overload for '_>_' applied to '(uint, int)'\n"
                        " | disk.size > 120\n | ..........^"),
    ("disk.size > 120 * GB", "ERROR: <input>:1:17: found no matching overload for '_*_' applied to '(int, uint)'"),
    ("disk.foo", "ERROR: <input>:1:5: undefined field 'foo'\n | disk.foo\n | ....^"),
    ("foo == 1", "ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')"),
    ("disk.model.lowerAscii() == 'x'", "undeclared reference to 'lowerAscii' (in container '')"),
    ("disk.size", "expression output type is uint, expected bool"),
    ("disk.size.foo", "ERROR: <input>:1:10: type 'uint' does not support field selection"),
    ("disk.size.exists(x, x)", "expression of type 'uint' cannot be range of a comprehension (must be list, map, "
                               "or dynamic)"),
    ("disk.symlinks.exists(s, s)", "expected type 'bool' but found 'string'"),
    ("disk.symlinks.exists(__result__, true)", "iteration variable overwrites accumulator variable"),
    ("has(disk)", "invalid argument to has() macro"),
    ("if == 1", "ERROR: <input>:1:1: reserved identifier: if"),
    ("disk.size >", "ERROR: <input>:1:12: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', "
                    "'-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}"),
    ("disk.size # 1", "ERROR: <input>:1:11: Syntax error: token recognition error at: '#'"),
    ("disk.?model == 'x'", "ERROR: <input>:1:5: unsupported syntax '.?'"),
    ("9223372036854775808 > 0", "invalid int literal"),
    ("'\\ud800' == ''", "invalid unicode code point"),
    ("b'\\u0041' == b''", "unable to unescape string"),
    ("1.99e90000009 > 1.0", "invalid double literal"),
    ('"é" == 1', 'ERROR: <input>:1:5: found no matching overload for \'_==_\' applied to \'(string, int)\'\n'
                 ' | "é" == 1\n | .\uff0e..^'),
    ("!disk.rotational\n&& disk.size > 1", "ERROR: <input>:2:14: found no matching overload for '_>_' applied to "
                                           "'(uint, int)'\n | && disk.size > 1\n | .............^"),
])
def test_a_disk_selector_cel_go_refuses_is_refused_with_its_words(expression: str, message: str):
    problem = compile_selector(expression, "DiskLocator", 14)
    assert problem is not None and message in problem, problem


@pytest.mark.parametrize(("expression", "message"), [
    ("disk.size > 120", "ERROR: <input>:1:1: undeclared reference to 'disk' (in container '')"),
    ('link.name == "eth0"', "ERROR: <input>:1:5: undefined field 'name'"),
    ("link.driver", "expression output type is string, expected bool"),
    ("link.driver == 1", "ERROR: <input>:1:13: found no matching overload for '_==_' applied to '(string, int)'"),
    # an unterminated string or a bad escape: ANTLR's token recognition error at the string's start
    ('link.driver == "e1000', "ERROR: <input>:1:16: Syntax error: token recognition error at:"),
    ('link.driver == "\\q"', "ERROR: <input>:1:16: Syntax error: token recognition error at:"),
    ("link.driver == 'a' &&", "ERROR: <input>:1:22: Syntax error: mismatched input '<EOF>'"),
    ("link.driver.foo()", "ERROR: <input>:1:16: undeclared reference to 'foo' (in container '')"),
    ("frobnicate(link.driver)", "ERROR: <input>:1:11: undeclared reference to 'frobnicate' (in container '')"),
    ("link.mtu + 1 > 0", "found no matching overload for '_+_' applied to '(uint, int)'"),
    ("link.alt_names.all(1, true)", "ERROR: <input>:1:20: argument must be a simple name"),
    ("link.driver == 'a' link", "ERROR: <input>:1:20: Syntax error: extraneous input 'link' expecting <EOF>"),
])
def test_a_link_selector_cel_go_refuses_is_refused_with_its_words(expression: str, message: str):
    problem = compile_selector(expression, "LinkLocator", 14)
    assert problem is not None and message in problem, problem


def test_a_huge_selector_is_refused_without_echoing_it():
    problem = compile_selector("link.driver == 'x' && " * 5000 + "true", "LinkLocator", 14)
    assert problem is not None and "exceeds limit" in problem and len(problem) < 200


def test_firmware_version_is_a_disk_field_from_v1_14_only():
    expression = "disk.firmware_version == ''"
    assert compile_selector(expression, "DiskLocator", 14) is None
    assert "undefined field 'firmware_version'" in str(compile_selector(expression, "DiskLocator", 13))


def test_oom_expressions_are_checked_for_their_own_output_type():
    # runtime/oom_test.go TestOOMValidate/invalid expression
    assert compile_selector("disk.transport", "OOMCgroupScoring", 14, output="double") == (
        "ERROR: <input>:1:1: undeclared reference to 'disk' (in container '')\n | disk.transport\n | ^")
    assert compile_selector("1", "OOMCgroupScoring", 14, output="double") == \
        "expression output type is int, expected double"
    assert compile_selector("memory_full_avg10 > 12", "OOMTrigger", 14) is not None
    assert compile_selector("memory_full_avg10 > 12.0 && qos_memory_some_avg10[Burstable] > 0.5", "OOMTrigger",
                            14) is None


def test_expressions_at_cel_go_limits_are_refused_not_crashed_on():
    deep = "(" * 300 + "true" + ")" * 300
    assert compile_selector(deep, "DiskLocator", 14) == "ERROR: <input>:-1:0: expression recursion limit exceeded: 250"
    assert compile_selector("(" * 200 + "true" + ")" * 200, "DiskLocator", 14) is None
    huge = "system_disk || " * (MAX_CODE_POINTS // 15 + 1) + "true"
    assert "expression code point size exceeds limit" in str(compile_selector(huge, "DiskLocator", 14))


def test_what_this_port_cannot_type_exactly_is_never_refused():
    # dyn, null and optionals: cel-go decides these at finer grain; the port gives them the benefit of the doubt
    for expression in ("dyn(disk.size) == 'x'", "disk.transport == null", "[1, 'a'].size() > 0",
                       "{}.size() == 0", "talos.resource.definitions.block.DiskSpec{} != null"):
        assert compile_selector(expression, "DiskLocator", 14) is None, expression
