"""``veille classify``: language and tone of text lines read on standard input."""

from __future__ import annotations

import json
import sys

import click

from veille.cli.render import json_text, languages_callback


@click.command()
@click.option(
    "--languages",
    callback=languages_callback,
    help="Only consider these languages, comma-separated (e.g. en,fr).",
)
@click.option(
    "--format", "output_format", type=click.Choice(["jsonl"]), default="jsonl", show_default=True
)
def classify(languages: tuple[str, ...], output_format: str) -> None:
    """Print language and tone of each line of standard input as a JSON line.

    Lines are plain text, or JSON objects with a "text" key; blank lines are skipped. A line
    starting with "{" that is not valid JSON is plain text. A JSON object without a "text"
    string is told on standard error, the others classified, and the exit status is then 2.
    No configuration is needed.
    """
    from veille.classify import Classifier

    classifier = Classifier(languages or None)
    refused = 0
    for number, line in enumerate(sys.stdin, start=1):
        text = line.rstrip("\r\n")  # a file from Windows ends its lines with CR LF
        if not text.strip():
            continue
        value = _json_object(text)
        if value is not None:
            if not isinstance(value.get("text"), str):
                # Told, and the other lines classified all the same: one bad line of a long
                # file loses nothing else.
                click.echo(f'Error: line {number}: expected a "text" string', err=True)
                refused += 1
                continue
            text = value["text"]
        result = classifier.classify(text)
        record = {
            "text": text,
            "lang": result.lang,
            "sentiment": round(result.sentiment, 4),
            "tone": result.tone,
        }
        sys.stdout.write(json_text(record, sys.stdout) + "\n")
    if refused:
        click.echo(f"{refused} line(s) refused.", err=True)
        raise SystemExit(2)


def _json_object(line: str) -> dict[str, object] | None:
    """The JSON object a line holds; None for any other line, text that starts with "{" too."""
    if not line.lstrip().startswith("{"):
        return None
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return None  # "{Danone} est génial" is text
    return value if isinstance(value, dict) else None
