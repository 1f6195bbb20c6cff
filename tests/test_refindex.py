"""Every Source: line names something that exists in the pinned references (checked against the
committed docs/reference/symbols.json, no network), and docs/reference/index.md, the index from
reference functions to Ballast functions, is up to date."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ballast.cli import app
from ballast.refindex import (
    INDEX_PATH,
    REFERENCES,
    SYMBOLS_PATH,
    Symbols,
    definitions,
    main,
    parse_source,
    problems,
    render_index,
    rust_symbols,
    solidity_symbols,
    typescript_symbols,
)

SYMBOLS = Symbols.load()


def test_every_source_line_names_something_in_the_pinned_references():
    found = definitions()
    wrong = [f"{d.where}: {p}" for d in found for p in problems(d.source, SYMBOLS)]
    assert len(found) > 600
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("text, qualname", [
    ('def f():\n    """Doc.\n\n    Source: programs/drift/src/math/lp.rs::calculate_made_up_metrics\n    """\n', "f"),
    ('class C:\n    def f(self):\n        """Doc. Source: programs/drift/src/math/lp.rs::calculate_made_up_metrics"""\n',
     "C.f"),
    ('"""A module.\n\nSource: programs/drift/src/math/lp.rs::calculate_made_up_metrics\n"""\n', ""),
])
def test_a_made_up_citation_in_the_package_fails_the_check(tmp_path, text, qualname):
    package = tmp_path / "ballast"
    package.mkdir()
    (package / "made_up.py").write_text(text)

    (definition,) = definitions(package)

    assert (definition.module, definition.qualname) == ("ballast.made_up", qualname)
    assert problems(definition.source, SYMBOLS) == [
        "programs/drift/src/math/lp.rs has no calculate_made_up_metrics"]


def test_a_source_inside_a_sentence_is_not_a_source_line(tmp_path):
    package = tmp_path / "ballast"
    package.mkdir()
    (package / "mentions.py").write_text('def f():\n    """Print the index, from the Source: lines."""\n')

    assert definitions(package) == []


@pytest.mark.parametrize("source, problem", [
    # a real function cited in the wrong file
    ("programs/drift/src/math/amm.rs::calculate_settle_lp_metrics", "amm.rs has no calculate_settle_lp_metrics"),
    # an abbreviated path
    ("state/user.rs::User::is_being_liquidated", "state/user.rs is not a file of a pinned reference"),
    # a Rust method cited without its type
    ("programs/drift/src/state/user.rs::is_being_liquidated", "user.rs has no is_being_liquidated"),
    # a bare name continues the previous entry's file
    ("programs/drift/src/math/lp.rs::calculate_settle_lp_metrics, calculate_made_up", "lp.rs has no calculate_made_up"),
    # citations inside notes are checked too
    ("Ballast (after programs/drift/src/math/lp.rs::made_up)", "lp.rs has no made_up"),
    # prose outside a note breaks the grammar
    ("contracts/ClearingHouse.sol::removeLiquidity with liquidity 0", "not `file::symbol`"),
    ("ballast.drift.bal.made_up", "ballast.drift.bal defines no made_up"),
])
def test_a_wrong_citation_is_named(source, problem):
    found = problems(source, SYMBOLS)
    assert any(problem in p for p in found), found


@pytest.mark.parametrize("source", [
    "programs/drift/src/math/lp.rs::calculate_settle_lp_metrics",
    "programs/drift/src/state/user.rs::User::is_being_liquidated",
    "programs/drift/src/state/user.rs::PerpPosition::get_entry_price",  # a #[cfg(test)] helper
    "contracts/ClearingHouse.sol::_openPosition",
    "contracts/ClearingHouse.sol::ClearingHouse._openPosition",
    "contracts/libraries/SqrtPriceMath.sol::getAmount0Delta (int128 overload)",
    "contracts/UniswapV3Pool.sol (state variables)",
    "contracts/Exchange.sol::swap / contracts/ClearingHouse.sol::_openPosition",
    "programs/drift/src/math/constants.rs::LP_FEE_SLICE_NUMERATOR, LP_FEE_SLICE_DENOMINATOR",
    "contracts/libraries/LiquidityAmounts.sol::getAmountsForLiquidity",
    "sdk/src/user.ts::User::getPerpPositionWithLPSettle",
    "Ballast",
    "Ballast (derived from programs/drift/src/math/insurance.rs::calculate_share_price)",
    "ballast.drift.bal._share_value (the BAL performance index's share value)",
    'docs "More on LPing" (Pool Party)',
])
def test_a_right_citation_passes(source):
    assert problems(source, SYMBOLS) == []


def test_the_entries_are_the_citations_outside_notes():
    parsed = parse_source("programs/drift/src/math/lp.rs::calculate_settle_lp_metrics (after "
                          "programs/drift/src/controller/lp.rs::settle_lp), calculate_lp_open_bids_asks")

    assert parsed.kind == "reference"
    assert parsed.entries == (("programs/drift/src/math/lp.rs", "calculate_settle_lp_metrics"),
                              ("programs/drift/src/math/lp.rs", "calculate_lp_open_bids_asks"))
    assert ("programs/drift/src/controller/lp.rs", "settle_lp") in parsed.cited


def test_committed_reference_index_is_up_to_date():
    committed = INDEX_PATH.read_text()
    assert committed == render_index(), (
        "docs/reference/index.md is out of date: run `ballast docs reference > docs/reference/index.md`")


def test_docs_reference_command_prints_the_index():
    result = CliRunner().invoke(app, ["docs", "reference"])
    assert result.exit_code == 0
    assert result.stdout == INDEX_PATH.read_text()


def test_committed_symbols_are_of_the_pinned_commits():
    listed = [(r["repo"], r["commit"]) for r in json.loads(SYMBOLS_PATH.read_text())["references"]]
    assert listed == [(r.repo, r.commit) for r in REFERENCES]


def test_the_module_usage_is_refused_without_a_command(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


RUST = r'''
use crate::x;
pub const MAX: u64 = 10;
pub struct AMM { pub a: [u8; 32] }
pub enum Side { Long { size: u64 }, Short }
impl AMM {
    pub fn reserve_price(&self) -> u64 { let s = "}"; let c = '{'; fn helper() {} 1 }
    pub(crate) const fn with_lifetime<'a>(x: &'a [u8; 4]) -> &'a u8 { &x[0] }
}
impl<'a> Size for AMM { fn size(&self) -> usize { 0 } }
pub trait Size { fn size(&self) -> usize; }
pub fn free(x: u64) -> u64 { match x { 0 => { 1 } _ => x } }
#[cfg(test)]
impl AMM { pub fn default_test() -> Self { todo!() } }
#[cfg(test)]
mod tests { fn in_test() {} }
#[cfg(test)]
mod more_tests;
'''


def test_rust_items_and_members_are_found_and_test_modules_left_out():
    symbols, test_only, test_files = rust_symbols("programs/drift/src/state/amm.rs", RUST)

    assert symbols == {"MAX", "AMM", "Side", "AMM::reserve_price", "AMM::with_lifetime", "AMM::size",
                       "Size", "Size::size", "free"}
    assert test_only == {"AMM::default_test"}
    assert "programs/drift/src/state/amm/more_tests.rs" in test_files


SOLIDITY = '''
import { A } from "./A.sol";
struct Free { uint256 x; }
library Tick {
    using SafeMath for uint256;
    struct Info { uint128 liquidityGross; int128 liquidityNet; }
    uint256 internal constant _DUST = 10;
    mapping(int24 => Info) public ticks;
    event Crossed(int24 tick);
    modifier onlyOwner() { _; }
    function cross(int24 tick) internal returns (int128) { string memory s = "}"; return 0; }
}
interface IPool { function swap(bool zeroForOne) external; }
'''


def test_solidity_members_are_found_as_contract_dot_name():
    assert solidity_symbols(SOLIDITY) == {
        "Free", "Tick", "Tick.Info", "Tick._DUST", "Tick.ticks", "Tick.Crossed", "Tick.onlyOwner", "Tick.cross",
        "IPool", "IPool.swap"}


def test_typescript_class_methods_are_found_as_class_colons_method():
    source = ("export class User {\n\tpublic getPosition(\n\t\tmarketIndex: number\n\t): number {\n\t\treturn 0;\n\t}"
              "\n\tconstructor() {}\n}\nexport function helper(): void {}\n")
    assert typescript_symbols(source) == {"User", "User::getPosition", "helper"}


def test_solidity_bare_name_matches_a_member_but_rust_needs_the_type():
    assert SYMBOLS.find("contracts/ClearingHouse.sol", "_openPosition") == "ClearingHouse._openPosition"
    assert SYMBOLS.find("programs/drift/src/state/user.rs", "is_being_liquidated") is None
    assert SYMBOLS.find("programs/drift/src/state/user.rs", "User::is_being_liquidated") == "User::is_being_liquidated"


def test_the_index_lists_a_reference_function_with_its_implementation():
    rows = [line for line in render_index().splitlines() if line.startswith("| `calculate_settle_lp_metrics`")]
    assert rows == ["| `calculate_settle_lp_metrics` | [`ballast.drift.math.lp.calculate_settle_lp_metrics`]"
                    "(../../src/ballast/drift/math/lp.py) |"]
    assert (Path(INDEX_PATH).parent / "../../src/ballast/drift/math/lp.py").resolve().is_file()
