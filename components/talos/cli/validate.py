"""``validate``: talosctl's ``validate --config FILE --mode MODE [--strict]`` (cmd/talosctl/cmd/mgmt/validate.go),
and talhelper's ``validate talconfig|nodeconfig`` under the same verb.

talosctl loads the file (configloader.NewFromFile), then ValidateAsClient(mode, WithLocal[, WithStrict]): it
prints each warning as ``WARNING: ...`` on stderr, and on success ``FILE is valid for MODE mode``. Here every
problem is printed once, after the file name, and the exit code is 1 when Talos would refuse the file.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ConfigError
from ..versions import DEFAULT_TALOS_VERSION, parse_contract
from .talhelper_extra import register_validate_targets

MODES = ("cloud", "container", "metal", "metal-agent")  # internal/app/machined/pkg/runtime/mode.go ParseMode


def register(commands: Any) -> None:
    validate = commands.add_parser(
        "validate", help="validate a machine config (talosctl validate), or talhelper's validate talconfig|nodeconfig")
    validate.add_argument("-c", "--config", default="", help="the path of the config file")
    validate.add_argument("-m", "--mode", default="",
                          help="the mode to validate the config for (valid values are metal, cloud, and container)")
    validate.add_argument("--strict", action="store_true", help="treat validation warnings as errors")
    validate.add_argument("--talos-version", default=DEFAULT_TALOS_VERSION,
                          help=f"the Talos release whose rules apply (default {DEFAULT_TALOS_VERSION})")
    validate.set_defaults(handler=_validate)
    register_validate_targets(validate)


def _validate(args: argparse.Namespace) -> int:
    from .. import yamlio
    from ..validation import Mode, validate_text

    if not args.mode:
        raise ConfigError('required flag(s) "mode" not set')
    if args.mode not in MODES:
        raise ConfigError(f"unknown runtime mode: {args.mode!r}")
    contract = parse_contract(args.talos_version, "--talos-version")
    try:
        data = yamlio.read_bytes(args.config)
    except OSError as error:
        raise ConfigError(f"open {args.config}: {(error.strerror or str(error)).lower()}") from None
    problems = validate_text(data, minor=contract.minor, mode=Mode(args.mode), strict=args.strict,
                             talos_version=args.talos_version if args.talos_version.count(".") == 2 else "")
    for problem in problems:
        if problem.warning:
            print(f"WARNING: {args.config}: {problem}", file=sys.stderr)
    errors = [problem for problem in problems if not problem.warning]
    for problem in errors:
        print(f"{args.config}: {problem}", file=sys.stderr)
    if errors:
        return 1
    print(f"{args.config} is valid for {args.mode} mode")
    return 0
