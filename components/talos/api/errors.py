"""API errors a user can act on: each names the node, its address, the call, and what to check."""

from __future__ import annotations

from grpclib.const import Status

from ..errors import MESSAGE_LIMIT, NAME_LIMIT, TalosError, terminal_safe

TALOS_API_PORT = 50000

# FailedPrecondition texts Talos uses for "try again shortly" (bootstrap before CRI, clock, apply races,
# EtcdRecover before EPHEMERAL is mounted).
_TRANSIENT_PRECONDITIONS = ("not available yet", "time is not in sync", "already in progress",
                            "node is rebooting", "not ready for recovery yet")
_PERMANENT = {Status.INVALID_ARGUMENT, Status.PERMISSION_DENIED, Status.UNAUTHENTICATED, Status.ALREADY_EXISTS,
              Status.UNIMPLEMENTED, Status.NOT_FOUND}


class TalosAPIError(TalosError):
    """A failed call. `status` is the gRPC status when the node answered, None when it could not be reached."""

    def __init__(self, *, node: str, address: str, call: str, detail: str, status: Status | None = None,
                 hint: str = "", transient: bool = False, connected: bool = True) -> None:
        # node and detail often come from the node itself (a hostname, an error text): printed as terminal_safe
        # makes them, each bounded (a node's own text may be 32 MiB); hints and addresses are this program's.
        self.node = node = terminal_safe(node, NAME_LIMIT)
        self.address = address
        self.call = call
        self.detail = detail = terminal_safe(detail, MESSAGE_LIMIT, lines=True)
        self.status = status
        self.hint = hint
        self.transient = transient
        self.connected = connected  # False: no TCP connection at all (refused, unreachable, timed out)
        where = f"{node} at {address}" if address.startswith(f"{node}:") else f"{node} via endpoint {address}"
        code = f" {status.name}:" if status is not None else ""
        message = f"node {where}: {call}:{code} {detail}"
        super().__init__(f"{message}; {hint}" if hint else message)

    def again(self, detail: str, hint: str = "") -> TalosAPIError:
        """The same error with a new explanation (e.g. after the retry deadline ran out)."""
        return TalosAPIError(node=self.node, address=self.address, call=self.call, detail=detail,
                             status=self.status, hint=hint or self.hint, transient=False, connected=self.connected)


def status_is_transient(status: Status, message: str) -> bool:
    if status in _PERMANENT:
        return False
    if status == Status.FAILED_PRECONDITION:
        return any(text in message for text in _TRANSIENT_PRECONDITIONS)
    return status in (Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.ABORTED, Status.UNKNOWN,
                      Status.RESOURCE_EXHAUSTED, Status.INTERNAL)


def hint_for_status(status: Status) -> str:
    if status == Status.PERMISSION_DENIED:
        return "check that the talosconfig's certificate carries a role allowed to make this call (os:admin)"
    if status == Status.UNAUTHENTICATED:
        return "check that the talosconfig belongs to this cluster"
    return ""


def unreachable_hint(address: str) -> str:
    return f"check that the node is up and port {TALOS_API_PORT}/tcp on {address} is reachable from here"


WRONG_CLUSTER_HINT = ("the node presented a certificate that is not signed by this cluster's OS CA; check that the "
                      "talosconfig (or the secrets) belong to this cluster and the address is right")
FINGERPRINT_HINT = ("the node in maintenance mode presented a certificate whose fingerprint is not pinned "
                    "(--cert-fingerprint); no config was sent. Check the address, or read the fingerprint again "
                    "from the node's console (it changes at every boot in maintenance mode)")
# A secure call met a node in maintenance mode (no config yet, or reset): its certificate comes from the node's
# own boot-time CA, so no cluster CA can verify it; talosctl only says "certificate signed by unknown authority".
# Anything can answer as a maintenance node does (a certificate no cluster CA signed, clients without one
# accepted): the hint says how to configure a node safely (pinned), and what else it may be.
MAINTENANCE_DETAIL = ("the node is in maintenance mode, or something answers as one: it accepts clients without a "
                      "certificate and presents a certificate not signed by this cluster's OS CA")
MAINTENANCE_HINT = ("add --insecure: a node in maintenance mode has no config and takes only insecure calls "
                    "(apply-config --insecure --file CONFIG, pinned with --cert-fingerprint as its console shows); "
                    "a reset node needs its config again before bootstrap. If the node should be configured, "
                    "something else answers at this address: check it before sending anything")
CLIENT_REFUSED_HINT = ("the node refused the client certificate; check that the talosconfig belongs to this cluster "
                       "(a node in maintenance mode needs --insecure instead)")
