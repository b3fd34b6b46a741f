"""The upstream list for etcd snapshots, backups and restores (tests/upstream/etcd-backup.yaml) and the code stay
in step: each row is ported, tested or marked not applicable with a reason; each flag, talos-backup variable and
refusal it lists exists in the code exactly when the row says it is ported; each test it names exists."""

from __future__ import annotations

import argparse
import re
from functools import cache
from typing import Any

import pytest
import yaml

from components.talos.backups.settings import EtcdBackups, S3Bucket
from components.talos.cli import build_parser
from components.talos_backup import environment

from .conftest import ROOT

LIST = ROOT / "tests" / "upstream" / "etcd-backup.yaml"
STATUSES = {"tested", "ported", "not-applicable"}
COMMANDS = (("bootstrap",), ("etcd", "snapshot"), ("reset",))
GLOBAL_FLAGS = {"-h", "--help", "-n", "--nodes", "-e", "--endpoints", "--talosconfig", "--context"}


@cache
def rows() -> list[dict[str, Any]]:
    return list(yaml.safe_load(LIST.read_text())["rows"])


def ported(row: dict[str, Any]) -> bool:
    return bool(row["status"] != "not-applicable")


def _subparser(parser: argparse.ArgumentParser, words: tuple[str, ...]) -> argparse.ArgumentParser:
    for word in words:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[word]
    return parser


def cli_flags() -> set[str]:
    return {option for words in COMMANDS for action in _subparser(build_parser(), words)._actions
            for option in action.option_strings if option.startswith("--") and option not in GLOBAL_FLAGS}


def talos_backup_variables() -> set[str]:
    bucket = S3Bucket("https://minio.lan:9000", "b", "us-east-1", "", "k", "s", "-----BEGIN CERTIFICATE-----")
    settings = EtcdBackups("/tmp", 1, ("age1x",), bucket, "@hourly")
    return {item["name"] for item in environment(settings, "homelab")}


def test_every_row_is_tested_ported_or_not_applicable_with_what_that_needs() -> None:
    ids = [row["id"] for row in rows()]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for row in rows():
        assert row["status"] in STATUSES, row["id"]
        assert row.get("source"), row["id"]
        needed = {"tested": ("code", "test"), "ported": ("code", "note"), "not-applicable": ("reason",)}
        assert all(row.get(field) for field in needed[row["status"]]), f"{row['id']}: needs {needed[row['status']]}"


@pytest.mark.parametrize("row", [row for row in rows() if row.get("code")], ids=lambda row: row["id"])
def test_the_code_a_row_names_exists(row: dict[str, Any]) -> None:
    path, _, symbol = row["code"].partition(":")
    text = re.sub(r"[\"']\s*\n\s*f?[\"']", "", (ROOT / path).read_text())  # literals split over lines, joined
    assert re.search(rf"^\s*(async def |def |class ){re.escape(symbol)}\b|^\s*{re.escape(symbol)}\s*[:=]", text,
                     re.MULTILINE), f"{row['id']}: {symbol} not in {path}"
    if row.get("message") and ported(row):
        assert row["message"] in text, f"{row['id']}: {row['message']!r} not in {path}"


@pytest.mark.parametrize("row", [row for row in rows() if row.get("test")], ids=lambda row: row["id"])
def test_the_test_a_row_names_exists(row: dict[str, Any]) -> None:
    path, _, name = row["test"].partition("::")
    assert re.search(rf"^def {re.escape(name)}\(", (ROOT / path).read_text(), re.MULTILINE), row["id"]


def test_the_cli_has_exactly_the_talosctl_flags_the_list_ports() -> None:
    listed = {row["flag"] for row in rows() if row.get("flag") and ported(row)}
    refused = {row["flag"] for row in rows() if row.get("flag") and not ported(row)}
    assert cli_flags() == listed and not cli_flags() & refused


def test_the_cron_job_sets_exactly_the_talos_backup_variables_the_list_ports() -> None:
    listed = {row["env"] for row in rows() if row.get("env") and ported(row)}
    refused = {row["env"] for row in rows() if row.get("env") and not ported(row)}
    assert talos_backup_variables() == listed and not talos_backup_variables() & refused
