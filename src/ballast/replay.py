"""Replay an event file of Drift's own Python simulator (drift-labs/drift-sim) on the Drift engine.

The format, as drift-sim writes it (`sim/events.py::Event.serialize_to_row`, files such as
`experiments/init/*/events.csv`): a CSV with the header `event_name,timestamp,parameters`; the
timestamp is in seconds (drift-sim writes ints or floats such as `142.0`); `parameters` is a
JSON object of the event dataclass's fields. Events and their parameters (drift-sim names):

===========================  ============================================================
deposit_collateral           user_index, deposit_amount (token decimals), spot_market_index
                             (default 0), mint_amount (tokens minted to the wallet), username
_mid_sim_deposit_collateral  as deposit_collateral, plus reduce_only (also read under its
                             earlier name mid_sim_deposit)
withdraw_collateral          user_index, spot_market_index, withdraw_amount, reduce_only, username
oracle_price,                market_index, price (dollars, decimal), conf (dollars, optional),
perp_oracle_price            slot (ignored: Ballast derives slots from time)
spot_oracle_price            the same, for a spot market
open_position                user_index, direction ("long" / "short"), quote_amount (1e6),
                             market_index
close_position               user_index, market_index
add_liquidity                user_index, market_index, token_amount (LP shares, 1e9)
remove_liquidity             user_index, market_index, lp_token_amount (1e9; -1 = all)
settle_lp / settle_pnl       user_index, market_index
init_if_stake                user_index, market_index (spot)
add_if_stake                 user_index, market_index (spot), amount (token decimals)
remove_if_stake              user_index, market_index (spot), amount (ignored, as drift-sim
                             does: the whole stake is removed)
update_k, repeg, liquidate   read, not executed (noted as skipped with the reason)
null                         (nothing; drift-sim's NullEvent)
===========================  ============================================================

Mapping to `Exchange` instructions (as drift-sim's `backtest/main.py` drives the program):

* deposit_collateral: `initialize_user` (authority `user<index>`, name = username) on first
  sight, then `deposit` into the row's spot market (none for a deposit of 0); drift-sim sets
  every user up before the loop, so all deposit_collateral rows run first, at the start time,
  in file order. `mint_amount` only fills the wallet, which Ballast does not model (an
  insurance-fund stake is paid from it, unlimited). _mid_sim_deposit_collateral: `deposit` in
  place. withdraw_collateral: `withdraw` (reduce_only as given).
* oracle_price / perp_oracle_price / spot_oracle_price: `update_clock` to the row's time and
  `update_oracle_price` of the perp or spot market (price rounded half even to 1e6).
* init_if_stake / add_if_stake: `initialize_insurance_fund_stake` / `add_insurance_fund_stake`.
  remove_if_stake: `request_remove_insurance_fund_stake` of the whole stake's value
  (`vault x shares / total shares`, as drift-sim computes it), then
  `remove_insurance_fund_stake` (drift-sim's unstaking period is 0).
* open_position: a market order placed and taken at once (`place_and_take_perp_order`) of
  `quote_amount x 1e9 / reserve price` base (drift-sim's conversion), capped at half the base
  reserve and floored to the order step; a zero size is skipped (as drift-sim does).
* close_position: the provider's LP position is settled first when it holds shares
  (`settle_lp`), then a reduce-only market order for the whole position; skipped without one.
* add_liquidity / remove_liquidity: `add_perp_lp_shares` / `remove_perp_lp_shares` (-1: all).
  (drift-sim's backtest forces -1 on every removal; Ballast follows the file's amount.)
* settle_lp: `settle_lp`. settle_pnl: `settle_pnl` in TrySettle mode, skipped without a
  position (as drift-sim does).

Time: event times are seconds relative to the start (`start_ts`, default the presets' genesis)
unless the first timestamp is already a unix time (>= 1e9), in which case they are absolute. The
clock never moves back: a row earlier than the clock is a ReplayError.

Oracle file (optional, `--oracle`): drift-sim's `oracle.csv` (header
`blockchainTimestamp,oraclePrice`; also accepted: timestamp/ts/time and price/oracle_price,
and an optional market_index column, default 0). Its times are unix seconds; for a relative
event file they are shifted so that the oracle file's first row is time 0. Each reading is
published when the replay's clock reaches it (before the row at that time).

The oracle holds: whenever the clock moves, every market's latest price is republished at the
new slot (a continuous feed, as drift-sim refreshes stale oracles).

Markets, as drift-sim's experiment sets them up (backtest/main.py::run_trial, backtest/setup.py)
when the experiment's `markets_json.csv` is given (`replay` reads it, and
`spot_markets_json.csv`, from the events file's folder): perp market i from entry i, reserves
`int(int(base_asset_reserve) / 1e13 * 1e9)` (drift-sim's own float conversion), peg and
oracle `peg_multiplier`, margin ratios 2000/1800 (its 5x initial leverage less 200), funding
period 1 s, order step 1e5 and tick 1, contract tier A, 100M USDC insurance and revenue caps;
no funding keeper runs (drift-sim's backtest never updates funding). Spot market i + 1 from
`spot_markets_json.csv` entry i: oracle `init_price`, 6 decimals, asset weights 0.8/0.9,
liability weights 1.2/1.1, optimal utilisation 5,000 (1e6) at 20 % and 50 % max borrow rate.
Without the JSON files, every perp market index the events name gets a perp market of the
presets' SOL-PERP shape (`base_liquidity` base of reserves at the peg, 10x/20x margins) pegged
at its first known price (first oracle row, else the oracle file, else `initial_price`; none at
all is a ReplayError), and the keeper `update_funding_rate` runs whenever the clock moves.
In both cases: the LP cooldown and every spot market's unstaking period are 0 and withdraw
guard thresholds are at their maximum, as drift-sim sets them.

Errors: a malformed file (missing column, unknown event name, parameters that are not a JSON
object, a missing or mistyped parameter, a bad timestamp) raises ReplayError naming the row
(1 = first data row) and its line. An instruction the engine refuses (a DriftError) does not stop
the replay, as a failed transaction does not stop drift-sim: it is recorded as a `ReplayNote`
event (outcome "failed") and counted in the summary; skipped rows are noted likewise.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyarrow as pa

from ballast import __version__
from ballast.drift.bal import BalPerformance, get_perp_position_with_lp_settle
from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    BASE_PRECISION,
    FUNDING_RATE_PRECISION,
    ONE_HOUR,
    PRICE_PRECISION,
    QUOTE_PRECISION,
)
from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.errors import DriftError
from ballast.drift.events import FundingPaymentRecord, LiquidationRecord
from ballast.drift.exchange import Exchange
from ballast.drift.math.amm import bid_ask_price, reserve_price
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.presets import GENESIS_TS
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import ContractTier
from ballast.drift.state.spot_market import SpotBalanceType
from ballast.drift.state.user import MarketType, OrderType, PositionDirection
from ballast.fixed import U64_MAX

__all__ = [
    "EVENT_PARAMETERS",
    "ReplayError",
    "ReplayNote",
    "ReplayResult",
    "ReplayRow",
    "read_events",
    "read_markets",
    "read_oracle",
    "read_spot_markets",
    "replay",
    "replay_outcome_lines",
    "run_replay",
]

VENUE = "drift"
ABSOLUTE_TS_THRESHOLD = 1_000_000_000

# oracle updates of a perp market (oracle_price, perp_oracle_price) or a spot market
_ORACLE = {
    "market_index": ("int", False), "price": ("number", True), "conf": ("number", False),
    "slot": ("int", False),
}

# name -> {parameter: (kind, required)}; kinds: "int", "number", "str", "bool", "direction"
EVENT_PARAMETERS: dict[str, dict[str, tuple[str, bool]]] = {
    "deposit_collateral": {
        "user_index": ("int", True), "deposit_amount": ("int", True),
        "spot_market_index": ("int", False), "mint_amount": ("int", False), "username": ("str", False),
    },
    "_mid_sim_deposit_collateral": {
        "user_index": ("int", True), "deposit_amount": ("int", True),
        "spot_market_index": ("int", False), "mint_amount": ("int", False),
        "reduce_only": ("bool", False), "username": ("str", False),
    },
    "withdraw_collateral": {
        "user_index": ("int", True), "spot_market_index": ("int", True),
        "withdraw_amount": ("int", True), "reduce_only": ("bool", True), "username": ("str", False),
    },
    "oracle_price": _ORACLE,
    "perp_oracle_price": _ORACLE,
    "spot_oracle_price": _ORACLE,
    "open_position": {
        "user_index": ("int", True), "direction": ("direction", True),
        "quote_amount": ("int", True), "market_index": ("int", True),
    },
    "close_position": {"user_index": ("int", True), "market_index": ("int", True)},
    "add_liquidity": {
        "user_index": ("int", True), "market_index": ("int", True), "token_amount": ("int", True),
    },
    "remove_liquidity": {
        "user_index": ("int", True), "market_index": ("int", True),
        "lp_token_amount": ("int", False),
    },
    "settle_lp": {"user_index": ("int", True), "market_index": ("int", True)},
    "settle_pnl": {"user_index": ("int", True), "market_index": ("int", True)},
    "init_if_stake": {"user_index": ("int", True), "market_index": ("int", True)},
    "add_if_stake": {"user_index": ("int", True), "market_index": ("int", True), "amount": ("int", True)},
    "remove_if_stake": {"user_index": ("int", True), "market_index": ("int", True), "amount": ("int", True)},
    "update_k": {"sqrt_k": ("int", True), "market_index": ("int", True)},
    "repeg": {"peg": ("int", True), "market_index": ("int", True)},
    "liquidate": {"user_index": ("int", True)},
    "null": {},
}
# the earlier name of _mid_sim_deposit_collateral, still accepted
EVENT_PARAMETERS["mid_sim_deposit"] = EVENT_PARAMETERS["_mid_sim_deposit_collateral"]
# events whose market_index names a spot market (the others name a perp market)
_SPOT_EVENTS = frozenset({"spot_oracle_price", "init_if_stake", "add_if_stake", "remove_if_stake"})
# drift-sim events Ballast reads but does not execute, and why
_NOT_REPLAYED = {
    "update_k": "the admin's update_k is not an instruction of Ballast's Drift engine",
    "repeg": "the admin's repeg_amm_curve is not an instruction of Ballast's Drift engine",
    "liquidate": "drift-sim's liquidator bot loop is not replayed (Ballast's backtests have their own keepers)",
}


class ReplayError(ValueError):
    """A malformed event or oracle file; the message names the row."""


@dataclass(frozen=True, slots=True)
class ReplayRow:
    """One validated row: `row` counts data rows from 1, `line` is the file line."""

    row: int
    line: int
    event_name: str
    timestamp: Decimal
    parameters: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReplayNote:
    """A row the engine refused ("failed", with the DriftError) or the replay skipped."""

    ts: int
    row: int
    event_name: str
    outcome: str
    message: str


@dataclass
class ReplayResult:
    """What `run_replay` produces: the fields of a BacktestResult, for the run folder."""

    scenario: dict[str, Any]
    seed: int
    timeseries: pa.Table
    agents: pa.Table
    events: list[tuple[str, Any]]
    summary: dict[str, float]
    data_digest: str = ""
    manifest_extra: dict[str, Any] = field(default_factory=dict)
    exchange: Exchange | None = None


# --- parsing ----------------------------------------------------------------------------------


def _where(row: int, line: int, name: str | None = None) -> str:
    return f"row {row} (line {line})" + (f", event {name!r}" if name else "")


def _check_parameter(value: Any, kind: str) -> bool:
    if kind == "int":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "direction":
        return value in ("long", "short")
    raise AssertionError(kind)


def _parse_timestamp(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise ReplayError(f"{where}: timestamp {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ReplayError(f"{where}: timestamp {text!r} must be a finite number >= 0")
    return value


def read_events(path: str | Path) -> list[ReplayRow]:
    """Parse and validate a drift-sim events.csv; raise ReplayError naming the first bad row."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ReplayError(f"{path.name}: empty file (expected header event_name,timestamp,parameters)")
        header = [name.strip() for name in header]
        missing = [n for n in ("event_name", "timestamp", "parameters") if n not in header]
        if missing:
            raise ReplayError(f"{path.name}: header lacks column(s) {', '.join(missing)}: {header}")
        positions = {name: header.index(name) for name in ("event_name", "timestamp", "parameters")}
        rows = []
        for number, cells in enumerate(reader, start=1):
            line = reader.line_num
            if not cells or all(not cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise ReplayError(
                    f"{path.name} {_where(number, line)}: expected {len(header)} fields, got {len(cells)}"
                )
            name = cells[positions["event_name"]].strip()
            where = f"{path.name} {_where(number, line, name)}"
            if name not in EVENT_PARAMETERS:
                raise ReplayError(
                    f"{path.name} {_where(number, line)}: unknown event name {name!r} "
                    f"(known: {', '.join(sorted(EVENT_PARAMETERS))})"
                )
            timestamp = _parse_timestamp(cells[positions["timestamp"]], where)
            text = cells[positions["parameters"]].strip() or "{}"
            try:
                parameters = json.loads(text)
            except json.JSONDecodeError as error:
                raise ReplayError(f"{where}: parameters are not valid JSON ({error.msg}): {text!r}") from None
            if not isinstance(parameters, dict):
                raise ReplayError(f"{where}: parameters must be a JSON object, got {text!r}")
            spec = EVENT_PARAMETERS[name]
            unknown = sorted(set(parameters) - set(spec))
            if unknown:
                raise ReplayError(f"{where}: unexpected parameter(s) {', '.join(unknown)}")
            for key, (kind, required) in spec.items():
                if key not in parameters:
                    if required:
                        raise ReplayError(f"{where}: missing parameter {key!r}")
                    continue
                if not _check_parameter(parameters[key], kind):
                    raise ReplayError(
                        f"{where}: parameter {key!r} must be {kind}, got {parameters[key]!r}"
                    )
                if kind == "int":
                    parameters[key] = int(parameters[key])
            rows.append(ReplayRow(number, line, name, timestamp, parameters))
    return rows


_TIME_COLUMNS = ("blockchaintimestamp", "timestamp", "ts", "time")
_PRICE_COLUMNS = ("oracleprice", "price", "oracle_price")


def _price_to_int(value: Any, where: str) -> int:
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise ReplayError(f"{where}: price {value!r} is not a number") from None
    if not price.is_finite():
        raise ReplayError(f"{where}: price {value!r} is not finite")
    return int((price * PRICE_PRECISION).to_integral_value(rounding=ROUND_HALF_EVEN))


def read_oracle(path: str | Path) -> list[tuple[int, int, int]]:
    """Parse an oracle CSV into (unix seconds, market_index, price 1e6), sorted by time (stable)."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = [name.strip().lower() for name in next(reader, [])]
        time_col = next((header.index(n) for n in _TIME_COLUMNS if n in header), None)
        price_col = next((header.index(n) for n in _PRICE_COLUMNS if n in header), None)
        if time_col is None or price_col is None:
            raise ReplayError(
                f"{path.name}: header needs a time column ({'/'.join(_TIME_COLUMNS)}) and a price "
                f"column ({'/'.join(_PRICE_COLUMNS)}), got {header}"
            )
        market_col = header.index("market_index") if "market_index" in header else None
        readings = []
        for number, cells in enumerate(reader, start=1):
            if not cells or all(not c.strip() for c in cells):
                continue
            where = f"{path.name} {_where(number, reader.line_num)}"
            if len(cells) != len(header):
                raise ReplayError(f"{where}: expected {len(header)} fields, got {len(cells)}")
            ts = _parse_timestamp(cells[time_col], where).to_integral_value(rounding=ROUND_FLOOR)
            market = 0
            if market_col is not None:
                try:
                    market = int(cells[market_col])
                except ValueError:
                    raise ReplayError(f"{where}: market_index {cells[market_col]!r} is not an integer") from None
            readings.append((int(ts), market, _price_to_int(cells[price_col], where)))
    readings.sort(key=lambda r: r[0])
    return readings


# --- execution --------------------------------------------------------------------------------


# drift-sim's experiment set-up (backtest/setup.py::setup_market, setup_spot_market; main.py::run_trial)
DRIFT_SIM_MARGIN_RATIO_INITIAL = 2_000  # MARGIN_PRECISION // perp_market_init_leverage (5)
DRIFT_SIM_MARGIN_RATIO_MAINTENANCE = 1_800  # initial less 200
DRIFT_SIM_ORDER_STEP = AMM_RESERVE_PRECISION // 10_000
DRIFT_SIM_MAX_IMBALANCE = 100_000_000 * QUOTE_PRECISION  # quote_max_insurance, max revenue withdraw
MARKETS_FILE = "markets_json.csv"
SPOT_MARKETS_FILE = "spot_markets_json.csv"


def _json_list(path: Path) -> list:
    try:
        entries = json.loads(path.read_text(encoding="utf-8") or "[]")
    except json.JSONDecodeError as error:
        raise ReplayError(f"{path.name}: not valid JSON ({error.msg})") from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ReplayError(f"{path.name}: expected a JSON list of objects")
    return entries


def read_markets(path: str | Path) -> list[tuple[int, int]]:
    """drift-sim's markets_json.csv (a JSON list of perp market accounts) as (base reserves
    1e9, peg 1e6) per market, converted as drift-sim's setup_market does: reserves
    `int(int(base_asset_reserve) / 1e13 * 1e9)` (its float arithmetic, kept as it is)."""
    path = Path(path)
    markets = []
    for number, entry in enumerate(_json_list(path)):
        try:
            reserves = int(int(entry["base_asset_reserve"]) / 1e13 * AMM_RESERVE_PRECISION)
            peg = int(entry["peg_multiplier"])
        except (KeyError, TypeError, ValueError) as error:
            raise ReplayError(
                f"{path.name} market {number}: needs integer base_asset_reserve and peg_multiplier ({error!r})"
            ) from None
        if reserves <= 0 or peg <= 0:
            raise ReplayError(f"{path.name} market {number}: reserves {reserves} and peg {peg} must be positive")
        markets.append((reserves, peg))
    return markets


def read_spot_markets(path: str | Path) -> list[int]:
    """drift-sim's spot_markets_json.csv (a JSON list of {"init_price": dollars}) as the
    opening oracle price (1e6) of spot markets 1, 2, ..."""
    path = Path(path)
    prices = []
    for number, entry in enumerate(_json_list(path)):
        if "init_price" not in entry:
            raise ReplayError(f"{path.name} spot market {number + 1}: needs init_price")
        price = _price_to_int(entry["init_price"], f"{path.name} spot market {number + 1}")
        if price <= 0:
            raise ReplayError(f"{path.name} spot market {number + 1}: init_price must be positive")
        prices.append(price)
    return prices


def _authority(user_index: int) -> str:
    return f"user{user_index}"


class _Replayer:
    def __init__(
        self,
        rows: Sequence[ReplayRow],
        oracle: Sequence[tuple[int, int, int]],
        start_ts: int,
        base_liquidity: int,
        initial_price: int | None = None,
        markets: Sequence[tuple[int, int]] | None = None,
        spot_prices: Sequence[int] = (),
    ) -> None:
        self.rows = rows
        self.initial_price = initial_price
        self.markets = markets
        self.spot_prices = spot_prices
        absolute = bool(rows) and rows[0].timestamp >= ABSOLUTE_TS_THRESHOLD
        self.base_ts = 0 if absolute else start_ts
        shift = 0
        if oracle and not absolute:
            shift = oracle[0][0] - start_ts
        self.oracle = [(ts - shift, market, price) for ts, market, price in oracle]
        self.oracle_pos = 0
        self.base_liquidity = base_liquidity
        self.exchange = Exchange()
        self.exchange.update_clock(self._time_of(rows[0]) if rows else start_ts)
        self.exchange.initialize_spot_market(unstaking_period=0, withdraw_guard_threshold=U64_MAX)
        self.exchange.update_lp_cooldown_time(0)
        self.notes: list[tuple[int, ReplayNote]] = []  # (position in exchange.events, note)
        self.last_price: dict[int, int] = {}
        self.last_spot_price: dict[int, int] = {}
        self.kinds: dict[str, str] = {}
        self.bal = BalPerformance()
        self.ts_rows: dict[int, list[dict]] = {}
        self.agent_rows: dict[int, list[dict]] = {}
        self.funding: dict[str, int] = {}
        self.removal_fees: dict[str, int] = {}
        self.events_seen = 0

    def _time_of(self, row: ReplayRow) -> int:
        return self.base_ts + int(row.timestamp.to_integral_value(rounding=ROUND_FLOOR))

    # markets ------------------------------------------------------------------------------

    def setup_markets(self) -> None:
        for number, price in enumerate(self.spot_prices, start=1):
            self.exchange.initialize_spot_market(
                number, decimals=6, name=f"SPOT-{number}", oracle_price=price,
                initial_asset_weight=8_000, maintenance_asset_weight=9_000,
                initial_liability_weight=12_000, maintenance_liability_weight=11_000,
                optimal_utilization=5_000, optimal_borrow_rate=200_000, max_borrow_rate=500_000,
                unstaking_period=0, withdraw_guard_threshold=U64_MAX,
            )
            self.last_spot_price[number] = price
        if self.markets is not None:
            for index, (reserves, peg) in enumerate(self.markets):
                self.exchange.initialize_perp_market(
                    market_index=index, amm_base_asset_reserve=reserves, amm_quote_asset_reserve=reserves,
                    amm_periodicity=1, amm_peg_multiplier=peg, oracle_price=peg,
                    margin_ratio_initial=DRIFT_SIM_MARGIN_RATIO_INITIAL,
                    margin_ratio_maintenance=DRIFT_SIM_MARGIN_RATIO_MAINTENANCE,
                    order_step_size=DRIFT_SIM_ORDER_STEP, order_tick_size=1, min_order_size=DRIFT_SIM_ORDER_STEP,
                    contract_tier=ContractTier.A, quote_max_insurance=DRIFT_SIM_MAX_IMBALANCE,
                    max_revenue_withdraw_per_period=DRIFT_SIM_MAX_IMBALANCE, name=f"PERP-{index}",
                )
                self.last_price[index] = peg
            return
        indices = {
            row.parameters.get("market_index", 0)
            for row in self.rows
            if "market_index" in EVENT_PARAMETERS[row.event_name] and row.event_name not in _SPOT_EVENTS
        }
        indices |= {market for _, market, _ in self.oracle}
        if not indices:
            return
        first_price: dict[int, int] = {}
        for row in self.rows:
            if row.event_name in ("oracle_price", "perp_oracle_price"):
                market = row.parameters.get("market_index", 0)
                first_price.setdefault(market, _price_to_int(row.parameters["price"], f"row {row.row}"))
        for _, market, price in self.oracle:
            first_price.setdefault(market, price)
        for index in range(max(indices) + 1):
            price = first_price.get(index, self.initial_price)
            if price is None:
                raise ReplayError(
                    f"perp market {index} has no price: give an oracle_price row for it, an "
                    "oracle file or an initial price"
                )
            if price <= 0:
                raise ReplayError(f"perp market {index}: first price {price / PRICE_PRECISION} must be positive")
            self._add_market(index, price)
            self.last_price[index] = price

    def _add_market(self, index: int, price: int) -> None:
        reserves = self.base_liquidity * AMM_RESERVE_PRECISION
        self.exchange.initialize_perp_market(
            market_index=index,
            amm_base_asset_reserve=reserves,
            amm_quote_asset_reserve=reserves,
            amm_periodicity=ONE_HOUR,
            amm_peg_multiplier=price,
            oracle_price=price,
            margin_ratio_initial=1000,
            margin_ratio_maintenance=500,
            liquidator_fee=10_000,
            if_liquidation_fee=10_000,
            base_spread=1000,
            max_spread=50_000,
            order_step_size=BASE_PRECISION // 100,
            order_tick_size=100,
            min_order_size=BASE_PRECISION // 100,
            concentration_coef_scale=1,
            curve_update_intensity=0,
            contract_tier=ContractTier.B,
            name=f"PERP-{index}",
        )

    # clock ---------------------------------------------------------------------------------

    def advance(self, now: int, row: ReplayRow | None) -> None:
        exchange = self.exchange
        if now < exchange.now:
            where = _where(row.row, row.line, row.event_name) if row else "oracle"
            raise ReplayError(
                f"{where}: timestamp goes back in time ({now - self.base_ts} < "
                f"{exchange.now - self.base_ts} s since the start)"
            )
        while self.oracle_pos < len(self.oracle) and self.oracle[self.oracle_pos][0] <= now:
            ts, market, price = self.oracle[self.oracle_pos]
            self.oracle_pos += 1
            if market not in exchange.perp_markets:
                continue
            self._move_clock(max(ts, exchange.now))
            self._publish(market, price)
        self._move_clock(now)

    def _move_clock(self, now: int) -> None:
        exchange = self.exchange
        if now == exchange.now:
            return
        exchange.update_clock(now)
        for market, price in sorted(self.last_price.items()):
            exchange.update_oracle_price(market, price)
        for market, price in sorted(self.last_spot_price.items()):
            exchange.update_oracle_price(market, price, market_type=MarketType.Spot)
        if self.markets is None:  # drift-sim's own markets never update funding
            for market in sorted(exchange.perp_markets):
                self._attempt(None, "update_funding_rate", lambda m=market: exchange.update_funding_rate(m))

    def _publish(self, market: int, price: int, confidence: int = 0) -> None:
        self.exchange.update_oracle_price(market, price, confidence)
        self.last_price[market] = price

    def _publish_spot(self, market: int, price: int, confidence: int = 0) -> None:
        self.exchange.update_oracle_price(market, price, confidence, market_type=MarketType.Spot)
        self.last_spot_price[market] = price

    # rows ------------------------------------------------------------------------------

    def _note(self, row: ReplayRow | None, name: str, outcome: str, message: str) -> None:
        note = ReplayNote(self.exchange.now, row.row if row else 0, name, outcome, message)
        self.notes.append((len(self.exchange.events), note))

    def _attempt(self, row: ReplayRow | None, name: str, action) -> Any:
        try:
            return action()
        except DriftError as error:
            self._note(row, name, "failed", f"{type(error).__name__}: {error}")
            return None

    def _ensure_user(self, user_index: int, username: str) -> None:
        authority = _authority(user_index)
        if f"{authority}/0" not in self.exchange.users:
            self.exchange.initialize_user(authority, 0, username)
            self.kinds.setdefault(authority, "trader")

    def run(self) -> None:
        self.setup_markets()
        deposits = [row for row in self.rows if row.event_name == "deposit_collateral"]
        for row in deposits:
            self._deposit(row)
        self.sample()
        for row in self.rows:
            if row.event_name == "deposit_collateral":
                continue
            self.advance(self._time_of(row), row)
            self.execute(row)
            self.sample()
        if self.oracle_pos < len(self.oracle):
            self.advance(self.oracle[-1][0], None)
            self.sample()

    def execute(self, row: ReplayRow) -> None:
        ex = self.exchange
        p = row.parameters
        name = row.event_name
        if name == "null":
            return
        if name in _NOT_REPLAYED:
            self._note(row, name, "skipped", _NOT_REPLAYED[name])
            return
        if name in ("oracle_price", "perp_oracle_price", "spot_oracle_price"):
            self._oracle(row)
            return
        authority = _authority(p["user_index"])
        market = p.get("market_index", 0)
        if name in ("_mid_sim_deposit_collateral", "mid_sim_deposit"):
            self._deposit(row)
        elif name == "withdraw_collateral":
            self._attempt(row, name, lambda: ex.withdraw(
                authority, 0, p["spot_market_index"], p["withdraw_amount"], p["reduce_only"]))
        elif name == "init_if_stake":
            self._attempt(row, name, lambda: ex.initialize_insurance_fund_stake(authority, market))
        elif name == "add_if_stake":
            self._attempt(row, name, lambda: ex.add_insurance_fund_stake(authority, market, p["amount"]))
        elif name == "remove_if_stake":
            self._remove_if_stake(row, authority, market)
        elif name == "open_position":
            self._open(row, authority, market, p["direction"], p["quote_amount"])
        elif name == "close_position":
            self._close(row, authority, market)
        elif name == "add_liquidity":
            minted = self._attempt(
                row, name, lambda: ex.add_perp_lp_shares(authority, 0, market, p["token_amount"])
            )
            if minted is not None:
                self.kinds[authority] = "bal_lp"
        elif name == "remove_liquidity":
            amount = p.get("lp_token_amount", -1)
            shares = None if amount == -1 else amount
            fee = self._dust_fee_estimate(authority, market)
            burned = self._attempt(
                row, name, lambda: ex.remove_perp_lp_shares(authority, 0, market, shares)
            )
            if burned:
                self.removal_fees[authority] = self.removal_fees.get(authority, 0) + fee
        elif name == "settle_lp":
            self._attempt(row, name, lambda: ex.settle_lp(authority, 0, market))
        elif name == "settle_pnl":
            position = self._position(authority, market)
            if position is None or position.base_asset_amount == 0:
                self._note(row, name, "skipped", "no open position")
                return
            self._attempt(row, name, lambda: ex.settle_pnl(authority, 0, market, SettlePnlMode.TrySettle))
        else:  # pragma: no cover - read_events admits only known names
            raise ReplayError(f"{_where(row.row, row.line)}: unknown event name {name!r}")

    def _deposit(self, row: ReplayRow) -> None:
        p = row.parameters
        self._ensure_user(p["user_index"], p.get("username", "u"))
        if p["deposit_amount"] == 0:  # only minted to the wallet
            return
        self._attempt(row, row.event_name, lambda: self.exchange.deposit(
            _authority(p["user_index"]), 0, p.get("spot_market_index", 0), p["deposit_amount"]))

    def _oracle(self, row: ReplayRow) -> None:
        p = row.parameters
        name = row.event_name
        market = p.get("market_index", 0)
        spot = name == "spot_oracle_price"
        if market not in (self.exchange.spot_markets if spot else self.exchange.perp_markets):
            self._note(row, name, "skipped", f"no {'spot' if spot else 'perp'} market {market}")
            return
        price = _price_to_int(p["price"], _where(row.row, row.line, name))
        conf = abs(_price_to_int(p.get("conf", 0), _where(row.row, row.line, name)))
        if spot:
            self._attempt(row, name, lambda: self._publish_spot(market, price, conf))
        else:
            self._attempt(row, name, lambda: self._publish(market, price, conf))

    def _remove_if_stake(self, row: ReplayRow, authority: str, market: int) -> None:
        """drift-sim's RemoveIfStakeEvent: unstake the whole stake's value
        (vault x shares / total shares, floored), then remove it; nothing when that is 0."""
        ex = self.exchange
        stake = ex.insurance_fund_stakes.get(f"{authority}/{market}")
        if market not in ex.spot_markets or stake is None:
            self._note(row, row.event_name, "failed", f"{authority} has no insurance-fund stake in spot market {market}")
            return
        fund = ex.spot_market(market).insurance_fund
        amount = fund.vault_amount * stake.if_shares // fund.total_shares if fund.total_shares else 0
        if amount == 0:
            self._note(row, row.event_name, "skipped", "the stake is worth 0")
            return
        self._attempt(row, row.event_name, lambda: ex.request_remove_insurance_fund_stake(authority, market, amount))
        if stake.last_withdraw_request_shares == 0:  # the request was refused (noted)
            return
        self._attempt(row, row.event_name, lambda: ex.remove_insurance_fund_stake(authority, market))

    def _dust_fee_estimate(self, authority: str, market: int) -> int:
        """The residual-burn fee a removal charges, `floor(|r| x oracle / 1e9) + 1` on the
        remainder r the settle leaves (0 without one). An estimate taken before the removal:
        the last provider out also takes the AMM's unsettled LP inventory, which this omits."""
        ex = self.exchange
        if f"{authority}/0" not in ex.users or market not in ex.perp_markets:
            return 0
        settled = get_perp_position_with_lp_settle(ex, authority, 0, market)
        remainder = settled.remainder_base_asset_amount
        if remainder == 0:
            return 0
        oracle = max(ex.oracle_map.get_perp(market).price, 0)
        return abs(remainder) * oracle // BASE_PRECISION + 1

    def _position(self, authority: str, market: int):
        user = self.exchange.users.get(f"{authority}/0")
        return None if user is None else user.get_perp_position(market)

    def _open(self, row: ReplayRow, authority: str, market: int, direction: str, quote: int) -> None:
        ex = self.exchange
        if market not in ex.perp_markets:
            self._note(row, row.event_name, "failed", f"no perp market {market}")
            return
        amm = ex.perp_market(market).amm
        price = reserve_price(amm)
        base = quote * BASE_PRECISION // price if price > 0 else 0
        base = min(base, amm.base_asset_reserve // 2)
        base -= base % amm.order_step_size
        if base <= 0:
            self._note(row, row.event_name, "skipped", f"quote_amount {quote} is less than one order step")
            return
        params = OrderParams(
            order_type=OrderType.Market,
            direction=PositionDirection.Long if direction == "long" else PositionDirection.Short,
            base_asset_amount=base,
            market_index=market,
        )
        self._attempt(row, row.event_name, lambda: ex.place_and_take_perp_order(authority, 0, params))

    def _close(self, row: ReplayRow, authority: str, market: int) -> None:
        ex = self.exchange
        position = self._position(authority, market)
        if position is not None and position.lp_shares > 0:
            self._attempt(row, "close_position (settle_lp)", lambda: ex.settle_lp(authority, 0, market))
            position = self._position(authority, market)
        if position is None or position.base_asset_amount == 0:
            self._note(row, row.event_name, "skipped", "no open position")
            return
        base = position.base_asset_amount
        params = OrderParams(
            order_type=OrderType.Market,
            direction=PositionDirection.Short if base > 0 else PositionDirection.Long,
            base_asset_amount=abs(base),
            market_index=market,
            reduce_only=True,
        )
        self._attempt(row, row.event_name, lambda: ex.place_and_take_perp_order(authority, 0, params))

    # sampling ------------------------------------------------------------------------------

    def _track_events(self) -> None:
        for record in self.exchange.events[self.events_seen:]:
            if isinstance(record, FundingPaymentRecord):
                authority = record.user.split("/")[0]
                self.funding[authority] = self.funding.get(authority, 0) + record.funding_payment
        self.events_seen = len(self.exchange.events)

    def sample(self) -> None:
        """Record the markets and users at the current time (a later sample at the same time
        replaces it)."""
        ex = self.exchange
        self._track_events()
        now = ex.now
        quote_market = ex.spot_market(0)
        deposit = SpotBalanceType.Deposit
        revenue = get_token_amount(quote_market.revenue_pool.scaled_balance, quote_market, deposit)
        insurance = quote_market.insurance_fund.vault_amount
        market_rows = []
        for index in sorted(ex.perp_markets):
            market = ex.perp_market(index)
            amm = market.amm
            oracle = ex.oracle_map.get_perp(index).price
            mark = reserve_price(amm)
            bid, ask = bid_ask_price(amm, mark)
            bal = self.bal.record(ex, index)
            twap = amm.historical_oracle_data.last_oracle_price_twap or oracle
            market_rows.append(
                {
                    "ts": now,
                    "venue": VENUE,
                    "market": market.name,
                    "oracle_price_usd": oracle / PRICE_PRECISION,
                    "mark_price_usd": mark / PRICE_PRECISION,
                    "bid_price_usd": bid / PRICE_PRECISION,
                    "ask_price_usd": ask / PRICE_PRECISION,
                    "oi_long": amm.base_asset_amount_long / BASE_PRECISION,
                    "oi_short": amm.base_asset_amount_short / BASE_PRECISION,
                    "amm_base": amm.base_asset_amount_with_amm / BASE_PRECISION,
                    "lp_unsettled_base": amm.base_asset_amount_with_unsettled_lp / BASE_PRECISION,
                    "bal_index_quote": bal.index_quote,
                    "bal_share_value_quote": bal.share_value_quote,
                    # hourly rate as a fraction of the oracle TWAP
                    "funding_rate": (
                        amm.last_funding_rate / FUNDING_RATE_PRECISION / (twap / PRICE_PRECISION)
                        if twap else 0.0
                    ),
                    "pnl_pool_usd": get_token_amount(market.pnl_pool.scaled_balance, quote_market, deposit) / QUOTE_PRECISION,
                    "fee_pool_usd": get_token_amount(amm.fee_pool.scaled_balance, quote_market, deposit) / QUOTE_PRECISION,
                    "revenue_pool_usd": revenue / QUOTE_PRECISION,
                    "insurance_fund_usd": insurance / QUOTE_PRECISION,
                }
            )
        self.ts_rows[now] = market_rows
        agent_rows = []
        for key in sorted(ex.users):
            user = ex.users[key]
            authority = user.authority
            nav = ex.user_equity(authority, user.sub_account_id)
            base = 0
            shares = 0
            for position in user.perp_positions:
                if position.lp_shares > 0:
                    # the LP's unsettled share of the AMM position, valued as if settled now
                    settled = get_perp_position_with_lp_settle(ex, authority, user.sub_account_id, position.market_index)
                    oracle = ex.oracle_map.get_perp(position.market_index).price
                    nav += _position_value(settled, oracle) - _position_value(position, oracle)
                    base += settled.base_asset_amount
                else:
                    base += position.base_asset_amount
                shares += position.lp_shares
            agent_rows.append(
                {
                    "ts": now,
                    "venue": VENUE,
                    "agent": key,
                    "kind": self.kinds.get(authority, "trader"),
                    "nav_usd": nav / QUOTE_PRECISION,
                    "fees_usd": None,
                    "funding_usd": self.funding.get(authority, 0) / QUOTE_PRECISION,
                    "inventory_pnl_usd": None,
                    "removal_fees_usd": self.removal_fees.get(authority, 0) / QUOTE_PRECISION,
                    "base_position": base / BASE_PRECISION,
                    "lp_shares": shares / AMM_RESERVE_PRECISION,
                }
            )
        self.agent_rows[now] = agent_rows

    def events(self) -> list[tuple[str, Any]]:
        merged: list[tuple[str, Any]] = []
        notes = iter(self.notes)
        pending = next(notes, None)
        for position, record in enumerate(self.exchange.events):
            while pending is not None and pending[0] <= position:
                merged.append((VENUE, pending[1]))
                pending = next(notes, None)
            merged.append((VENUE, record))
        while pending is not None:
            merged.append((VENUE, pending[1]))
            pending = next(notes, None)
        return merged


def _position_value(position, oracle_price: int) -> int:
    """quote + signed base value at the oracle (quote 1e6), as unrealized pnl counts it."""
    base = position.base_asset_amount
    value = abs(base) * max(oracle_price, 0) // BASE_PRECISION
    return position.quote_asset_amount + (value if base >= 0 else -value)


_TIMESERIES_TYPES = {
    "ts": pa.int64(), "venue": pa.string(), "market": pa.string(),
    "bal_index_quote": pa.int64(), "bal_share_value_quote": pa.int64(),
}
_AGENT_TYPES = {"ts": pa.int64(), "venue": pa.string(), "agent": pa.string(), "kind": pa.string()}


def _table(rows: Iterable[dict], integer_columns: dict[str, pa.DataType]) -> pa.Table:
    rows = list(rows)
    if not rows:
        return pa.table({})
    names = list(rows[0])
    schema = pa.schema([(n, integer_columns.get(n, pa.float64())) for n in names])
    return pa.Table.from_pylist(rows, schema=schema)


def run_replay(
    rows: Sequence[ReplayRow],
    oracle: Sequence[tuple[int, int, int]] = (),
    *,
    start_ts: int = GENESIS_TS,
    base_liquidity: int = 100_000,
    scenario: dict[str, Any] | None = None,
    data_digest: str = "",
    initial_price: float | str | Decimal | None = None,
    markets: Sequence[tuple[int, int]] | None = None,
    spot_prices: Sequence[int] = (),
) -> ReplayResult:
    """Execute validated rows on a fresh Drift exchange; return the result for the store.
    `initial_price` (dollars) pegs markets the rows and oracle give no price for; `markets`
    and `spot_prices` (read_markets, read_spot_markets) set the markets up as drift-sim does."""
    peg = None if initial_price is None else _price_to_int(initial_price, "initial price")
    replayer = _Replayer(rows, oracle, start_ts, base_liquidity, peg, markets, spot_prices)
    replayer.run()
    from ballast.report.stats import nav_stats, provider_rows

    timeseries = _table(
        (row for ts in sorted(replayer.ts_rows) for row in replayer.ts_rows[ts]), _TIMESERIES_TYPES
    )
    agents = _table(
        (row for ts in sorted(replayer.agent_rows) for row in replayer.agent_rows[ts]), _AGENT_TYPES
    )
    events = replayer.events()
    notes = [note for _, note in replayer.notes]
    exchange = replayer.exchange
    records = exchange.events
    first_ts = min(replayer.ts_rows) if replayer.ts_rows else exchange.now
    summary: dict[str, float] = {
        "rows_count": len(rows),
        "engine_events_count": len(records),
        "failed_events_count": sum(1 for n in notes if n.outcome == "failed"),
        "skipped_events_count": sum(1 for n in notes if n.outcome == "skipped"),
        "liquidations_count": sum(1 for r in records if isinstance(r, LiquidationRecord)),
        "duration_days": (exchange.now - first_ts) / 86_400,
        "insurance_fund_end_usd": exchange.spot_market(0).insurance_fund.vault_amount / QUOTE_PRECISION,
    }
    lp_stats = [
        nav_stats(group["ts"], group["nav_usd"])
        for (_venue, _agent), group in provider_rows(agents).items()
        if "lp" in str((group.get("kind") or [""])[-1])
    ]
    lp_stats = [s for s in lp_stats if s]
    if lp_stats:
        from ballast.sim.figures import capital_weighted

        summary["lp_count"] = len(lp_stats)
        summary["lp_pnl_usd"] = sum(s["pnl_usd"] for s in lp_stats)
        # one definition with the backtest's (ballast.report.metrics): capital-weighted, n/a under 7 days
        summary["lp_apr_pct"] = capital_weighted((s["apr_pct"], s["start_nav_usd"]) for s in lp_stats)
        summary["lp_max_drawdown_pct"] = max(s["max_drawdown_pct"] for s in lp_stats)
    return ReplayResult(
        scenario=scenario or {},
        seed=0,
        timeseries=timeseries,
        agents=agents,
        events=events,
        summary=summary,
        data_digest=data_digest,
        exchange=exchange,
    )


def replay(
    events_path: str | Path,
    oracle_path: str | Path | None = None,
    out_dir: str | Path = "runs",
    *,
    start_ts: int = GENESIS_TS,
    base_liquidity: int = 100_000,
    initial_price: float | str | Decimal | None = None,
    report: bool = True,
) -> Path:
    """Replay a drift-sim experiment into a run folder under `out_dir`; return the folder.
    `events_path` is its events.csv or its folder; the experiment's markets_json.csv and
    spot_markets_json.csv, when beside it and not empty, set the markets up; an optional oracle
    CSV. Raises ReplayError for a missing or malformed file."""
    from ballast.report import build_report
    from ballast.store.run_folder import data_digest_of_files, write_run

    events_path = Path(events_path)
    if events_path.is_dir():
        events_path = events_path / "events.csv"
    if not events_path.is_file():
        raise ReplayError(f"no events file {str(events_path)!r}")
    rows = read_events(events_path)
    oracle = read_oracle(oracle_path) if oracle_path is not None else []
    markets_path, spot_path = events_path.parent / MARKETS_FILE, events_path.parent / SPOT_MARKETS_FILE
    markets = read_markets(markets_path) if markets_path.is_file() else []
    spot_prices = read_spot_markets(spot_path) if spot_path.is_file() else []
    files = [events_path] + ([Path(oracle_path)] if oracle_path is not None else [])
    files += [path for path, used in ((markets_path, markets), (spot_path, spot_prices)) if used]
    digest = data_digest_of_files(files)
    scenario = {
        "kind": "replay",
        "format": "drift-sim events.csv",
        "events_file": events_path.name,
        "markets_file": MARKETS_FILE if markets else None,
        "spot_markets_file": SPOT_MARKETS_FILE if spot_prices else None,
        "oracle_file": Path(oracle_path).name if oracle_path is not None else None,
        "start_ts": start_ts,
        "base_liquidity": base_liquidity,
        "initial_price": None if initial_price is None else str(initial_price),
        "venue": VENUE,
    }
    result = run_replay(
        rows, oracle, start_ts=start_ts, base_liquidity=base_liquidity, scenario=scenario,
        data_digest=digest, initial_price=initial_price, markets=markets or None, spot_prices=spot_prices,
    )
    result.manifest_extra = {
        "replay": {
            "events_sha256": hashlib.sha256(events_path.read_bytes()).hexdigest(),
            "oracle_sha256": (
                hashlib.sha256(Path(oracle_path).read_bytes()).hexdigest() if oracle_path else None
            ),
            "ballast_version": __version__,
        }
    }
    return write_run(result, out_dir, finish=build_report if report else None)


def replay_outcome_lines(folder: str | Path, limit: int = 10) -> list[str]:
    """What a replay's terminal says of its rows: the counts of rows, failed and skipped
    ones, then the first `limit` failed rows (row number, event, the engine's refusal)."""
    from ballast.store.run_folder import load_run

    run = load_run(folder)
    summary = run.summary
    lines = [
        f"rows: {summary['rows_count']:,}, failed: {summary['failed_events_count']:,}, "
        f"skipped: {summary['skipped_events_count']:,}"
    ]
    events = run.events
    failed = [
        json.loads(fields)
        for kind, fields in zip(events.column("type").to_pylist(), events.column("fields").to_pylist(), strict=True)
        if kind == "ReplayNote" and json.loads(fields).get("outcome") == "failed"
    ] if events.num_rows else []
    for note in failed[:limit]:
        lines.append(f"  failed: row {note['row']} {note['event_name']}: {note['message']}")
    if len(failed) > limit:
        lines.append(f"  ... and {len(failed) - limit:,} more failed rows (events.parquet, type ReplayNote)")
    return lines
