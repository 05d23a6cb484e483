"""Report pages from the templates in ``benchmark/templates/`` (``string.Template``: ``${name}`` fields, filled
with text that is already Markdown or escaped HTML), and the small tables they hold."""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).with_name("templates")


def render(name: str, **fields: str) -> str:
    """The template ``name`` with every ``${field}`` replaced (a missing field raises KeyError)."""
    return Template((TEMPLATES / name).read_text()).substitute(fields)


def md_table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub Markdown table: first column left-aligned, the others right-aligned."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def html_table(header: list[str], rows: list[list[str]], css_class: str = "lb") -> str:
    """An HTML table of plain-text cells (escaped here)."""
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{css_class}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def kv_html(pairs: list[tuple[str, str]]) -> str:
    """(label, text) pairs as a two-column HTML table."""
    e = html.escape
    return '<table class="kv">' + "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in pairs) + "</table>"
