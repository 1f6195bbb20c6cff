"""One deterministic end-to-end scenario on the Exchange facade, checked number by number.

Two markets (SOL-PERP at $100, ETH-PERP at $2000) and six users:

* carol opens a 7x SOL long (70 SOL on $1,000) and is liquidated by the keeper when SOL falls;
* alice is long 40 SOL (about 2x) and bob short 4 ETH (about 2.7x), both against the AMM;
* maker rests post-only bids and asks in both markets; dave hits the SOL bid with a market sell
  (maker first, then the AMM) and lifts the ETH ask with a resting limit that the keeper fills;
* the oracle walks a fixed path every 5 minutes for 6 hours, with hourly funding updates;
* at the end every user settles funding and pnl (losers first).

The golden numbers were recorded once from the engine (DESIGN.md: golden snapshots for whole
scenarios); the cross-checks below them hold whatever the numbers are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pytest

from ballast.drift.constants import BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION
from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.events import (
    FundingPaymentRecord,
    FundingRateRecord,
    LiquidationRecord,
    OrderAction,
    OrderActionExplanation,
    OrderActionRecord,
)
from ballast.drift.exchange import Exchange
from ballast.drift.math.pnl import get_unrealized_pnl
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.spot_market import SpotBalanceType
from ballast.drift.state.user import OrderType, PositionDirection

SOL, ETH = 0, 1
MARKETS = (SOL, ETH)
USERS = ("alice", "bob", "carol", "maker", "keeper", "dave")
DEPOSITS_USD = {
    "alice": 2_000,
    "bob": 3_000,
    "carol": 1_000,
    "maker": 50_000,
    "keeper": 20_000,
    "dave": 5_000,
}
STEP_SECONDS = 300  # oracle every 5 minutes
FUNDING_EVERY = 12  # steps: hourly
LIQUIDATION_STEP = 48  # 4 h in: SOL at $90.00
TIER0_FEE_NUMERATOR = 100  # 10 bps of FEE_DENOMINATOR 100_000
FEE_DENOMINATOR = 100_000
TIER0_MAKER_REBATE_NUMERATOR = 20

# Oracle prices in cents, one every 5 minutes from t0 (index 0) to 6 h (index 72).
# SOL: $100 -> $103 (2 h) -> $90 (4 h) -> $95 (6 h); ETH: $2000 -> $2040 -> $1980 -> $2010.
# fmt: off
SOL_CENTS = (
    10000, 10012, 10025, 10038, 10050, 10062, 10075, 10088, 10100, 10112, 10125, 10138, 10150,
    10162, 10175, 10188, 10200, 10212, 10225, 10238, 10250, 10262, 10275, 10288, 10300, 10246,
    10192, 10138, 10083, 10029, 9975, 9921, 9867, 9812, 9758, 9704, 9650, 9596, 9542, 9488, 9433,
    9379, 9325, 9271, 9217, 9162, 9108, 9054, 9000, 9021, 9042, 9062, 9083, 9104, 9125, 9146, 9167,
    9188, 9208, 9229, 9250, 9271, 9292, 9312, 9333, 9354, 9375, 9396, 9417, 9438, 9458, 9479, 9500,
)
ETH_CENTS = (
    200000, 200167, 200333, 200500, 200667, 200833, 201000, 201167, 201333, 201500, 201667, 201833,
    202000, 202167, 202333, 202500, 202667, 202833, 203000, 203167, 203333, 203500, 203667, 203833,
    204000, 203750, 203500, 203250, 203000, 202750, 202500, 202250, 202000, 201750, 201500, 201250,
    201000, 200750, 200500, 200250, 200000, 199750, 199500, 199250, 199000, 198750, 198500, 198250,
    198000, 198125, 198250, 198375, 198500, 198625, 198750, 198875, 199000, 199125, 199250, 199375,
    199500, 199625, 199750, 199875, 200000, 200125, 200250, 200375, 200500, 200625, 200750, 200875,
    201000,
)
# fmt: on


def _market(direction: PositionDirection, base: int, market_index: int) -> OrderParams:
    return OrderParams(
        order_type=OrderType.Market,
        direction=direction,
        base_asset_amount=base,
        market_index=market_index,
    )


def _limit(
    direction: PositionDirection,
    base: int,
    price: int,
    market_index: int,
    post_only: PostOnlyParam = PostOnlyParam.None_,
    immediate_or_cancel: bool = False,
) -> OrderParams:
    return OrderParams(
        order_type=OrderType.Limit,
        direction=direction,
        base_asset_amount=base,
        price=price,
        market_index=market_index,
        post_only=post_only,
        immediate_or_cancel=immediate_or_cancel,
    )


@dataclass
class Scenario:
    exchange: Exchange
    net_unsettled_funding_pnl_start: dict[int, int]
    carol_before_liquidation: dict = field(default_factory=dict)
    carol_after_liquidation: dict = field(default_factory=dict)
    keeper_before_liquidation: dict = field(default_factory=dict)
    keeper_after_liquidation: dict = field(default_factory=dict)
    carol_maintenance_at_liquidation: tuple[int, int] = (0, 0)


def _bases(exchange: Exchange, authority: str) -> dict[int, int]:
    user = exchange.user(authority)
    return {m: (p.base_asset_amount if (p := user.get_perp_position(m)) else 0) for m in MARKETS}


def run_scenario() -> Scenario:
    exchange = new_exchange()
    add_perp_market(exchange, 100, base_liquidity=100_000, name="SOL-PERP")
    add_perp_market(exchange, 2_000, base_liquidity=10_000, name="ETH-PERP")
    for authority, dollars in DEPOSITS_USD.items():
        fund_user(exchange, authority, dollars)
    scenario = Scenario(
        exchange, {m: exchange.perp_market(m).amm.net_unsettled_funding_pnl for m in MARKETS}
    )
    long, short = PositionDirection.Long, PositionDirection.Short

    # t0: the traders take from the AMM; the maker rests post-only quotes inside the AMM's
    # (SOL AMM bid/ask 100.170252/100.270473 and ETH 1997.401758/1999.400159 at this point).
    exchange.place_and_take_perp_order("carol", 0, _market(long, 70 * BASE_PRECISION, SOL))
    exchange.place_and_take_perp_order(
        "alice",
        0,
        _limit(long, 40 * BASE_PRECISION, 101 * PRICE_PRECISION, SOL, immediate_or_cancel=True),
    )
    exchange.place_and_take_perp_order("bob", 0, _market(short, 4 * BASE_PRECISION, ETH))
    must = PostOnlyParam.MustPostOnly
    exchange.place_perp_order("maker", 0, _limit(long, 20 * BASE_PRECISION, 100_200_000, SOL, must))
    sol_ask = exchange.place_perp_order(
        "maker", 0, _limit(short, 20 * BASE_PRECISION, 100_250_000, SOL, must)
    )
    exchange.place_perp_order(
        "maker", 0, _limit(long, 2 * BASE_PRECISION, 1_998_000_000, ETH, must)
    )
    exchange.place_perp_order(
        "maker", 0, _limit(short, 2 * BASE_PRECISION, 1_999_000_000, ETH, must)
    )

    start = exchange.now
    for step in range(1, len(SOL_CENTS)):
        exchange.update_clock(start + step * STEP_SECONDS)
        for market_index, cents in ((SOL, SOL_CENTS[step]), (ETH, ETH_CENTS[step])):
            price = cents * (PRICE_PRECISION // 100)
            exchange.update_oracle_price(market_index, price, confidence=price // 5_000)
        if step % FUNDING_EVERY == 0:
            for market_index in MARKETS:
                exchange.update_funding_rate(market_index)
        if step == 3:  # dave sells 30 SOL: 20 from the maker's bid, the rest from the AMM
            exchange.place_and_take_perp_order("dave", 0, _market(short, 30 * BASE_PRECISION, SOL))
        if step == 6:  # dave rests a limit bid at the maker's ETH ask; the keeper fills it
            order_id = exchange.place_perp_order(
                "dave", 0, _limit(long, BASE_PRECISION, 1_999_000_000, ETH)
            )
            exchange.fill_perp_order("keeper", 0, "dave", 0, order_id)
        if step == 9:
            exchange.cancel_order("maker", 0, sol_ask)
        if step == 30:  # alice takes profit on half of her SOL with an IOC limit
            exchange.place_and_take_perp_order(
                "alice",
                0,
                _limit(
                    short, 20 * BASE_PRECISION, 99 * PRICE_PRECISION, SOL, immediate_or_cancel=True
                ),
            )
        if step == LIQUIDATION_STEP:
            calculation = exchange.margin_calculation(
                exchange.user("carol"), MarginRequirementType.Maintenance
            )
            scenario.carol_maintenance_at_liquidation = (
                calculation.total_collateral,
                calculation.margin_requirement,
            )
            scenario.carol_before_liquidation = _bases(exchange, "carol")
            scenario.keeper_before_liquidation = _bases(exchange, "keeper")
            exchange.liquidate_perp("keeper", 0, "carol", 0, SOL, 1_000 * BASE_PRECISION)
            scenario.carol_after_liquidation = _bases(exchange, "carol")
            scenario.keeper_after_liquidation = _bases(exchange, "keeper")

    # the end: everyone settles funding, then pnl in each market, losers first
    for market_index in MARKETS:
        oracle = exchange.oracle_map.get_perp(market_index).price

        def unrealized(
            authority: str, market_index: int = market_index, oracle: int = oracle
        ) -> int:
            position = exchange.user(authority).get_perp_position(market_index)
            return 0 if position is None else get_unrealized_pnl(position, oracle)

        for authority in sorted(USERS, key=unrealized):
            if exchange.user(authority).get_perp_position(market_index) is None:
                continue
            exchange.settle_funding_payment(authority, 0)
            exchange.settle_pnl(authority, 0, market_index, SettlePnlMode.TrySettle)
    return scenario


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return run_scenario()


# --- golden values (recorded from the engine once) ----------------------------------------

GOLDEN_POSITIONS = {  # authority -> {market: (base_asset_amount, quote_asset_amount)}
    "alice": {SOL: (20_000_000_000, -1_900_000_000)},
    "bob": {ETH: (-4_000_000_000, 8_040_000_000)},
    "carol": {SOL: (32_700_000_000, -3_106_500_000)},
    "maker": {SOL: (20_000_000_000, -1_900_000_000), ETH: (-1_000_000_000, 2_010_000_000)},
    "keeper": {SOL: (37_300_000_000, -3_543_500_000), ETH: (0, 0)},
    "dave": {SOL: (-30_000_000_000, 2_850_000_000), ETH: (1_000_000_000, -2_010_000_000)},
}
GOLDEN_USDC = {
    "alice": 1_885_101_084,
    "bob": 2_936_489_751,
    "carol": 376_036_816,
    "maker": 49_879_794_629,
    "keeper": 20_211_312_464,
    "dave": 5_167_662_315,
}
GOLDEN_MARKETS = {
    SOL: {
        "base_asset_amount_with_amm": 80_000_000_000,
        "cumulative_funding_rate_long": 196_278_318,
        "cumulative_funding_rate_short": 132_805_458,
        "total_fee": 22_635_946,
        "total_liquidation_fee": 33_570_000,
    },
    ETH: {
        "base_asset_amount_with_amm": -4_000_000_000,
        "cumulative_funding_rate_long": -2_080_405_625,
        "cumulative_funding_rate_short": -2_080_405_625,
        "total_fee": 13_514_387,
        "total_liquidation_fee": 0,
    },
}
GOLDEN_EVENT_COUNTS = {
    "DepositRecord": 6,
    "FundingPaymentRecord": 10,  # incl. the payment settled inside alice's fill
    "FundingRateRecord": 11,  # 12 due; SOL's at 4 h is blocked (oracle $90 vs mark ~$100.2)
    "LiquidationRecord": 1,
    "NewUserRecord": 6,
    "OrderActionRecord.Cancel.Nil": 1,
    "OrderActionRecord.Fill.Liquidation": 1,
    "OrderActionRecord.Fill.OrderFilledWithAMM": 5,
    "OrderActionRecord.Fill.OrderFilledWithMatch": 2,
    "OrderActionRecord.Place.Nil": 10,
    "OrderRecord": 12,
    "SettlePnlRecord": 9,
}


def test_golden_user_positions(scenario: Scenario) -> None:
    exchange = scenario.exchange
    for authority, markets in GOLDEN_POSITIONS.items():
        user = exchange.user(authority)
        for market_index, (base, quote) in markets.items():
            position = user.get_perp_position(market_index)
            assert (position.base_asset_amount, position.quote_asset_amount) == (base, quote), (
                authority,
                market_index,
            )


def test_golden_usdc_balances(scenario: Scenario) -> None:
    exchange = scenario.exchange
    assert {a: exchange.token_amount(a, 0, 0) for a in USERS} == GOLDEN_USDC


def test_golden_market_aggregates(scenario: Scenario) -> None:
    exchange = scenario.exchange
    for market_index, expected in GOLDEN_MARKETS.items():
        market = exchange.perp_market(market_index)
        actual = {
            "base_asset_amount_with_amm": market.amm.base_asset_amount_with_amm,
            "cumulative_funding_rate_long": market.amm.cumulative_funding_rate_long,
            "cumulative_funding_rate_short": market.amm.cumulative_funding_rate_short,
            "total_fee": market.amm.total_fee,
            "total_liquidation_fee": market.amm.total_liquidation_fee,
        }
        assert actual == expected, market_index


def test_golden_event_counts(scenario: Scenario) -> None:
    assert _event_counts(scenario.exchange) == GOLDEN_EVENT_COUNTS


def _event_counts(exchange: Exchange) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for event in exchange.events:
        name = type(event).__name__
        if isinstance(event, OrderActionRecord):
            name = f"{name}.{event.action.name}.{event.action_explanation.name}"
        counts[name] += 1
    return dict(sorted(counts.items()))


# --- cross-checks that hold whatever the golden numbers are -------------------------------


def _fills(exchange: Exchange) -> list[OrderActionRecord]:
    return [
        e
        for e in exchange.events
        if isinstance(e, OrderActionRecord) and e.action is OrderAction.Fill
    ]


def test_scenario_exercises_amm_fills_maker_fills_funding_and_a_liquidation(
    scenario: Scenario,
) -> None:
    assert len(SOL_CENTS) == len(ETH_CENTS) == 73  # 6 h of 5-minute readings
    explanations = Counter(fill.action_explanation for fill in _fills(scenario.exchange))
    assert explanations[OrderActionExplanation.OrderFilledWithAMM] > 0
    assert explanations[OrderActionExplanation.OrderFilledWithMatch] > 0
    assert explanations[OrderActionExplanation.Liquidation] == 1
    rates = [e for e in scenario.exchange.events if isinstance(e, FundingRateRecord)]
    assert {r.market_index for r in rates} == set(MARKETS)


def test_audit_is_balanced_at_the_end(scenario: Scenario) -> None:
    report = scenario.exchange.audit()
    assert report.vault_difference == {0: 0}
    assert report.mismatches == ()
    assert report.balanced


def test_users_usdc_plus_pnl_and_fee_pools_equal_the_vault(scenario: Scenario) -> None:
    exchange = scenario.exchange
    quote = exchange.spot_market(0)
    users = sum(exchange.token_amount(a, 0, 0) for a in USERS)
    pools = sum(
        get_token_amount(m.pnl_pool.scaled_balance, quote, SpotBalanceType.Deposit)
        + get_token_amount(m.amm.fee_pool.scaled_balance, quote, SpotBalanceType.Deposit)
        for m in exchange.perp_markets.values()
    )
    revenue = get_token_amount(quote.revenue_pool.scaled_balance, quote, SpotBalanceType.Deposit)
    assert users + pools + revenue == quote.vault_amount
    assert quote.vault_amount == sum(DEPOSITS_USD.values()) * QUOTE_PRECISION  # no withdrawals


def test_position_bases_and_quotes_sum_to_the_market_aggregates(scenario: Scenario) -> None:
    exchange = scenario.exchange
    for market_index in MARKETS:
        amm = exchange.perp_market(market_index).amm
        positions = [
            p for a in USERS if (p := exchange.user(a).get_perp_position(market_index)) is not None
        ]
        assert sum(p.base_asset_amount for p in positions) == amm.base_asset_amount_with_amm
        assert sum(p.quote_asset_amount for p in positions) == amm.quote_asset_amount
        assert amm.base_asset_amount_with_unsettled_lp == 0


def test_carol_was_below_maintenance_and_the_liquidation_moved_base_to_the_keeper(
    scenario: Scenario,
) -> None:
    collateral, requirement = scenario.carol_maintenance_at_liquidation
    assert collateral < requirement
    carol_delta = scenario.carol_after_liquidation[SOL] - scenario.carol_before_liquidation[SOL]
    keeper_delta = scenario.keeper_after_liquidation[SOL] - scenario.keeper_before_liquidation[SOL]
    assert carol_delta < 0  # the long shrank
    assert keeper_delta == -carol_delta > 0
    assert scenario.carol_after_liquidation[SOL] > 0  # partial: only what covers the shortage
    (record,) = [e for e in scenario.exchange.events if isinstance(e, LiquidationRecord)]
    assert record.base_asset_amount == carol_delta
    assert (
        record.liquidator_fee
        == record.if_fee
        == scenario.exchange.perp_market(SOL).amm.total_liquidation_fee
    )
    # 1% liquidator fee and 1% IF fee (presets) of the transferred value at the oracle
    assert record.quote_asset_amount == -carol_delta * record.oracle_price // BASE_PRECISION
    assert record.liquidator_fee == record.quote_asset_amount // 100


def test_every_trade_fill_charges_the_tier0_taker_fee_and_maker_rebate(scenario: Scenario) -> None:
    fills = [
        f
        for f in _fills(scenario.exchange)
        if f.action_explanation is not OrderActionExplanation.Liquidation
    ]
    assert len(fills) == 7
    for fill in fills:
        quote = fill.quote_asset_amount_filled
        assert fill.taker_fee == -(-quote * TIER0_FEE_NUMERATOR // FEE_DENOMINATOR), fill  # ceil
        if fill.action_explanation is OrderActionExplanation.OrderFilledWithMatch:
            assert fill.maker_fee == -(quote * TIER0_MAKER_REBATE_NUMERATOR // FEE_DENOMINATOR), (
                fill
            )
        else:
            assert fill.maker_fee is None


def test_total_fee_is_the_amm_share_of_every_fill_less_the_filler_reward(
    scenario: Scenario,
) -> None:
    exchange = scenario.exchange
    # the keeper's only ETH activity is filling dave's order: its settled ETH pnl is the filler
    # reward, min(10% of the fee, time-based reward) with the matched-order multiplier (spec 6.2)
    eth_fill = next(
        f
        for f in _fills(exchange)
        if f.market_index == ETH
        and f.action_explanation is OrderActionExplanation.OrderFilledWithMatch
    )
    maker_price = 1_999_000_000
    d = (
        (eth_fill.oracle_price - maker_price) * 1_000_000 // eth_fill.oracle_price
    )  # both > 0: trunc
    multiplier = min(max(2_000 + d, 1_000), 100_000)  # short maker
    min_time_reward = 10_000 * multiplier // 1_000
    time_reward = 100 * min_time_reward // 100  # iroot4(max(1, 0 slots) * 1e8) = 100
    filler_reward = min(eth_fill.taker_fee * 10 // 100, time_reward)
    assert exchange.user("keeper").get_perp_position(ETH).settled_pnl == filler_reward == 74_720
    for market_index in MARKETS:
        expected = 0
        for fill in _fills(exchange):
            if fill.market_index != market_index:
                continue
            if fill.action_explanation is OrderActionExplanation.OrderFilledWithAMM:
                expected += fill.taker_fee + fill.quote_asset_amount_surplus
            elif fill.action_explanation is OrderActionExplanation.OrderFilledWithMatch:
                expected += fill.taker_fee + fill.maker_fee
        if market_index == ETH:
            expected -= filler_reward
        assert exchange.perp_market(market_index).amm.total_fee == expected, market_index


def _funding_imbalance(record: FundingRateRecord) -> int:
    """What an update moves into net_unsettled_funding_pnl: the payment (quote 1e6) that the
    AMM's side (the users' net base) makes at the new rate, truncated as the spec does."""
    net = record.base_asset_amount_with_amm + record.base_asset_amount_with_unsettled_lp
    magnitude = abs(record.funding_rate) * abs(net) // 1_000_000_000
    payment = -magnitude if (net > 0) == (record.funding_rate > 0) else magnitude
    truncated = abs(payment) // 1_000  # 1e9 -> 1e6 quote, toward zero
    return truncated if payment >= 0 else -truncated


def test_funding_payment_records_account_for_the_change_in_net_unsettled_funding_pnl(
    scenario: Scenario,
) -> None:
    exchange = scenario.exchange
    for market_index in MARKETS:
        payments = sum(
            e.funding_payment
            for e in exchange.events
            if isinstance(e, FundingPaymentRecord) and e.market_index == market_index
        )
        imbalance = sum(
            _funding_imbalance(e)
            for e in exchange.events
            if isinstance(e, FundingRateRecord) and e.market_index == market_index
        )
        change = (
            exchange.perp_market(market_index).amm.net_unsettled_funding_pnl
            - scenario.net_unsettled_funding_pnl_start[market_index]
        )
        assert payments == -(change - imbalance), market_index


def test_each_users_cumulative_perp_funding_equals_its_recorded_payments(
    scenario: Scenario,
) -> None:
    exchange = scenario.exchange
    for authority in USERS:
        recorded = sum(
            e.funding_payment
            for e in exchange.events
            if isinstance(e, FundingPaymentRecord) and e.user == f"{authority}/0"
        )
        assert exchange.user(authority).cumulative_perp_funding == recorded, authority


def test_the_funding_check_holds_once_the_unrecorded_fill_payment_is_added(
    scenario: Scenario,
) -> None:
    """The net_unsettled identity balances with the cumulative_perp_funding of the users (which
    the fills do update): only the records are missing, not the accounting."""
    exchange = scenario.exchange
    paid = sum(exchange.user(a).cumulative_perp_funding for a in USERS)
    imbalance = sum(
        _funding_imbalance(e) for e in exchange.events if isinstance(e, FundingRateRecord)
    )
    change = sum(
        exchange.perp_market(m).amm.net_unsettled_funding_pnl
        - scenario.net_unsettled_funding_pnl_start[m]
        for m in MARKETS
    )
    assert paid == -(change - imbalance)


def test_replaying_the_scenario_gives_the_same_digest_and_events(scenario: Scenario) -> None:
    again = run_scenario().exchange
    assert again.state_digest() == scenario.exchange.state_digest()
    assert again.events == scenario.exchange.events


def test_minimal_fill_after_a_funding_update_records_the_funding_payment() -> None:
    exchange = new_exchange()
    add_perp_market(exchange, 100)
    fund_user(exchange, "alice", 10_000)
    exchange.place_and_take_perp_order(
        "alice", 0, _market(PositionDirection.Long, 10 * BASE_PRECISION, SOL)
    )
    exchange.update_clock(exchange.now + 3_600)
    exchange.update_oracle_price(SOL, 100 * PRICE_PRECISION)
    assert exchange.update_funding_rate(SOL)
    events_before = len(exchange.events)
    exchange.place_and_take_perp_order(
        "alice", 0, _market(PositionDirection.Long, BASE_PRECISION, SOL)
    )
    assert exchange.user("alice").cumulative_perp_funding != 0  # the fill settled funding
    assert any(isinstance(e, FundingPaymentRecord) for e in exchange.events[events_before:])


def test_minimal_withdraw_after_a_funding_update_records_the_funding_payment() -> None:
    exchange = new_exchange()
    add_perp_market(exchange, 100)
    fund_user(exchange, "alice", 10_000)
    exchange.place_and_take_perp_order(
        "alice", 0, _market(PositionDirection.Long, 10 * BASE_PRECISION, SOL)
    )
    exchange.update_clock(exchange.now + 3_600)
    exchange.update_oracle_price(SOL, 100 * PRICE_PRECISION)
    assert exchange.update_funding_rate(SOL)
    events_before = len(exchange.events)
    exchange.withdraw("alice", 0, 0, QUOTE_PRECISION)
    assert exchange.user("alice").cumulative_perp_funding != 0  # the withdrawal settled funding
    assert any(isinstance(e, FundingPaymentRecord) for e in exchange.events[events_before:])
