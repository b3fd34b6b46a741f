"""hashicorp/go-multierror's text for a list of errors (what Talos's ``%w`` of a multierror prints)."""

from __future__ import annotations


def format_errors(errors: list[str]) -> str:
    """multierror.ListFormatFunc: the count, then each error on its own bulleted line."""
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} {noun} occurred:\n" + "".join(f"\t* {error}\n" for error in errors) + "\n"
