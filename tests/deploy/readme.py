"""The README's production deployment as data: its steps' code blocks, the variables and the services they name.

Not a test module: tests/deploy/test_production.py runs what this reads.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

SECTION = "## Production deployment"
FENCE = re.compile(r"^```bash\n(.*?)^```$", re.MULTILINE | re.DOTALL)
STEP = re.compile(r"^### (\d+)\. (.+)$", re.MULTILINE)


def production_steps(readme: Path) -> dict[str, list[str]]:
    """The bash code blocks of each step (`### 2. Install` -> `"Install"`) of the production section, in order."""
    text = readme.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end != -1 else len(text)]
    headings = list(STEP.finditer(section))
    steps: dict[str, list[str]] = {}
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        body = section[heading.end() : following.start() if following else len(section)]
        steps[heading.group(2).strip()] = [block.group(1) for block in FENCE.finditer(body)]
    return steps


def command_lines(block: str) -> list[str]:
    """The commands of a block: its lines without comments and blank lines."""
    lines = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            lines.append(line)
    return lines


def exported_variables(block: str) -> dict[str, str]:
    """`NAME: value` of every `export NAME=value …` line of a block, as the shell would read them."""
    variables: dict[str, str] = {}
    for line in command_lines(block):
        words = shlex.split(line, comments=True)
        if words[0] != "export":
            raise ValueError(f"not an export: {line!r}")
        for word in words[1:]:
            name, separator, value = word.partition("=")
            if not separator:
                raise ValueError(f"not NAME=value: {word!r} in {line!r}")
            variables[name] = value
    return variables
