"""The reference one hop away: the symbols of the pinned references, the check of every `Source:` line
against them, and the index from each cited reference function to the Ballast functions implementing it.

Every module, class or function docstring in `src/ballast` that cites where its logic comes from
ends with a `Source:` paragraph, on its own lines or after the last sentence of a one-line docstring
(wrapped lines are joined). Its grammar:

    source    := "Source:" body
    body      := "Ballast" [note]                       our own logic (a parenthesised note may cite the
                                                         reference, and those citations are checked)
               | ballast-name [note]                    another Ballast definition: ballast.module.name
               | entry { sep entry } ["."]              the pinned reference
               | prose                                  anything else (a paper, a man page, the protocols'
                                                         user docs); it names no .rs/.sol/.ts file
    entry     := file ["::" symbol] [note] | symbol [note]
                                                        a bare symbol is in the previous entry's file
    sep       := "," | ";" | "/"
    file      := the file's path from its repository's root: programs/drift/src/math/lp.rs,
                 contracts/ClearingHouse.sol (perp-curie-contract), contracts/libraries/TickMath.sol
                 (v3-core), contracts/libraries/LiquidityAmounts.sol (v3-periphery), sdk/src/user.ts
                 (Drift's SDK); no path is in two of the references
    symbol    := Name | Type "::" Name | Contract "." Name
    note      := "(" free text ")"

A Rust symbol is a free item (fn, struct, enum, trait, const, type) or `Type::name` for a member of
`impl Type` / `impl Trait for Type` / `trait Type`; test modules (`#[cfg(test)] mod`, their files) are
left out, and `#[cfg(test)]` helpers outside them are listed apart as test-only. A Solidity symbol is
any function, modifier, event, error, struct, enum or state variable of the file, bare or as
`Contract.name`; a TypeScript symbol is `Class::method` or an exported function. Every file and
`file::symbol` anywhere in the paragraph, notes included, must exist at the pinned commit
(docs/reference/symbols.json); the entries outside notes are what the docstring's definition
implements, and make the index (docs/reference/index.md).

Commands:

    python -m ballast.refindex symbols MIRRORS > docs/reference/symbols.json
        MIRRORS holds one git directory per reference, MIRRORS/<owner>+<name>[/repo] (a bare clone is
        enough); only the pinned commits are read, with `git ls-tree` / `git show`. Rerun it when a pin
        in REFERENCES changes (a test fails until the file names the pinned commits).
    ballast docs reference > docs/reference/index.md    (or python -m ballast.refindex index)
        Rerun it after editing a Source: line (a test fails while the committed file differs).

Source: Ballast
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = Path(__file__).resolve().parent
SYMBOLS_PATH = ROOT / "docs" / "reference" / "symbols.json"
INDEX_PATH = ROOT / "docs" / "reference" / "index.md"


@dataclass(frozen=True)
class Reference:
    """A pinned reference repository and the part of it Ballast twins.

    Source: Ballast
    """

    repo: str
    commit: str
    prefixes: tuple[str, ...]
    extra_files: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def selects(self, path: str) -> bool:
        """Whether the symbol list covers this file of the repository.

        Source: Ballast
        """
        if path in self.extra_files:
            return True
        return (path.endswith((".rs", ".sol")) and path.startswith(self.prefixes)
                and not path.startswith(self.excluded))


REFERENCES = (
    Reference("drift-labs/protocol-v2", "7c265f81090e62b2cf176df030f421045373a85e", ("programs/drift/src/",),
              extra_files=("sdk/src/user.ts",)),
    Reference("perpetual-protocol/perp-curie-contract", "d520bd8e2c420a58fc8aab085a71165425047e80",
              ("contracts/",), excluded=("contracts/test/",)),
    # perp-curie-contract v2.8.3 builds on @uniswap/v3-core (tarball v1.0.0) and @uniswap/v3-periphery 1.0.1,
    # of which Ballast twins LiquidityAmounts only
    Reference("Uniswap/v3-core", "e3589b192d0be27e100cd0daaf6c97204fdb1899", ("contracts/",),
              excluded=("contracts/test/",)),
    Reference("Uniswap/v3-periphery", "7213d0c4cb31ecec3ef8602ecdc598dcff05086c", (),
              extra_files=("contracts/libraries/LiquidityAmounts.sol",)),
)

# --- reading the references -------------------------------------------------------------------------

_RUST_NOISE = re.compile(
    r"//[^\n]*|/\*.*?\*/|(?<![\w])b?r(#*)\".*?\"\1|b?\"(?:\\.|[^\"\\])*\"|b?'(?:\\.[^']*|[^\\'\n])'", re.S)
_SOLIDITY_NOISE = re.compile(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.S)
_VISIBILITY = r"(?:pub(?:\s*\([^)]*\))?\s+)?"
_RUST_FN = re.compile(_VISIBILITY + r"(?:(?:const|async|unsafe|default|extern\s*(?:\"\s*\")?)\s+)*fn\s+(\w+)")
_RUST_NAMED = re.compile(_VISIBILITY + r"(?:unsafe\s+)?(struct|enum|union|trait|mod|const|static|type)\s+(\w+)")
_RUST_CONTAINERS = {"mod", "impl", "trait"}
_SOLIDITY_CONTAINER = re.compile(r"(?:abstract\s+)?(?:contract|library|interface)\s+(\w+)")
_SOLIDITY_NAMED = re.compile(r"(function|modifier|struct|enum|event|error)\s+(\w+)")
_SOLIDITY_SKIPPED = re.compile(r"(?:using|pragma|import|from|constructor|receive|fallback)\b")


def _blank(code: str, noise: re.Pattern[str]) -> str:
    """The code with comments and string/char literals replaced by spaces (newlines kept).

    Source: Ballast
    """
    return noise.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), code)


def _strip_attributes(header: str) -> tuple[str, bool]:
    """(the item header without its Rust attributes, whether one of them was #[cfg(test)]).

    Source: Ballast
    """
    out, is_test, i = [], False, 0
    while i < len(header):
        if header.startswith("#[", i) or header.startswith("#![", i):
            depth, j = 0, header.index("[", i)
            while j < len(header):
                depth += {"[": 1, "]": -1}.get(header[j], 0)
                j += 1
                if depth == 0:
                    break
            is_test |= re.fullmatch(r"#!?\[\s*cfg\s*\(\s*test\s*\)\s*\]", header[i:j]) is not None
            i = j
        else:
            out.append(header[i])
            i += 1
    return " ".join("".join(out).split()), is_test


def _impl_type(header: str) -> str:
    """The type an `impl` header implements for: `impl<T> Trait<T> for Foo<T> where ..` -> Foo.

    Source: Ballast
    """
    rest = header[header.index("impl") + 4:].strip()
    if rest.startswith("<"):
        depth = 0
        for k, ch in enumerate(rest):
            depth += {"<": 1, ">": -1}.get(ch, 0)
            if depth == 0:
                rest = rest[k + 1:]
                break
    rest = re.split(r"\bwhere\b", rest)[0]
    parts = re.split(r"\bfor\b", rest)
    target = parts[-1].strip().lstrip("&").replace("dyn ", "").strip()
    return re.split(r"<", target)[0].split("::")[-1].strip()


def _module_file(path: str, name: str) -> list[str]:
    """The files `mod name;` in `path` may load (Rust's module layout).

    Source: Ballast
    """
    p = PurePosixPath(path)
    base = p.parent if p.name in ("mod.rs", "lib.rs", "main.rs") else p.parent / p.stem
    return [str(base / f"{name}.rs"), str(base / name / "mod.rs"), str(base / name) + "/"]


def rust_symbols(path: str, source: str) -> tuple[set[str], set[str], list[str]]:
    """(the items of a Rust file, those of them compiled only for tests (#[cfg(test)] functions and impl
    blocks), the files of its #[cfg(test)] modules). Test modules and function bodies are left out;
    members are `Type::name`.

    Source: Ballast
    """
    code = _blank(source, _RUST_NOISE)
    symbols: set[str] = set()
    test_only: set[str] = set()
    test_files: list[str] = []
    stack: list[tuple[str, str, bool]] = []
    start, paren = 0, 0
    for m in re.finditer(r"[{};()\[\]]", code):
        ch = m.group()
        if ch in "([":
            paren += 1
            continue
        if ch in ")]":
            paren -= 1
            continue
        if ch == ";" and paren > 0:
            continue
        header, is_test = _strip_attributes(code[start:m.start()])
        start = m.end()
        if ch == "}":
            if stack:
                stack.pop()
            continue
        if not all(kind in _RUST_CONTAINERS for kind, _, _ in stack):
            if ch == "{":
                stack.append(("skip", "", False))
            continue
        is_test |= any(test for _, _, test in stack)
        owner = next((name for kind, name, _ in reversed(stack) if kind in ("impl", "trait")), "")
        prefix = f"{owner}::" if owner else ""
        fn = _RUST_FN.match(header)
        named = _RUST_NAMED.match(header)
        impl = re.match(r"(?:unsafe\s+)?impl\b", header)
        kind = "fn" if fn else "impl" if impl else named.group(1) if named else "skip"
        name = fn.group(1) if fn else _impl_type(header) if impl else named.group(2) if named else ""
        if kind == "mod" and is_test:
            test_files += _module_file(path, name) if ch == ";" else []
            kind = "skip"
        elif kind not in ("impl", "mod", "skip"):
            (test_only if is_test else symbols).add(prefix + name)
        if ch == "{":
            stack.append((kind, name, is_test))
    return symbols, test_only, test_files


def solidity_symbols(source: str) -> set[str]:
    """The functions, modifiers, events, errors, structs, enums and state variables of a Solidity file:
    `Contract.name` inside a contract, library or interface, `name` at file level.

    Source: Ballast
    """
    code = _blank(source, _SOLIDITY_NOISE)
    symbols: set[str] = set()
    stack: list[str] = []
    start, paren = 0, 0
    for m in re.finditer(r"[{};()\[\]]", code):
        ch = m.group()
        if ch in "([":
            paren += 1
            continue
        if ch in ")]":
            paren -= 1
            continue
        if ch == ";" and paren > 0:
            continue
        header = " ".join(code[start:m.start()].split())
        start = m.end()
        if ch == "}":
            if stack:
                stack.pop()
            continue
        at_member_level = len(stack) == 0 or (len(stack) == 1 and stack[0] != "")
        prefix = f"{stack[0]}." if stack and stack[0] else ""
        named = _SOLIDITY_NAMED.match(header)
        if ch == ";":
            if at_member_level and header and not _SOLIDITY_SKIPPED.match(header):
                if named:
                    symbols.add(prefix + named.group(2))
                else:
                    variable = re.findall(r"(\w+)\s*$", re.split(r"=(?!>)", header)[0])
                    if variable:
                        symbols.add(prefix + variable[0])
            continue
        container = _SOLIDITY_CONTAINER.match(header)
        if not stack and container:
            symbols.add(container.group(1))
            stack.append(container.group(1))
        else:
            if at_member_level and named:
                symbols.add(prefix + named.group(2))
            stack.append("")
    return symbols


_TS_CLASS = re.compile(r"(?:export\s+)?(?:default\s+)?(?:abstract\s+)?class\s+(\w+)")
_TS_METHOD = re.compile(
    r"\t(?:(?:public|private|protected|static|async|readonly|override|get|set)\s+)*(\w+)\s*(?:<[^(]*>)?\s*\(")
_TS_FUNCTION = re.compile(r"export\s+(?:async\s+)?function\s+(\w+)")


def typescript_symbols(source: str) -> set[str]:
    """The exported functions and the `Class::method`s of a TypeScript file laid out as Drift's SDK is
    (prettier, tab-indented: a class member starts one tab in, a class ends at a `}` in column 0).

    Source: Ballast
    """
    symbols: set[str] = set()
    current = ""
    for line in source.splitlines():
        if cls := _TS_CLASS.match(line):
            current = cls.group(1)
            symbols.add(current)
        elif line.startswith("}"):
            current = ""
        elif current and (method := _TS_METHOD.match(line)) and method.group(1) != "constructor":
            symbols.add(f"{current}::{method.group(1)}")
        elif fn := _TS_FUNCTION.match(line):
            symbols.add(fn.group(1))
    return symbols


def _git(git_dir: Path, *args: str) -> str:
    """stdout of a git command on a (bare) repository.

    Source: Ballast
    """
    return subprocess.run(["git", "-C", str(git_dir), *args], check=True, capture_output=True,
                          text=True, encoding="utf-8", errors="replace").stdout


def reference_symbols(reference: Reference, git_dir: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """({file: sorted symbols}, {file: sorted test-only symbols}) of the reference's selected files at its
    pinned commit; Rust files that are #[cfg(test)] modules (tests.rs, test_utils.rs, ...) are left out.

    Source: Ballast
    """
    paths = [p for p in _git(git_dir, "ls-tree", "-r", "--name-only", reference.commit).splitlines()
             if reference.selects(p)]
    files: dict[str, tuple[set[str], set[str]]] = {}
    test_files: list[str] = []
    for path in paths:
        source = _git(git_dir, "show", f"{reference.commit}:{path}")
        if path.endswith(".rs"):
            symbols, test_only, tests = rust_symbols(path, source)
            files[path] = (symbols, test_only)
            test_files += tests
        elif path.endswith(".sol"):
            files[path] = (solidity_symbols(source), set())
        else:
            files[path] = (typescript_symbols(source), set())
    kept = {path: pair for path, pair in sorted(files.items())
            if not any(path == t or (t.endswith("/") and path.startswith(t)) for t in test_files)}
    return ({path: sorted(symbols) for path, (symbols, _) in kept.items()},
            {path: sorted(test_only) for path, (_, test_only) in kept.items() if test_only})


def _mirror(mirrors: Path, repo: str) -> Path:
    """The git directory of a reference under MIRRORS: <owner>+<name>/repo or <owner>+<name>.

    Source: Ballast
    """
    base = mirrors / repo.replace("/", "+")
    return base / "repo" if (base / "repo").is_dir() else base


def render_symbols(mirrors: Path) -> str:
    """docs/reference/symbols.json (sorted, so the same commits give the same bytes).

    Source: Ballast
    """
    references = []
    for r in REFERENCES:
        files, test_only = reference_symbols(r, _mirror(mirrors, r.repo))
        references.append({"repo": r.repo, "commit": r.commit, "files": files, "test_only": test_only})
    document = {"generated_by": "python -m ballast.refindex symbols MIRRORS (src/ballast/refindex.py)",
                "references": references}
    return json.dumps(document, indent=1) + "\n"


# --- the Source: lines ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Symbols:
    """The committed symbol list: each file's repository, its symbols, and those of them compiled only
    for the reference's tests (#[cfg(test)] helpers, which Ballast may still cite).

    Source: Ballast
    """

    repos: dict[str, str]
    names: dict[str, frozenset[str]]
    test_only: dict[str, frozenset[str]]

    @classmethod
    def load(cls, path: Path = SYMBOLS_PATH) -> Symbols:
        """Read docs/reference/symbols.json; a file path found in two references is an error.

        Source: Ballast
        """
        repos: dict[str, str] = {}
        names: dict[str, frozenset[str]] = {}
        test_only: dict[str, frozenset[str]] = {}
        for reference in json.loads(path.read_text())["references"]:
            for file, listed in reference["files"].items():
                if file in repos:
                    raise ValueError(f"{file} is in both {repos[file]} and {reference['repo']}")
                repos[file] = reference["repo"]
                test_only[file] = frozenset(reference["test_only"].get(file, ()))
                names[file] = frozenset(listed) | test_only[file]
        return cls(repos, names, test_only)

    def find(self, file: str, symbol: str) -> str | None:
        """The listed name `file::symbol` cites, or None. A bare name also matches a Solidity contract's
        member; `A.b` and `A::b` are the same member.

        Source: Ballast
        """
        wanted = symbol.replace(".", "::")
        for name in sorted(self.names.get(file, ())):
            if name.replace(".", "::") == wanted or (
                    file.endswith(".sol") and "::" not in wanted and name.split(".")[-1] == wanted):
                return name
        return None

    def problem(self, file: str, symbol: str) -> str | None:
        """Why `file::symbol` names nothing at the pinned commit, or None when it exists.

        Source: Ballast
        """
        if file not in self.names:
            return f"{file} is not a file of a pinned reference (write its path from the repository root)"
        if symbol and self.find(file, symbol) is None:
            return f"{file} has no {symbol}"
        return None


_NAME = r"[A-Za-z_]\w*"
_SYMBOL = rf"{_NAME}(?:(?:::|\.){_NAME})*"
_FILE = r"(?:[\w.-]+/)*[\w.-]+\.(?:rs|sol|ts)"
CITATION = re.compile(rf"(?<![\w/.-])({_FILE})(?:::({_SYMBOL}))?")
_ENTRY = re.compile(rf"\s*(?:(?P<file>{_FILE})(?:::(?P<symbol>{_SYMBOL}))?|(?P<bare>{_SYMBOL}))\s*")


@dataclass(frozen=True)
class Definition:
    """A Ballast definition whose docstring has a Source: paragraph.

    Source: Ballast
    """

    module: str
    qualname: str
    path: str
    line: int
    source: str

    @property
    def name(self) -> str:
        """module.qualname, or the module's name for its own docstring.

        Source: Ballast
        """
        return f"{self.module}.{self.qualname}" if self.qualname else self.module

    @property
    def where(self) -> str:
        """path:line name, for messages.

        Source: Ballast
        """
        return f"{self.path}:{self.line} {self.name}"


_SOURCE_START = re.compile(r"(?:^|(?<=\n)|(?<=[.)] ))[ \t]*Source:")


def _source_paragraph(docstring: str) -> str | None:
    """The text after the docstring's last `Source:` that starts a line or a sentence, to its end,
    whitespace collapsed (a one-line docstring may end "Summary. Source: file::symbol").

    Source: Ballast
    """
    starts = list(_SOURCE_START.finditer(docstring))
    if not starts:
        return None
    return " ".join(docstring[starts[-1].end():].split())


def _documented(node: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, module: str,
                qualname: str, path: str, line: int) -> list[Definition]:
    """The node and the classes and functions inside it whose docstrings have a Source: paragraph.

    Source: Ballast
    """
    docstring = ast.get_docstring(node)
    source = _source_paragraph(docstring) if docstring else None
    found = [Definition(module, qualname, path, line, source)] if source is not None else []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{qualname}.{child.name}" if qualname else child.name
            found += _documented(child, module, name, path, child.lineno)
    return found


def definitions(package: Path = PACKAGE) -> list[Definition]:
    """Every module, class and function of the package whose docstring has a Source: paragraph, in
    file order (a module's qualname is "").

    Source: Ballast
    """
    found: list[Definition] = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found += _documented(ast.parse(path.read_text()), module, "", str(path.relative_to(package.parents[1])), 1)
    return found


def _without_notes(text: str) -> str:
    """The text with its parenthesised notes (nested ones too) taken out.

    Source: Ballast
    """
    out, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


@dataclass(frozen=True)
class Parsed:
    """A Source: paragraph read by the grammar: its kind ("ballast", "ballast-name", "reference",
    "prose"), the (file, symbol) entries it implements (symbol "" for a whole file), every
    (file, symbol) it mentions (notes included), and what breaks the grammar ("" when nothing).

    Source: Ballast
    """

    kind: str
    entries: tuple[tuple[str, str], ...]
    cited: tuple[tuple[str, str], ...]
    error: str = ""


def parse_source(text: str) -> Parsed:
    """Read a Source: paragraph's text (after "Source:") by the grammar in this module's docstring.

    Source: Ballast
    """
    cited = tuple((m.group(1), m.group(2) or "") for m in CITATION.finditer(text))
    outer = _without_notes(text).strip()
    if re.match(r"Ballast\b", outer):
        return Parsed("ballast", (), cited)
    if re.fullmatch(r"ballast(?:\.\w+)+\.?", outer):
        return Parsed("ballast-name", (), cited)
    if not cited:
        return Parsed("prose", (), cited)
    entries: list[tuple[str, str]] = []
    file = ""
    for part in re.split(r"[,;/](?=\s)", outer.rstrip(".")):
        entry = _ENTRY.fullmatch(part)
        if entry is None or (entry.group("bare") and not file):
            return Parsed("reference", tuple(entries), cited, f"not `file::symbol`: {part.strip()!r}")
        if entry.group("file"):
            file = entry.group("file")
            entries.append((file, entry.group("symbol") or ""))
        else:
            entries.append((file, entry.group("bare")))
    cited_outer = {c for c in cited}
    cited += tuple(e for e in entries if e not in cited_outer)
    return Parsed("reference", tuple(entries), cited)


def _ballast_name_problem(name: str) -> str | None:
    """Why a dotted ballast.module.name names no definition of the package, or None.

    Source: Ballast
    """
    parts = name.rstrip(".").split(".")
    for cut in range(len(parts) - 1, 0, -1):
        base = PACKAGE.parent.joinpath(*parts[:cut])
        for file in (base.with_suffix(".py"), base / "__init__.py"):
            if file.is_file():
                tree = ast.parse(file.read_text())
                top = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
                top |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets
                        if isinstance(t, ast.Name)}
                return None if parts[cut] in top else f"{'.'.join(parts[:cut])} defines no {parts[cut]}"
    return f"no module for {name}"


def problems(text: str, symbols: Symbols) -> list[str]:
    """What is wrong with a Source: paragraph's text: a break of the grammar, a file or symbol that
    does not exist at the pinned commit, a Ballast name that does not exist.

    Source: Ballast
    """
    parsed = parse_source(text)
    found = [parsed.error] if parsed.error else []
    if parsed.kind == "ballast-name":
        problem = _ballast_name_problem(_without_notes(text).strip())
        found += [problem] if problem else []
    for file, symbol in parsed.cited:
        problem = symbols.problem(file, symbol)
        if problem and problem not in found:
            found.append(problem)
    return found


# --- the index --------------------------------------------------------------------------------------

def render_index(symbols: Symbols | None = None, package: Path = PACKAGE) -> str:
    """docs/reference/index.md: per reference file, each cited symbol and the Ballast definitions whose
    Source: entries name it (links relative to docs/reference/).

    Source: Ballast
    """
    symbols = symbols or Symbols.load()
    implementers: dict[str, dict[str, set[Definition]]] = defaultdict(lambda: defaultdict(set))
    for definition in definitions(package):
        for file, symbol in parse_source(definition.source).entries:
            implementers[file][symbols.find(file, symbol) or symbol if symbol else ""].add(definition)
    repos = {r.repo: r for r in REFERENCES}
    lines = [
        "# Reference index",
        "",
        "Generated from the `Source:` lines of `src/ballast` (`ballast docs reference`; the grammar and the "
        "checks are in `src/ballast/refindex.py`). For each file of a pinned reference, each function, type or "
        "member a Ballast definition names as its source, and those definitions. Notes in a Source: line "
        "(parenthesised) are not counted; a `(the file)` row lists the modules and definitions that cite the file "
        "as a whole. Symbols are checked against `docs/reference/symbols.json` (Rust members as `Type::name`, "
        "Solidity members as `Contract.name`).",
        "",
    ]
    for repo, reference in repos.items():
        repo_files = sorted(f for f in implementers if symbols.repos.get(f) == repo)
        if not repo_files:
            continue
        lines += [f"## {repo} @ {reference.commit[:8]}", ""]
        for file in repo_files:
            total = len(symbols.names[file])
            cited = implementers[file]
            lines += [f"### {file}", "",
                      f"{len([s for s in cited if s])} of its {total} symbols cited.", "",
                      "| Reference | Ballast |", "|---|---|"]
            for symbol in sorted(cited, key=lambda s: (s.lower(), s)):
                targets = sorted(cited[symbol], key=lambda d: (d.module, d.qualname))
                links = ", ".join(f"[`{d.name}`](../../{d.path})" for d in targets)
                test_only = " (compiled for tests only)" if symbol in symbols.test_only[file] else ""
                lines.append(f"| `{symbol or '(the file)'}`{test_only} | {links} |")
            lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m ballast.refindex symbols MIRRORS` | `python -m ballast.refindex index`: print the
    generated file.

    Source: Ballast
    """
    if len(argv) == 2 and argv[0] == "symbols":
        sys.stdout.write(render_symbols(Path(argv[1])))
        return 0
    if argv == ["index"]:
        sys.stdout.write(render_index())
        return 0
    sys.stderr.write("usage: python -m ballast.refindex symbols MIRRORS | index\n")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
