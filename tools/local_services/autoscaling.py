"""Target tracking as Application Auto Scaling does it, on the ECS services' metrics.

The fixes of this module are ``moto_fixes`` fixes like the others (registered with its
``@fix``, imported at the end of ``moto_fixes``; tests in
``tests/functional/test_emulator_scaling.py``):

* ``application_autoscaling_target_tracking_creates_aws_alarms``: PutScalingPolicy with a
  target tracking configuration on an ECS service makes the two alarms AWS makes
  (``TargetTracking-<resource id>-AlarmHigh-<uuid>``: the metric's ``Average`` over 60 s
  greater than the target for 3 of 3 periods; ``...-AlarmLow-<uuid>``: less than 90 % of
  the target for 15 of 15 periods; unit ``Percent``, missing data ``missing``, the
  description ``DO NOT EDIT OR DELETE. For TargetTrackingScaling policy <arn>.``); an
  update keeps the policy's ARN and replaces its alarms; DeregisterScalableTarget deletes
  the target's policies and their alarms.
* ``ecs_services_publish_utilization_metrics``: switches on the ECS service metrics that
  ``ecs_metrics`` measures from the local tasks' processes (run-tasks mode).
* ``application_autoscaling_target_tracking_scales_ecs_services``: the alarms of the
  target tracking policies are evaluated on their metric, period after period; while an
  alarm is in ALARM (Auto Scaling actions repeat every period, unlike other actions), its
  policy sets the ECS service's desired count, as AWS documents it: proportionally to
  the metric (``ceil(capacity * metric / target)``), within the scalable target's range;
  scale-out when any policy asks (the largest capacity wins; during the scale-out
  cooldown the capacity the last scale-out added counts as already there), scale-in only
  when every policy with scale-in enabled is ready to (``DisableScaleIn`` ones do not
  take part), not during the scale-in cooldown, not while an ECS deployment is in
  progress, not when the target's ``DynamicScalingInSuspended`` /
  ``DynamicScalingOutSuspended`` says so; every change is a scaling activity.
* ``application_autoscaling_describe_scaling_activities``: DescribeScalingActivities lists
  them, newest first (``Description`` "Setting desired count to N.", ``Cause`` "monitor
  alarm <alarm> in state ALARM triggered policy <policy>", ``StatusCode`` ``Successful``).

Time (``TIME_SCALE``, the launcher's ``--time-scale`` / ``OPENWEBUI_LOCAL_TIME_SCALE``):
AWS's metric periods (60 s), ECS's 20-second samples and the policies' cooldowns are
multiplied by it; 1 (the default) is AWS's timing, ``0.05`` makes a minute 3 seconds.

Only the target tracking policies' alarms are evaluated (other alarms keep moto's
behaviour: their state changes only through SetAlarmState); step scaling policies do not
act; a missing datapoint never breaches (``missing``: the alarm needs its datapoints).
"""

from __future__ import annotations

import functools
import json
import math
import threading
import time
import uuid
from datetime import UTC, datetime

from .moto_fixes import fix

TIME_SCALE = 1.0  # set by moto_fixes.apply(time_scale=...)
METRICS_PUBLISHED = False  # ecs_services_publish_utilization_metrics
_SCALING = False  # application_autoscaling_target_tracking_scales_ecs_services
_PERIOD = 60  # seconds of an AWS metric period (before TIME_SCALE)
_DEFAULT_COOLDOWN = 300  # ECS services' default scale-out / scale-in cooldown (API reference)
_PREDEFINED = {
    "ECSServiceAverageCPUUtilization": ("AWS/ECS", "CPUUtilization"),
    "ECSServiceAverageMemoryUtilization": ("AWS/ECS", "MemoryUtilization"),
}
_LOCK = threading.RLock()
_THREAD: threading.Thread | None = None
_EVALUATED: dict[str, float] = {}  # alarm ARN -> the end of the last period evaluated (epoch seconds)
_TARGETS: dict[tuple, dict] = {}  # (account, region, resource id, dimension) -> cooldown bookkeeping


def seconds(aws_seconds: float) -> float:
    """How long ``aws_seconds`` of AWS's time last in the emulator (``TIME_SCALE``)."""
    return float(aws_seconds) * TIME_SCALE


# -- the alarms of a target tracking policy ---------------------------------------------------


