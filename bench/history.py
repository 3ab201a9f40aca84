"""The History section of RESULTS.md: one line per bench invocation, kept across runs.

RESULTS.md is re-written by every run; the lines under ``## History`` are read back from
the old file first and the new run's line appended, so the file shows what each lever
bought (issue 16: a quiet-machine ``RUNS=3`` after each lever). Pure text functions; the
caller reads and writes the file.
"""

from __future__ import annotations

from collections.abc import Sequence

HEADING = "## History"
HEADER = (
    "date",
    "commit",
    "subject",
    "runs",
    "first deploy s",
    "no-change s",
    "terraform apply s",
    "terraform no-change s",
    "deploy / tf apply",
    "no-change / tf no-change",
    "load at start",
)
INTRO = (
    "One line per `python -m bench` invocation (median of its runs; `-` where a phase did not run or "
    "failed), appended by the bench and kept when RESULTS.md is re-written (`--report-only` too). "
    "Compare lines measured on a quiet machine (load at start under half the cores) with the same runs."
)
SUBJECT_CHARS = 60


def existing_rows(text: str) -> list[str]:
    """The table rows under ``## History`` of a RESULTS.md (header and separator excluded)."""
    lines = text.splitlines()
    try:
        start = lines.index(HEADING)
    except ValueError:
        return []
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if line.startswith("|") and not line.startswith(("| date |", "|---")):
            rows.append(line)
    return rows


def cell(text: str) -> str:
    """Text safe in a Markdown table cell (no pipe, no newline)."""
    return " ".join(str(text).replace("|", "/").split())


def row(
    *,
    date: str,
    commit: str,
    subject: str,
    runs: int,
    medians: dict[str, float | None],
    ratios: dict[str, float | None],
    load: str,
) -> str:
    """One History line. medians: deploy, rerun, tf_apply, tf_noop; ratios: deploy, rerun."""

    def seconds(key: str) -> str:
        value = medians.get(key)
        return "-" if value is None else f"{value:.1f}"

    def times(key: str) -> str:
        value = ratios.get(key)
        return "-" if value is None else f"{value:.2f}x"

    short = subject if len(subject) <= SUBJECT_CHARS else subject[: SUBJECT_CHARS - 3].rstrip() + "..."
    cells = [
        date,
        commit,
        short,
        str(runs),
        seconds("deploy"),
        seconds("rerun"),
        seconds("tf_apply"),
        seconds("tf_noop"),
        times("deploy"),
        times("rerun"),
        load,
    ]
    return "| " + " | ".join(cell(c) for c in cells) + " |"


def section(rows: Sequence[str]) -> list[str]:
    """The History section's lines (heading, intro, table), oldest line first."""
    lines = [HEADING, "", INTRO, ""]
    if not rows:
        return [*lines, "(no run recorded yet)"]
    lines.append("| " + " | ".join(HEADER) + " |")
    lines.append("|" + "|".join("---:" if i >= 3 and i < 10 else "---" for i in range(len(HEADER))) + "|")
    return [*lines, *rows]
