"""Operators' plan tool: list the plans, show a tenant's plan and usage, put a tenant on a plan.

    python -m parley.tools.plans list
    python -m parley.tools.plans show <tenant_id>
    python -m parley.tools.plans assign <tenant_id> <plan>

It works on the table `PARLEY_TABLE_NAME` names, with the AWS credentials and endpoint of the environment
(boto3's usual variables); `make plan` runs it, against `make run`'s stack unless PARLEY_TABLE_NAME is set.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from parley.domain.plans import COUNTERS, PLANS, Plan, UsageReport
from parley.errors import ConfigurationError, NotFound
from parley.services.quotas import Quotas


def _number(value: int, counter: str) -> str:
    return f"{value / 1_000_000:,.1f} MB" if counter == "stored_bytes" else f"{value:,}"


def plan_table(plans: Sequence[Plan]) -> str:
    """The plans side by side, a row per limit."""
    rows = [["", *(plan.name for plan in plans)]]
    rows += [[counter, *(_number(plan.limit(counter), counter) for plan in plans)] for counter in COUNTERS]
    rows.append(["models", *(", ".join(plan.models) if plan.models else "the deployment's" for plan in plans)])
    rows.append(["max_tokens", *(f"{plan.max_tokens:,}" for plan in plans)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def usage_table(tenant_id: str, report: UsageReport) -> str:
    lines = [
        f"tenant {tenant_id}: plan {report.plan} ({report.plan_title})",
        f"period {report.period.start:%Y-%m-%d} to {report.period.end:%Y-%m-%d} (monthly counters reset then)",
    ]
    lines += [
        f"  {counter:<13} {_number(report.usage[counter], counter):>12} of {_number(report.limits[counter], counter)}"
        for counter in COUNTERS
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, quotas: Quotas | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m parley.tools.plans", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the plans and their limits")
    show = commands.add_parser("show", help="a tenant's plan and usage this month")
    show.add_argument("tenant_id")
    assign = commands.add_parser("assign", help="put a tenant on a plan")
    assign.add_argument("tenant_id")
    assign.add_argument("plan", choices=list(PLANS))
    args = parser.parse_args(argv)
    if args.command == "list":
        print(plan_table(list(PLANS.values())))
        return 0
    if quotas is None:
        from parley.container import get_container

        try:
            quotas = get_container().quotas
        except ConfigurationError as error:
            print(f"{error}: name the table to work on (or start `make run` for its local one)", file=sys.stderr)
            return 2
    if args.command == "assign":
        try:
            quotas.assign(args.tenant_id, args.plan)
        except NotFound as error:
            print(error, file=sys.stderr)
            return 1
    print(usage_table(args.tenant_id, quotas.report(args.tenant_id)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