def _metric_of(policy) -> dict | None:
    """Namespace, metric, dimensions, statistic and unit the policy tracks (None: not emulated)."""
    config = policy.target_tracking_scaling_policy_configuration or {}
    predefined = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    if predefined in _PREDEFINED:
        _service, cluster, service = policy.resource_id.split("/")
        namespace, name = _PREDEFINED[predefined]
        dimensions = [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": service}]
        return {"namespace": namespace, "name": name, "dimensions": dimensions, "statistic": "Average"} | {
            "unit": "Percent"
        }
    custom = config.get("CustomizedMetricSpecification") or {}
    if custom.get("MetricName"):
        return {
            "namespace": custom.get("Namespace"),
            "name": custom["MetricName"],
            "dimensions": list(custom.get("Dimensions") or []),
            "statistic": custom.get("Statistic", "Average"),
            "unit": custom.get("Unit"),
        }
    return None


def _make_alarms(policy) -> list:
    """The AlarmHigh and AlarmLow alarms of an ECS service's target tracking policy."""
    from moto.cloudwatch.models import cloudwatch_backends

    metric = _metric_of(policy)
    if metric is None:
        return []
    cloudwatch = cloudwatch_backends[policy.account_id][policy.region_name]
    target = float((policy.target_tracking_scaling_policy_configuration or {}).get("TargetValue", 0))
    action = f"{policy.policy_arn}:createdBy/{uuid.uuid4()}"
    alarms = []
    for kind, operator, periods, threshold in (
        ("AlarmHigh", "GreaterThanThreshold", 3, target),
        ("AlarmLow", "LessThanThreshold", 15, round(target * 0.9, 10)),
    ):
        alarm = cloudwatch.put_metric_alarm(
            name=f"TargetTracking-{policy.resource_id}-{kind}-{uuid.uuid4()}",
            namespace=metric["namespace"],
            metric_name=metric["name"],
            comparison_operator=operator,
            evaluation_periods=periods,
            datapoints_to_alarm=periods,
            period=_PERIOD,
            threshold=threshold,
            statistic=metric["statistic"],
            description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}.",
            dimensions=metric["dimensions"],
            alarm_actions=[action],
            unit=metric["unit"],
            treat_missing_data="missing",
        )
        # A new alarm has not been evaluated yet.
        alarm.state_value, alarm.state_reason = "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"
        alarms.append(alarm)
    return alarms


def _delete_alarms(policy) -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch_backends[policy.account_id][policy.region_name].delete_alarms([a.name for a in policy.alarms])
    for alarm in policy.alarms:
        _EVALUATED.pop(alarm.alarm_arn, None)


@fix
def application_autoscaling_target_tracking_creates_aws_alarms(pending):
    """AWS: PutScalingPolicy of a target tracking policy on an ECS service creates two
    CloudWatch alarms on the policy's metric (``Average``, 60-second periods, ``Percent``,
    missing data ``missing``): ``AlarmHigh``, greater than the target value for 3 of 3
    periods, and ``AlarmLow``, less than 90 % of it for 15 of 15; their description is
    ``DO NOT EDIT OR DELETE. For TargetTrackingScaling policy <policy ARN>:createdBy/<uuid>.``
    An update of the policy keeps its ARN and replaces the alarms; DeregisterScalableTarget
    deletes the target's policies ("Any scaling policies that were specified for the
    scalable target are deleted") and so their alarms. moto: both alarms have the threshold
    6 whatever the target, 1 datapoint to alarm; an update makes a new ARN and leaves the
    old alarms behind; a deregistered target's policies stay. Broke: the target tracking
    policies of the ecs_service role could never act on a metric."""
    from moto.applicationautoscaling.models import ApplicationAutoscalingBackend, FakeApplicationAutoscalingPolicy

    FakeApplicationAutoscalingPolicy._generate_ecs_alarms = _make_alarms
    put = ApplicationAutoscalingBackend.put_scaling_policy
    deregister = ApplicationAutoscalingBackend.deregister_scalable_target

    @functools.wraps(put)
    def put_scaling_policy(self, policy_name, service_namespace, resource_id, scalable_dimension, *args, **kwargs):
        key = FakeApplicationAutoscalingPolicy.formulate_key(
            service_namespace, resource_id, scalable_dimension, policy_name
        )
        old = self.policies.get(key)
        policy = put(self, policy_name, service_namespace, resource_id, scalable_dimension, *args, **kwargs)
        if old is not None and old is not policy:
            _delete_alarms(old)
            if policy.alarms:  # made with the new ARN: made again with the one the policy keeps
                _delete_alarms(policy)
                policy.alarms = []
            policy.policy_arn, policy._guid = old.policy_arn, old._guid
            policy.creation_time = old.creation_time
            policy.create_alarms()
        if policy.alarms:
            _start()
        return policy

    @functools.wraps(deregister)
    def deregister_scalable_target(self, namespace, r_id, dimension):
        deregister(self, namespace, r_id, dimension)
        for key, policy in list(self.policies.items()):
            if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (
                namespace,
                r_id,
                dimension,
            ):
                _delete_alarms(policy)
                del self.policies[key]

    ApplicationAutoscalingBackend.put_scaling_policy = put_scaling_policy
    ApplicationAutoscalingBackend.deregister_scalable_target = deregister_scalable_target


