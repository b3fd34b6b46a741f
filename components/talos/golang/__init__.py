"""Go library behaviour the project ports, for verdicts and messages to match the Go programs it stands in for
(talosctl, Talos's config checks, talhelper): one module per Go package, each function named for the Go function
it follows. Nothing here imports more than the standard library.

``strconv`` (quoting, numbers), ``durations`` (time.ParseDuration, Duration.String), ``netip`` (net/netip, net,
siderolabs/net), ``url`` (net/url), ``humanize`` (dustin/go-humanize sizes), ``encoding`` (encoding/base64,
encoding/pem), ``filepath`` (path/filepath), ``multierror`` (hashicorp/go-multierror), ``semver``
(blang/semver), ``rsa`` (crypto/rsa key validation).
"""

from __future__ import annotations

from collections.abc import Callable


def error_of(parse: Callable[[str], object], text: str) -> str | None:
    """The error a Go-style parser of this package gives `text` (its ValueError's text), or None."""
    try:
        parse(text)
    except ValueError as error:
        return str(error)
    return None
