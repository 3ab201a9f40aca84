"""The health of load balancer targets in local mode, shared by the ECS task runner and
the front door (both run in the emulator process).

The task runner (``ecs_runner``) registers each service task's address with its target
groups, probes it as the target group's health check says, and records the state here;
the front door (``front_door``) routes requests to what :func:`routable` returns;
``DescribeTargetHealth`` reports the same states. The states and reason codes are
Elastic Load Balancing's (``TargetHealth``):

* ``initial`` (``Elb.RegistrationInProgress``): registered, not yet passed the healthy
  threshold;
* ``healthy``;
* ``unhealthy`` (``Target.ResponseCodeMismatch``, ``Target.Timeout``,
  ``Target.FailedHealthChecks``);
* ``draining`` (``Target.DeregistrationInProgress``): deregistered, serving the requests
  it has until the deregistration delay has passed; then it is forgotten.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

_LOCK = threading.RLock()


@dataclass
class Target:
    ip: str
    port: int
    state: str = "initial"
    reason: str = "Elb.RegistrationInProgress"
    description: str = "Target registration is in progress"
    successes: int = 0  # consecutive passed checks
    failures: int = 0  # consecutive failed checks
    draining_until: float = 0.0  # monotonic
    registered_at: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> tuple[str, int]:
        return (self.ip, self.port)


# target group ARN -> (ip, port) -> Target
_GROUPS: dict[str, dict[tuple[str, int], Target]] = {}


def register(group_arn: str, ip: str, port: int) -> Target:
    """Register a target (``initial``); registering a draining one again makes it initial."""
    with _LOCK:
        targets = _GROUPS.setdefault(group_arn, {})
        target = targets.get((ip, port))
        if target is None or target.state == "draining":
            target = Target(ip, port)
            targets[(ip, port)] = target
        return target


def deregister(group_arn: str, ip: str, port: int, delay: float) -> None:
    """Start draining a target: no new requests; forgotten after ``delay`` seconds."""
    with _LOCK:
        target = _GROUPS.get(group_arn, {}).get((ip, port))
        if target is None or target.state == "draining":
            return
        target.state = "draining"
        target.reason = "Target.DeregistrationInProgress"
        target.description = "Target deregistration is in progress"
        target.draining_until = time.monotonic() + delay


def record_check(
    group_arn: str,
    ip: str,
    port: int,
    ok: bool,
    reason: str,
    description: str,
    healthy_threshold: int,
    unhealthy_threshold: int,
) -> str | None:
    """Count one health check of a target; return its state afterwards (None: not registered)."""
    with _LOCK:
        target = _GROUPS.get(group_arn, {}).get((ip, port))
        if target is None or target.state == "draining":
            return None if target is None else target.state
        if ok:
            target.successes, target.failures = target.successes + 1, 0
            if target.state != "healthy" and target.successes >= healthy_threshold:
                target.state, target.reason, target.description = "healthy", "", ""
        else:
            target.successes, target.failures = 0, target.failures + 1
            if target.failures >= unhealthy_threshold:
                target.state, target.reason, target.description = "unhealthy", reason, description
        return target.state


def expire() -> list[tuple[str, str, int]]:
    """Forget draining targets whose delay has passed; return (group, ip, port) of each."""
    now = time.monotonic()
    gone = []
    with _LOCK:
        for group_arn, targets in _GROUPS.items():
            for key, target in list(targets.items()):
                if target.state == "draining" and now >= target.draining_until:
                    del targets[key]
                    gone.append((group_arn, *key))
    return gone


def get(group_arn: str, ip: str, port: int) -> Target | None:
    with _LOCK:
        return _GROUPS.get(group_arn, {}).get((ip, port))


def targets(group_arn: str) -> list[Target]:
    """Every target the group knows (a copy), in registration order."""
    with _LOCK:
        return [Target(**vars(t)) for t in _GROUPS.get(group_arn, {}).values()]


def routable(group_arn: str) -> list[tuple[str, int]]:
    """Where a load balancer sends a new request: the healthy targets; when none is
    healthy, every registered target that is not draining (ELB fails open); else none."""
    with _LOCK:
        current = [t for t in _GROUPS.get(group_arn, {}).values() if t.state != "draining"]
        healthy = [t.key for t in current if t.state == "healthy"]
        if healthy:
            return healthy
        return [t.key for t in current if t.state == "unhealthy"]


def clear() -> None:
    with _LOCK:
        _GROUPS.clear()