@fix
def ecs_services_publish_utilization_metrics(pending):
    """AWS: ECS publishes every service's ``CPUUtilization`` and ``MemoryUtilization``
    (namespace ``AWS/ECS``, dimensions ``ClusterName`` and ``ServiceName``, unit ``Percent``)
    once a minute while it has running tasks: the CPU and memory its tasks use, in percent
    of what the task definition reserves, sampled every 20 seconds (Average: over the
    service's tasks; Minimum / Maximum: the least and most busy task). moto: no metric.
    Broke: the ecs_service role's target tracking policies had nothing to track. In
    run-tasks mode ``ecs_metrics`` measures the tasks' processes (this fix switches it on);
    without tasks there is nothing to measure."""
    global METRICS_PUBLISHED
    METRICS_PUBLISHED = True


# -- evaluating the alarms, running the policies ----------------------------------------------


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


def _datapoints(cloudwatch, alarm, end: float, period: float) -> list[float | None]:
    """The alarm's statistic for its last ``evaluation_periods`` periods before ``end``
    (epoch seconds), newest first; None for a period without data."""
    wanted = {(d.name, d.value) for d in alarm.dimensions}
    buckets: list[list] = [[] for _period in range(int(alarm.evaluation_periods))]
    for datum in list(cloudwatch.metric_data):
        if datum.namespace != alarm.namespace or datum.name != alarm.metric_name:
            continue
        if {(d.name, d.value) for d in datum.dimensions} != wanted:
            continue
        # Periods back from ``end``: a datum stamped at its period's start (microseconds
        # rounded) belongs to that period.
        index = math.ceil((end - _epoch(datum.timestamp)) / period - 1e-6) - 1
        if 0 <= index < len(buckets):
            buckets[index].append(datum)
    values: list[float | None] = []
    for data in buckets:
        if not data:
            values.append(None)
            continue
        count = sum(getattr(d, "sample_count", 1) for d in data)
        total = sum(getattr(d, "sum", getattr(d, "value", 0.0)) for d in data)
        low = min(getattr(d, "min", getattr(d, "value", 0.0)) for d in data)
        high = max(getattr(d, "max", getattr(d, "value", 0.0)) for d in data)
        values.append(
            {"Average": total / count if count else 0.0, "Sum": total, "Minimum": low, "Maximum": high}.get(
                alarm.statistic, float(count)
            )
        )
    return values


_OPERATORS = {
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}


def _evaluate(cloudwatch, alarm, end: float, period: float) -> None:
    """Set the alarm's state from its datapoints, with CloudWatch's reason."""
    values = _datapoints(cloudwatch, alarm, end, period)
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    compare, words = _OPERATORS.get(alarm.comparison_operator, _OPERATORS["GreaterThanThreshold"])
    breaching = [(i, v) for i, v in present if compare(v, float(alarm.threshold))]
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    threshold = f"the threshold ({float(alarm.threshold):g})"

    def listed(points) -> str:
        return ", ".join(f"{v:g} ({stamp(i)})" for i, v in points)

    def stamp(index: int) -> str:
        return datetime.fromtimestamp(end - period * (index + 1), UTC).strftime("%d/%m/%y %H:%M:%S")

    def were(points) -> str:
        return "were" if len(points) != 1 else "was"

    def many(points) -> str:
        return f"{len(points)} datapoint{'s' if len(points) != 1 else ''} [{listed(points)}] {were(points)}"

    if not present:
        state, reason = "INSUFFICIENT_DATA", f"Insufficient Data: {len(values)} datapoints were unknown."
    elif len(breaching) >= needed:
        state = "ALARM"
        reason = f"Threshold Crossed: {many(breaching)} {words} {threshold}."
    elif breaching:  # not enough of them yet
        state = "OK"
        reason = (
            f"Threshold Crossed: {len(breaching)} out of the last {len(present)} datapoints [{listed(breaching)}] "
            f"{were(breaching)} {words} {threshold} (minimum {needed} datapoints for OK -> ALARM transition)."
        )
    else:
        state = "OK"
        reason = f"Threshold Crossed: {many(present)} not {words} {threshold}."
    alarm.local_latest = values[0]  # the newest datapoint: what the policy scales on
    if state != alarm.state_value:
        data = {
            "version": "1.0",
            "queryDate": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
            "statistic": alarm.statistic,
            "period": alarm.period,
            "recentDatapoints": [v for _i, v in present],
            "threshold": float(alarm.threshold),
        }
        cloudwatch.set_alarm_state(alarm.name, reason, json.dumps(data), state)


