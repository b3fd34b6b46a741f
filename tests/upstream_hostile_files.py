"""What upstream does where issue 20's hostile files meet this program, row by row: ported (with the test
that checks it), or not applicable (with the reason). tests/test_upstream_hostile_files.py keeps this list
and the tests in step."""

from __future__ import annotations

from typing import NamedTuple


class Row(NamedTuple):
    behaviour: str
    source: str
    status: str  # "ported", "refused" (deliberately not followed, safer), "not applicable"
    where: str  # tests/<module>.py::<test> for ported and refused rows, the reason otherwise


_GIT = "git/git dir.c"
_WILD = "git/git wildmatch.c dowild"
_OUT = "tests/test_output_files_hostile.py::"
GITIGNORE = [
    Row("a line starting with # is a comment", f"{_GIT} add_patterns_from_buffer", "ported",
        _OUT + "test_an_existing_line_is_judged_as_git_judges_it"),
    Row("a leading ! negates; the last matching line decides", f"{_GIT} parse_path_pattern, "
        "last_matching_pattern_from_list", "ported", _OUT + "test_every_file_genconfig_writes_is_ignored_by_git_"
        "whatever_its_name"),
    Row("a backslash makes the next character literal (\\#, \\!, \\*, \\?, \\[, \\\\, \\ )", _WILD, "ported",
        _OUT + "test_every_name_is_written_as_a_line_git_matches_to_that_name_only"),
    Row("unescaped trailing spaces are cut", f"{_GIT} trim_trailing_spaces", "ported",
        _OUT + "test_every_name_is_written_as_a_line_git_matches_to_that_name_only"),
    Row("a CR before the LF is dropped; a newline ends the line", f"{_GIT} add_patterns_from_buffer", "ported",
        _OUT + "test_a_name_no_gitignore_line_can_match_is_refused"),
    Row("a UTF-8 byte order mark at the start is skipped", f"{_GIT} add_patterns_from_buffer skip_utf8_bom",
        "ported", _OUT + "test_an_existing_line_is_judged_as_git_judges_it"),
    Row("a trailing / matches directories only", f"{_GIT} parse_path_pattern PATTERN_FLAG_MUSTBEDIR", "ported",
        _OUT + "test_an_existing_line_is_judged_as_git_judges_it"),
    Row("a / elsewhere anchors the pattern at the .gitignore's folder; a leading **/ matches no folder",
        f"{_GIT} match_pathname, {_WILD}", "ported", _OUT + "test_an_existing_line_is_judged_as_git_judges_it"),
    Row("*, ? and [...] byte classes (!/^ negation, ranges, escapes, [:class:]); a malformed class or a "
        "trailing backslash matches nothing", _WILD, "ported",
        _OUT + "test_an_existing_line_is_judged_as_git_judges_it"),
    Row("generated names appended so git ignores exactly them", "talhelper pkg/config/gitignore.go", "ported",
        _OUT + "test_appended_lines_make_git_ignore_exactly_the_generated_names"),
    Row("filenameTmpl values that collide overwrite each other (exit 0)", "talhelper pkg/generate/config.go",
        "refused", _OUT + "test_a_file_name_template_that_collides_escapes_or_cannot_be_written_is_refused_before_"
        "anything_is_written"),
    Row(".gitignore opened for appending through a symbolic link", "talhelper pkg/config/gitignore.go "
        "os.OpenFile", "refused", _OUT + "test_genconfig_never_writes_through_a_symbolic_link"),
    Row("core.ignoreCase", f"{_GIT} fspathncmp", "not applicable",
        "names are judged case-sensitively: with ignoreCase on, git only ignores more, and our own lines match "
        "the exact name"),
    Row("a parent folder's .gitignore, info/exclude, core.excludesFile", "gitignore(5) precedence",
        "not applicable", "OUT/.gitignore is the deepest file for the outputs, so its lines decide over theirs"),
]

