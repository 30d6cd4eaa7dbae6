"""The template's alarms evaluated locally: CloudWatch's rules for thresholds and missing data, metric math, composite
rules, and what PutMetricAlarm refuses refused when the stack starts."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from local.cloudwatch.alarms import (
    ALARM,
    INSUFFICIENT_DATA,
    OK,
    AlarmEvaluator,
    CompositeAlarm,
    MetricAlarm,
    template_alarms,
)
from local.cloudwatch.metric_math import NotEvaluated, evaluate
from local.cloudwatch.metrics import MetricClock, MetricStore
from local.template import Resolver, TemplateError

BREACH, FINE, GAP = 5.0, 0.0, None


def _alarm(**changes: Any) -> MetricAlarm:
    props = {
        "Namespace": "AWS/SQS",
        "MetricName": "NumberOfMessagesReceived",
        "Dimensions": [{"Name": "QueueName", "Value": "dlq"}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 3,
        "DatapointsToAlarm": 3,
        "Threshold": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        **changes,
    }
    return MetricAlarm.of("DlqAlarm", "dlq-alarm", {key: value for key, value in props.items() if value is not None})


@pytest.mark.parametrize(
    ("values", "treat", "current", "expected"),
    [
        # M of N reached, or not, whatever the treatment
        ([BREACH, BREACH, BREACH], "missing", OK, ALARM),
        ([FINE, BREACH, BREACH], "missing", ALARM, OK),
        ([FINE, FINE, FINE], "breaching", ALARM, OK),
        # no data at all
        ([GAP, GAP, GAP], "missing", OK, INSUFFICIENT_DATA),
        ([GAP, GAP, GAP], "ignore", ALARM, ALARM),
        ([GAP, GAP, GAP], "ignore", OK, OK),
        ([GAP, GAP, GAP], "breaching", OK, ALARM),
        ([GAP, GAP, GAP], "notBreaching", ALARM, OK),
        # some missing: counted as the treatment says
        ([BREACH, GAP, BREACH], "breaching", OK, ALARM),
        ([BREACH, GAP, BREACH], "notBreaching", ALARM, OK),
        ([FINE, GAP, BREACH], "missing", ALARM, OK),
        # fewer datapoints than M, all breaching: missing alarms, ignore keeps the state
        ([GAP, BREACH, GAP], "missing", OK, ALARM),
        ([GAP, BREACH, GAP], "ignore", OK, OK),
    ],
)
def test_state_from_the_last_periods_and_the_treatment_of_missing_data(
    values: Any, treat: Any, current: Any, expected: Any
) -> None:
    alarm = _alarm(TreatMissingData=treat)

    state, reason = alarm.decide(values, current)

    assert state == expected, reason


def test_two_of_three_datapoints_to_alarm_and_the_other_comparisons() -> None:
    two_of_three = _alarm(DatapointsToAlarm=2)
    assert two_of_three.decide([FINE, BREACH, BREACH], OK)[0] == ALARM
    assert two_of_three.decide([BREACH, FINE, FINE], ALARM)[0] == OK
    below = _alarm(ComparisonOperator="LessThanThreshold", Threshold=2, EvaluationPeriods=1, DatapointsToAlarm=1)
    assert below.decide([1.0], OK)[0] == ALARM
    assert below.decide([2.0], ALARM)[0] == OK
    above = _alarm(ComparisonOperator="GreaterThanThreshold", EvaluationPeriods=1, DatapointsToAlarm=1)
    assert above.decide([1.0], ALARM)[0] == OK


class Clock:
    def __init__(self, now: float) -> None:
        self.value = now

    def __call__(self) -> float:
        return self.value


def test_an_alarm_turns_alarm_on_a_breaching_period_and_back_to_ok_with_its_history() -> None:
    # Given the DLQ alarm (one period, missing data not breaching) on a store whose metric minute lasts 2 s
    clock = Clock(1000.0)
    store = MetricStore(MetricClock(2, clock))
    alarm = _alarm(EvaluationPeriods=1, DatapointsToAlarm=1, TreatMissingData="notBreaching")
    evaluator = AlarmEvaluator([alarm], [], store)

    # When a message is received from the DLQ in one period, and none in the next
    clock.value = 1000.5
    store.record("AWS/SQS", "NumberOfMessagesReceived", 1, QueueName="dlq")
    clock.value = 1002.2
    evaluator.evaluate()
    clock.value = 1004.2
    evaluator.evaluate()

    # Then the alarm went to ALARM after the first period and back to OK after the second, both kept
    transitions = [(entry["from"], entry["to"]) for entry in evaluator.states["dlq-alarm"].history]
    assert transitions == [(INSUFFICIENT_DATA, ALARM), (ALARM, OK)]
    assert evaluator.report()[0]["state"] == OK


def test_an_alarm_going_off_warns_while_the_first_evaluation_into_ok_does_not(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given the DLQ alarm, not yet evaluated, on a store whose metric minute lasts 2 s
    clock = Clock(1000.0)
    store = MetricStore(MetricClock(2, clock))
    alarm = _alarm(EvaluationPeriods=1, DatapointsToAlarm=1, TreatMissingData="notBreaching")
    evaluator = AlarmEvaluator([alarm], [], store)
    caplog.set_level(logging.DEBUG, logger="local")

    # When it is first evaluated on a quiet period (as every alarm is at start), then goes off, then clears
    clock.value = 1002.2
    evaluator.evaluate()
    clock.value = 1002.5
    store.record("AWS/SQS", "NumberOfMessagesReceived", 1, QueueName="dlq")
    clock.value = 1004.2
    evaluator.evaluate()
    clock.value = 1006.2
    evaluator.evaluate()

    # Then only going off is a warning: the first OK is detail, the recovery information
    levels = [(record.levelname, record.getMessage().split(" (")[0]) for record in caplog.records]
    assert levels == [
        ("DEBUG", f"Alarm dlq-alarm: {INSUFFICIENT_DATA} -> {OK}"),
        ("WARNING", f"Alarm dlq-alarm: {OK} -> {ALARM}"),
        ("INFO", f"Alarm dlq-alarm: {ALARM} -> {OK}"),
    ]


def _math_alarm() -> MetricAlarm:
    def stat(metric_id: str, name: str) -> dict[str, Any]:
        metric = {"Namespace": "Parley", "MetricName": name, "Dimensions": [{"Name": "service", "Value": "parley"}]}
        return {"Id": metric_id, "ReturnData": False, "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"}}

    return MetricAlarm.of(
        "Degraded",
        "degraded",
        {
            "Metrics": [
                stat("degraded", "AnswersDegraded"),
                stat("answered", "QuestionsAnswered"),
                {"Id": "rate", "Expression": "100 * FILL(degraded, 0) / answered"},
            ],
            "EvaluationPeriods": 1,
            "Threshold": 50,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
    )


def test_a_metric_math_alarm_evaluates_its_expression_on_the_periods() -> None:
    # Given the degraded-answer rate alarm
    clock = Clock(600.0)
    store = MetricStore(MetricClock(60, clock))
    alarm = _math_alarm()

    # When two answers of a minute were degraded, then one of the next minute's two was not
    clock.value = 610.0
    store.record("Parley", "QuestionsAnswered", 2, service="parley")
    store.record("Parley", "AnswersDegraded", 2, service="parley")
    clock.value = 670.0
    store.record("Parley", "QuestionsAnswered", 4, service="parley")
    store.record("Parley", "AnswersDegraded", 1, service="parley")

    # Then the first minute's rate is 100 % (ALARM), the second's 25 % (OK), and a minute without answers is missing
    assert alarm.values(store, 660.0) == [100.0]
    assert alarm.values(store, 720.0) == [25.0]
    assert alarm.values(store, 780.0) == [None]
    assert alarm.decide(alarm.values(store, 660.0), OK)[0] == ALARM
    assert alarm.decide(alarm.values(store, 720.0), ALARM)[0] == OK
    assert alarm.decide(alarm.values(store, 780.0), ALARM)[0] == OK


def test_metric_math_outside_the_local_subset_is_said_not_evaluated() -> None:
    with pytest.raises(NotEvaluated, match="ANOMALY_DETECTION_BAND"):
        evaluate("ANOMALY_DETECTION_BAND(m1, 2)", {"m1": {0.0: 1.0}}, [0.0])


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ('ALARM("dlq")', True),
        ('ALARM("degraded")', False),
        ('ALARM("dlq") AND ALARM("degraded")', False),
        ('ALARM("dlq") OR ALARM("degraded")', True),
        ('NOT ALARM("dlq")', False),
        ('OK("degraded") AND (ALARM(dlq) OR INSUFFICIENT_DATA("fresh"))', True),
        ("ALARM(arn:aws:cloudwatch:us-east-1:123456789012:alarm:dlq)", True),
        ('TRUE AND NOT FALSE AND INSUFFICIENT_DATA("fresh")', True),
    ],
)
def test_composite_rules(rule: Any, expected: Any) -> None:
    composite = CompositeAlarm("Critical", "critical", "", rule)

    state, _ = composite.decide({"dlq": ALARM, "degraded": OK, "fresh": INSUFFICIENT_DATA})

    assert state == (ALARM if expected else OK)


def test_a_composite_follows_the_alarms_it_names() -> None:
    clock = Clock(1000.0)
    store = MetricStore(MetricClock(2, clock))
    alarm = _alarm(EvaluationPeriods=1, DatapointsToAlarm=1, TreatMissingData="notBreaching")
    critical = CompositeAlarm("Critical", "critical", "", 'ALARM("dlq-alarm")')
    evaluator = AlarmEvaluator([alarm], [critical], store)

    clock.value = 1000.5
    store.record("AWS/SQS", "NumberOfMessagesReceived", 3, QueueName="dlq")
    clock.value = 1002.2
    evaluator.evaluate()
    assert evaluator.states["critical"].state == ALARM
    clock.value = 1004.2
    evaluator.evaluate()
    assert evaluator.states["critical"].state == OK


@pytest.mark.parametrize(
    ("changes", "refusal"),
    [
        ({"Period": 45}, "Period 45"),
        ({"DatapointsToAlarm": 4}, "DatapointsToAlarm"),
        ({"Statistic": None}, "Statistic or ExtendedStatistic"),
        ({"ExtendedStatistic": "p95"}, "Statistic or ExtendedStatistic"),
        ({"Statistic": "Median"}, "not a CloudWatch statistic"),
        ({"ComparisonOperator": "GreaterThanUpperThreshold"}, "ComparisonOperator"),
        ({"TreatMissingData": "zero"}, "TreatMissingData"),
        ({"Threshold": None}, "Threshold"),
        ({"Period": 3600, "EvaluationPeriods": 25, "DatapointsToAlarm": 1}, "one day"),
        ({"Metrics": [{"Id": "e1", "Expression": "1"}]}, "either MetricName or Metrics"),
    ],
)
def test_what_cloudwatch_refuses_is_refused_when_the_stack_starts(changes: Any, refusal: Any) -> None:
    with pytest.raises(TemplateError, match=refusal):
        _alarm(**changes)


@pytest.mark.parametrize(
    ("metrics", "refusal"),
    [
        ([{"Id": "e1", "Expression": "1"}, {"Id": "e2", "Expression": "2"}], "ReturnData"),
        ([{"Id": "E1", "Expression": "1"}], "lowercase"),
        ([{"Id": "e1", "Expression": "1", "ReturnData": True}], "name no metric"),
    ],
)
def test_metric_math_alarms_cloudwatch_refuses_are_refused(metrics: Any, refusal: Any) -> None:
    props = {"Metrics": metrics, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "LessThanThreshold"}
    with pytest.raises(TemplateError, match=refusal):
        MetricAlarm.of("Bad", "bad", props)


def _template(resources: dict[str, Any]) -> tuple[dict[str, Any], Resolver]:
    template = {"Resources": resources}
    return template, Resolver(template, {}, lambda logical_id, _: f"local-{logical_id}")


def test_a_composite_naming_an_alarm_that_does_not_exist_is_refused() -> None:
    template, resolver = _template(
        {"Critical": {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {"AlarmRule": 'ALARM("nowhere")'}}}
    )
    with pytest.raises(TemplateError, match="nowhere"):
        template_alarms(template, resolver)