def _start() -> None:
    """The evaluation thread, started with the first target tracking policy."""
    global _THREAD
    with _LOCK:
        if not _SCALING or (_THREAD is not None and _THREAD.is_alive()):
            return
        _THREAD = threading.Thread(target=_loop, name="target-tracking", daemon=True)
        _THREAD.start()


def _loop() -> None:
    while True:
        time.sleep(max(0.1, min(1.0, seconds(_PERIOD) / 8)))
        try:
            tick(time.time())
        except Exception as error:  # keep evaluating: one bad policy must not stop the others
            print(f"autoscaling: {error!r}", flush=True)


def tick(now: float) -> None:
    """Evaluate every target tracking alarm whose period has ended (half a period after
    its end, so that the period's datapoints are in) and run the policies."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends
    from moto.cloudwatch.models import cloudwatch_backends

    for account, regions in list(applicationautoscaling_backends.items()):
        for region, backend in list(regions.items()):
            cloudwatch = cloudwatch_backends[account][region]
            evaluated: dict[tuple[str, str], list] = {}
            for policy in list(backend.policies.values()):
                if policy.policy_type != "TargetTrackingScaling" or policy.service_namespace != "ecs":
                    continue
                for alarm in policy.alarms:
                    if cloudwatch.alarms.get(alarm.name) is not alarm:
                        continue  # deleted by hand
                    period = seconds(alarm.period or _PERIOD)
                    end = math.floor((now - period / 2) / period) * period
                    if end <= _EVALUATED.get(alarm.alarm_arn, 0):
                        continue
                    _EVALUATED[alarm.alarm_arn] = end
                    _evaluate(cloudwatch, alarm, end, period)
                    evaluated.setdefault((policy.resource_id, policy.scalable_dimension), [])
            for resource_id, dimension in evaluated:
                policies = [
                    p
                    for p in backend.policies.values()
                    if (p.resource_id, p.scalable_dimension) == (resource_id, dimension)
                    and p.policy_type == "TargetTrackingScaling"
                ]
                try:
                    _scale(backend, account, region, resource_id, dimension, policies, now)
                except Exception as error:  # a service gone meanwhile, ...: the others still scale
                    print(f"autoscaling: {resource_id}: {error!r}", flush=True)


def _alarm(policy, kind: str):
    return next((a for a in policy.alarms if f"-{kind}-" in a.name), None)


def _scale(backend, account: str, region: str, resource_id: str, dimension: str, policies: list, now: float) -> None:
    target = backend.targets.get(dimension, {}).get(resource_id)
    if target is None or dimension != "ecs:service:DesiredCount":
        return
    _kind, cluster, name = resource_id.split("/")
    service = backend.ecs_backend._get_service(cluster, name)
    if service.status != "ACTIVE":
        return
    state = _TARGETS.setdefault((account, region, resource_id, dimension), {"out_until": 0.0, "in_until": 0.0})
    current = int(service.desired_count)
    low, high = int(target.min_capacity), int(target.max_capacity)
    suspended = target.suspended_state or {}
    outs, ins, all_ready = [], [], True
    for policy in policies:
        config = policy.target_tracking_scaling_policy_configuration or {}
        value_target = float(config.get("TargetValue") or 0) or 1e-9
        alarm_high, alarm_low = _alarm(policy, "AlarmHigh"), _alarm(policy, "AlarmLow")
        latest_high = getattr(alarm_high, "local_latest", None)
        if alarm_high is not None and alarm_high.state_value == "ALARM" and latest_high is not None:
            # During the scale-out cooldown the capacity the last scale-out added counts as there.
            base = state["before_out"] if now < state["out_until"] else current
            wanted = math.ceil(base * latest_high / value_target - 1e-9)
            outs.append((wanted, policy, alarm_high, config))
        if bool(config.get("DisableScaleIn")):
            continue
        latest_low = getattr(alarm_low, "local_latest", None)
        if alarm_low is not None and alarm_low.state_value == "ALARM" and latest_low is not None:
            wanted = math.ceil(current * latest_low / value_target - 1e-9)
            ins.append((wanted, policy, alarm_low, config))
        else:
            all_ready = False
    if outs and not suspended.get("DynamicScalingOutSuspended"):
        wanted, policy, alarm, config = max(outs, key=lambda o: o[0])
        desired = min(max(wanted, low), high)
        if desired > current:
            if now >= state["out_until"]:
                state["before_out"] = current
            state["out_until"] = now + seconds(config.get("ScaleOutCooldown", _DEFAULT_COOLDOWN))
            state["in_until"] = 0.0  # a scale-out ends the scale-in cooldown
            _set_desired(backend, service, resource_id, dimension, desired, policy, alarm)
            return
    deploying = any(d.get("rolloutState") == "IN_PROGRESS" for d in service.deployments or [])
    if ins and all_ready and not suspended.get("DynamicScalingInSuspended") and not deploying:
        if now < state["in_until"]:
            return
        wanted, policy, alarm, config = max(ins, key=lambda i: i[0])  # the largest capacity wins
        desired = min(max(wanted, low), high)
        if desired < current:
            state["in_until"] = now + seconds(config.get("ScaleInCooldown", _DEFAULT_COOLDOWN))
            _set_desired(backend, service, resource_id, dimension, desired, policy, alarm)


def _set_desired(backend, service, resource_id: str, dimension: str, desired: int, policy, alarm) -> None:
    started = time.time()
    service.desired_count = desired
    if service.deployments:
        service.deployments[0]["desiredCount"] = desired
    activities = backend.__dict__.setdefault("_local_activities", [])
    activities.insert(
        0,
        {
            "ActivityId": str(uuid.uuid4()),
            "ServiceNamespace": "ecs",
            "ResourceId": resource_id,
            "ScalableDimension": dimension,
            "Description": f"Setting desired count to {desired}.",
            "Cause": f"monitor alarm {alarm.name} in state ALARM triggered policy {policy.policy_name}",
            "StartTime": started,
            "EndTime": time.time(),
            "StatusCode": "Successful",
            "StatusMessage": f"Successfully set desired count to {desired}. Change successfully fulfilled by ecs.",
        },
    )


@fix
def application_autoscaling_target_tracking_scales_ecs_services(pending):
    """AWS: Application Auto Scaling's target tracking alarms are evaluated on their metric
    every period; while one is in ALARM its policy changes the ECS service's desired count
    (proportionally to the metric, within the scalable target's range; scale-out as soon as
    any policy asks, scale-in only when all the policies that may scale in agree, after the
    scale-in cooldown and never during an ECS deployment; ``DisableScaleIn`` and the
    target's ``SuspendedState`` honoured; cooldowns default to 300 s for ECS). moto: alarms
    are never evaluated and policies never act. Broke: the ecs_service role's CPU and memory
    policies (1-4 tasks) never started or stopped a task locally."""
    global _SCALING
    _SCALING = True


@fix
def application_autoscaling_describe_scaling_activities(pending):
    """AWS: DescribeScalingActivities lists a namespace's scaling activities (optionally of
    one resource and dimension), newest first, each with ``Description`` ("Setting desired
    count to 2."), ``Cause`` ("monitor alarm <name> in state ALARM triggered policy
    <name>"), ``StartTime``, ``EndTime``, ``StatusCode`` and ``StatusMessage``. moto: not
    implemented. Broke: what autoscaling did could not be read back (scale.yml, a test)."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    def describe_scaling_activities(self):
        backend = self.applicationautoscaling_backend
        namespace = self._get_param("ServiceNamespace")
        resource_id = self._get_param("ResourceId")
        dimension = self._get_param("ScalableDimension")
        found = [
            a
            for a in backend.__dict__.get("_local_activities", [])
            if a["ServiceNamespace"] == namespace
            and (not resource_id or a["ResourceId"] == resource_id)
            and (not dimension or a["ScalableDimension"] == dimension)
        ]
        start = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxResults") or 50)
        page = {"ScalingActivities": found[start : start + size]}
        if start + size < len(found):
            page["NextToken"] = str(start + size)
        return json.dumps(page)

    ApplicationAutoScalingResponse.describe_scaling_activities = describe_scaling_activities