_SOPS = "getsops/sops"
_SH = "tests/test_sops_hostile.py::"
_S = "tests/test_sops.py::"
SOPS = [
    Row("AES-256-GCM per value, the key path as additional data", f"{_SOPS} aes/cipher.go Decrypt", "ported",
        _S + "test_a_value_moved_to_another_key_does_not_decrypt"),
    Row("type tags str, int, float, bool, time, bytes", f"{_SOPS} aes/cipher.go Decrypt", "ported",
        _S + "test_typed_and_unencrypted_suffix_values_decrypt_with_the_mac_checked"),
    Row("values are converted by their tag before the MAC is checked, and a failed conversion quotes the "
        "plaintext", f"{_SOPS} sops.go Tree.Decrypt, aes/cipher.go", "refused",
        _SH + "test_a_type_tag_changed_on_a_secret_is_refused_as_tampering_without_showing_the_value"),
    Row("the MAC hashes ToBytes of each value (True/False, FormatFloat 'f' -1, Itoa)", f"{_SOPS} sops.go ToBytes",
        "ported", _SH + "test_a_type_tag_that_reads_differently_changes_the_mac_as_sops_computes_it"),
    Row("a tag changed to one the value reads as is accepted, as sops accepts it", f"{_SOPS} sops.go",
        "ported", _SH + "test_a_type_tag_sops_would_accept_is_accepted_as_sops_accepts_it"),
    Row("mac_only_encrypted and unencrypted_suffix", f"{_SOPS} sops.go shouldBeEncrypted", "ported",
        _S + "test_typed_and_unencrypted_suffix_values_decrypt_with_the_mac_checked"),
    Row("a MAC mismatch error prints both MACs", f"{_SOPS} decrypt/decrypt.go", "refused",
        _SH + "test_an_unknown_type_tag_and_a_retagged_mac_are_refused_without_a_value"),
    Row("dotenv metadata unflattened sparsely; Incomplete list, Duplicate value, Type mismatch; a bad index "
        "reads as 0", f"{_SOPS} stores/flatten.go", "ported",
        _SH + "test_dotenv_metadata_keys_are_unflattened_as_sops_does_it"),
    Row("a list index of two million costs nothing and is refused", f"{_SOPS} stores/flatten.go convert",
        "ported", _SH + "test_a_dotenv_list_index_of_two_million_is_refused_at_once_with_a_short_error"),
    Row("no limit on input size, depth or recipients", _SOPS, "refused",
        _SH + "test_deeply_nested_json_and_oversized_input_are_refused_by_name"),
    Row("a FIFO given as a SOPS file is opened and read (blocks)", f"{_SOPS} decrypt.File os.ReadFile",
        "refused", _SH + "test_a_fifo_given_as_a_sops_file_is_refused_without_blocking"),
    Row("the comment datatype", f"{_SOPS} aes/cipher.go", "not applicable",
        "this reader keeps no comments; files with comment rules go to the sops binary"),
]

_GO = "golang/go text/template"
_TB = "tests/test_template_bounds.py::"
TEMPLATES = [
    Row("an action ends at the first }} outside a string; {{- -}} trim; comments end at the delimiter",
        f"{_GO}/parse/lex.go", "ported", _TB + "test_a_hundred_kilobytes_of_open_actions_is_refused_in_linear_time"),
    Row("maxStackDepth: parentheses nest 10,000 deep", f"{_GO}/parse/parse.go", "ported",
        _TB + "test_parentheses_nest_up_to_gos_limit_and_no_further"),
    Row("maxPipelineCmds: 100,000 commands in a pipeline", f"{_GO}/parse/parse.go", "ported",
        _TB + "test_a_pipeline_longer_than_gos_limit_is_refused"),
    Row("checkPipeline: no constant after the first stage", f"{_GO}/parse/parse.go", "ported",
        _TB + "test_a_constant_after_the_first_pipeline_stage_is_refused_as_go_refuses_it"),
    Row("if/range/with nest without limit", f"{_GO}/parse/parse.go itemList/parseControl", "ported",
        _TB + "test_three_thousand_nested_blocks_render_as_go_renders_them"),
    Row("newNumber: int64, uint64, float64; integer overflow; illegal number syntax",
        f"{_GO}/parse/node.go", "ported", _TB + "test_numbers_beyond_gos_ranges_are_refused_as_go_refuses_them"),
    Row("no limit on executed steps or output size", f"{_GO}/exec.go", "refused",
        _TB + "test_ranges_nested_four_deep_over_a_long_list_stop_at_the_step_limit"),
    Row("a patch or content file is read whatever it is (a FIFO blocks)", "talhelper pkg/patcher, "
        "pkg/substitute", "refused", _TB + "test_a_patch_or_content_that_is_not_a_regular_file_is_refused_without_"
        "blocking"),
    Row("maxExecDepth: nested {{template}} calls", f"{_GO}/exec.go", "not applicable",
        "{{template}}, {{define}} and {{block}} are refused by name"),
    Row("a template may print any field of the config, secrets included", "talhelper pkg/templating",
        "refused", "tests/test_template_secrets.py::"
        "test_no_template_copies_a_secret_field_whatever_it_wraps_it_in_and_wherever_it_puts_it"),
]

ROWS = GITIGNORE + SOPS + TEMPLATES
