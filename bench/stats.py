"""Pure functions of the benchmark: statistics, tables, the critical path, request counts.

No I/O and no AWS here, so that ``tests/functional/test_bench.py`` covers them fast.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

READ_PREFIXES = ("Describe", "List", "Get", "Head", "Lookup", "GET ", "HEAD ")


def summary(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, min, max) of the runs' values."""
    if not values:
        raise ValueError("no values")
    return statistics.median(values), min(values), max(values)


def fmt_seconds(value: float) -> str:
    return f"{value:.1f}"


def fmt_cell(values: Sequence[float]) -> str:
    """``12.3 (11.9-13.0)``: median, then min-max when there is more than one run."""
    med, low, high = summary(values)
    if len(values) == 1:
        return fmt_seconds(med)
    return f"{fmt_seconds(med)} ({fmt_seconds(low)}-{fmt_seconds(high)})"


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> list[float]:
    """Per-run ratios (both measured in the same run, index by index)."""
    if len(numerator) != len(denominator):
        raise ValueError("ratio of series of different lengths")
    return [n / d if d else float("inf") for n, d in zip(numerator, denominator, strict=True)]


def fmt_ratio(values: Sequence[float]) -> str:
    med, low, high = summary(values)
    if len(values) == 1:
        return f"{med:.2f}x"
    return f"{med:.2f}x ({low:.2f}-{high:.2f})"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub Markdown table; numbers right-aligned."""
    rows = [[str(cell) for cell in row] for row in rows]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {row} does not match header {list(header)}")
    align = []
    for col in range(len(header)):
        numeric = rows and all(_numeric(row[col]) for row in rows)
        align.append("---:" if numeric else "---")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _numeric(cell: str) -> bool:
    head = cell.split(" ", 1)[0].rstrip("x%")
    try:
        float(head)
    except ValueError:
        return False
    return True


def critical_path(durations: Mapping[str, float], after: Mapping[str, Iterable[str]]) -> tuple[float, list[str]]:
    """Longest chain of waits in a dependency graph: (seconds, [names in order]).

    ``durations`` maps each wait to its seconds; ``after[x]`` lists the waits that must
    be over before ``x`` can start. Raises ValueError on a cycle or an unknown name.
    """
    for name, deps in after.items():
        for dep in [name, *deps]:
            if dep not in durations:
                raise ValueError(f"unknown wait {dep!r}")
    finish: dict[str, tuple[float, list[str]]] = {}
    visiting: set[str] = set()

    def visit(name: str) -> tuple[float, list[str]]:
        if name in finish:
            return finish[name]
        if name in visiting:
            raise ValueError(f"cycle through {name!r}")
        visiting.add(name)
        best: tuple[float, list[str]] = (0.0, [])
        for dep in after.get(name, ()):
            candidate = visit(dep)
            if candidate[0] > best[0]:
                best = candidate
        visiting.discard(name)
        finish[name] = (best[0] + float(durations[name]), [*best[1], name])
        return finish[name]

    result: tuple[float, list[str]] = (0.0, [])
    for name in sorted(durations):
        candidate = visit(name)
        if candidate[0] > result[0]:
            result = candidate
    return result


def is_read(action: str) -> bool:
    """Whether an emulator request-log action only reads (Describe*, List*, Get*, REST GET)."""
    return action.startswith(READ_PREFIXES)


def request_key(entry: Mapping[str, object]) -> str:
    """``service:Action`` of one request-log line (REST calls: method, path shape, query keys)."""
    service = str(entry.get("service") or "?")
    action = str(entry.get("action") or "?")
    if " /" in action:
        method, path = action.split(" ", 1)
        parts = [p for p in path.split("/") if p]
        if service == "s3":  # path-style: /bucket[/key]
            parts = ["{bucket}", *(["{key}"] if len(parts) > 1 else [])][: len(parts)]
        else:  # names and ids (anything with a digit, a dot, a colon or a percent) become *
            parts = [p if p.replace("-", "").isalpha() else "*" for p in parts]
        shape = "/" + "/".join(parts)
        query = entry.get("query") or []
        action = f"{method} {shape}" + (f"?{'&'.join(query)}" if query else "")
    return f"{service}:{action}"


def count_requests(entries: Iterable[Mapping[str, object]]) -> Counter:
    return Counter(request_key(entry) for entry in entries)


def compare_counts(playbook: Counter, floor: Counter) -> list[tuple[str, int, int]]:
    """Rows (action, playbook count, floor count), most playbook requests first."""
    keys = set(playbook) | set(floor)
    return sorted(((k, playbook.get(k, 0), floor.get(k, 0)) for k in keys), key=lambda r: (-r[1], -r[2], r[0]))


def split_reads(counts: Counter) -> tuple[int, int]:
    """(reads, writes) of a request counter."""
    reads = sum(n for key, n in counts.items() if is_read(key.split(":", 1)[1]))
    return reads, sum(counts.values()) - reads
