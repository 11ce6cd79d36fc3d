"""``cf-bluegreen plan --format markdown|json``, checked with a real CommonMark parser."""

from __future__ import annotations

import json
import shlex

import pytest
import tomlkit
from click.testing import CliRunner
from markdown_it import MarkdownIt
from markdown_it.token import Token

from generator.cli import PLAN_FORMATS, main
from generator.model import Profile
from generator.plan import SITUATIONS, PlanEntry, format_plan, plan_profile
from generator.plan_formats import code_span, format_json, format_markdown
from generator.profile import load_profile
from tests.conftest import EXAMPLES

HOSTILE = {
    "app": "a*b_c|d`e<b>~~x~~",
    "colors": ["x_y*z|1", "``tick`` **bold** _em_"],
    "routes": {"live": [{"host": "a_b_", "domain": "example.com", "path": "/a*b_c"}],
               "staging": {"host": "a_b_-staging", "domain": "example.com"}},
    "services": {"bind": ["s|v*c_ <i>"]},
}


def github_like() -> MarkdownIt:
    """CommonMark plus the GFM extensions that could misread names: tables, ~~strike~~."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Profile, list[PlanEntry]]:
    path = tmp_path_factory.mktemp("plan") / "hostile.toml"
    path.write_text(tomlkit.dumps(HOSTILE), encoding="utf-8")
    profile = load_profile(path)
    return profile, plan_profile(profile)


def _sections(tokens: list[Token]) -> list[list[Token]]:
    """Tokens between one h2 and the next."""
    sections: list[list[Token]] = []
    for token in tokens:
        if token.type == "heading_open" and token.tag == "h2":
            sections.append([])
        if sections:
            sections[-1].append(token)
    return sections


def test_markdown_structure(hostile: tuple[Profile, list[PlanEntry]]) -> None:
    profile, entries = hostile
    text = format_markdown(profile, entries)
    tokens = github_like().parse(text)
    kinds = {token.type for token in tokens}
    inline_kinds = {child.type for token in tokens for child in token.children or []}
    assert not kinds & {"table_open", "html_block"}, "a name opened a table or HTML block"
    assert not inline_kinds & {"em_open", "s_open", "html_inline", "link_open"}, inline_kinds

    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == f"Deploy plan for {code_span(profile.app)}"
    assert headings[1:] == [f"{n}. {s.title[0].upper()}{s.title[1:]}"
                            for n, s in enumerate(SITUATIONS, start=1)]
    code = [child.content for token in tokens for child in token.children or []
            if child.type == "code_inline"]
    for name in (profile.app, *profile.colors, profile.live_routes[0].url):
        assert name in code, f"{name!r} not shown verbatim in a code span"

    sections = _sections(tokens)
    assert len(sections) == len(entries)
    for section, entry in zip(sections, entries, strict=True):
        fences = [t for t in section if t.type == "fence"]
        assert len(fences) == 1 and fences[0].info == "sh"
        assert fences[0].content == "\n".join(entry.commands) + "\n"
        for line in fences[0].content.splitlines():
            assert shlex.split(line)[0] == "cf", "each line is one runnable command"
        prose = " ".join(t.content for t in section if t.type == "inline")
        assert "**When:** " in prose and f"exits {entry.exit_code}" in prose
        spans = [c.content for t in section for c in t.children or [] if c.type == "code_inline"]
        assert profile.colors[1] in spans, "the condition names the colors verbatim"
        strong = [c for t in section for c in t.children or [] if c.type == "strong_open"]
        assert len(strong) == (3 if entry.note else 2), "only our own labels are bold"
    html = github_like().render(text)
    assert "<code>x_y*z|1</code>" in html
    assert "<strong>bold</strong>" not in html and "<b>" not in html


def test_markdown_commands_name_the_hostile_service(
    hostile: tuple[Profile, list[PlanEntry]],
) -> None:
    profile, entries = hostile
    first = entries[0].commands
    assert any(shlex.split(line)[-1] == "s|v*c_ <i>" for line in first if "bind-service" in line)


def test_json_fields(hostile: tuple[Profile, list[PlanEntry]]) -> None:
    profile, entries = hostile
    document = json.loads(format_json(profile, entries))
    assert document["format"] == 1
    assert document["generator"]["name"] == "cf-bluegreen"
    assert document["profile"] == {
        "name": "hostile", "sha256": profile.source_hash, "app": HOSTILE["app"],
        "colors": HOSTILE["colors"], "cf_cli": 8, "worker": False,
        "live_routes": ["a_b_.example.com/a*b_c"],
        "staging_route": "a_b_-staging.example.com",
    }
    assert [s["key"] for s in document["situations"]] == [s.key for s in SITUATIONS]
    for item, entry in zip(document["situations"], entries, strict=True):
        assert set(item) == {"key", "title", "condition", "seed", "script", "command",
                             "exit_code", "stops", "commands"}
        assert item["command"] == f"{entry.situation.script} --dry-run"
        assert item["exit_code"] == entry.exit_code
        assert [c["line"] for c in item["commands"]] == list(entry.commands)
        assert [c["argv"] for c in item["commands"]] == [shlex.split(c) for c in entry.commands]
        assert json.dumps(HOSTILE["colors"][0]) in item["condition"] or \
            json.dumps(HOSTILE["colors"][1]) in item["condition"]


def test_plan_command_formats_and_text_stays_the_default() -> None:
    assert PLAN_FORMATS["text"] is format_plan
    result = CliRunner().invoke(main, ["plan", str(EXAMPLES["worker"]), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["profile"]["worker"] is True and document["profile"]["live_routes"] == []
    assert "is running" in document["situations"][1]["condition"]
    bad = CliRunner().invoke(main, ["plan", str(EXAMPLES["worker"]), "--format", "html"])
    assert bad.exit_code == 2 and "'html' is not one of" in bad.stderr


@pytest.mark.parametrize("text", ["plain", "a`b", "`edge", "edge`", "``double``", "x```y"])
def test_code_span_survives_backticks(text: str) -> None:
    tokens = MarkdownIt("commonmark").parseInline(code_span(text))
    children = tokens[0].children or []
    assert [c.type for c in children] == ["code_inline"]
    assert children[0].content == text
