"""A crash: SOL drops 90% in an hour with leveraged longs and BAL providers in the SOL-PERP.

Keepers liquidate every five minutes (liquidate_perp, which burns a provider's BAL shares
first, then liquidate_perp_pnl_for_deposit), and the users left bankrupt are resolved with
resolve_perp_bankruptcy. The test follows every dollar of the bankrupt losses through the
waterfall of the spec (/work/shared/spec/drift_insurance.md 9.2, 9.6): insurance fund (capped by
quote_max_insurance and vault - 1), then the perp fee pool, then socialised on every open
position through the cumulative funding rates. The audit balances after every step.
"""

from __future__ import annotations

import pytest

from ballast.drift.constants import ONE_HOUR
from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.errors import DriftError, SufficientCollateral
from ballast.drift.events import InsuranceFundRecord, LiquidationRecord, LiquidationType, LPRecord
from ballast.drift.exchange import Exchange
from ballast.drift.insurance_views import pools
from ballast.drift.presets import GENESIS_TS, fund_user
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import ContractTier
from ballast.drift.state.user import MarketType, OrderType, PositionDirection

BASE = 10**9
USDC = 10**6
PRICE = 10**6
LONG = PositionDirection.Long
SHORT = PositionDirection.Short
LONGS = [f"long{i}" for i in range(6)]
LEVERED_LP = "lp_long"  # a BAL provider that is also leveraged long
LP = "lp"  # a plain BAL provider
STAKES = {"staker1": 600 * USDC, "staker2": 200 * USDC}  # the fund: $800
QUOTE_MAX_INSURANCE = 1_000 * USDC  # more than the fund holds: the fund runs out first


def _ioc(direction: PositionDirection, base: int, price: int) -> OrderParams:
    return OrderParams(
        order_type=OrderType.Limit,
        direction=direction,
        base_asset_amount=base,
        price=price,
        immediate_or_cancel=True,
    )


def _balanced(ex: Exchange) -> None:
    report = ex.audit()
    assert report.balanced, report


def _publish(ex: Exchange, seconds: int, price: int) -> None:
    ex.update_clock(ex.now + seconds)
    ex.update_oracle_price(0, price)
    ex.update_oracle_price(1, price, market_type=MarketType.Spot)


def _setup() -> Exchange:
    ex = Exchange()
    ex.update_clock(GENESIS_TS - GENESIS_TS % ONE_HOUR + ONE_HOUR)
    ex.initialize_spot_market(total_if_factor=100_000, withdraw_guard_threshold=10**13)
    ex.initialize_spot_market(
        1,
        decimals=9,
        name="SOL",
        initial_asset_weight=8000,
        maintenance_asset_weight=9000,
        initial_liability_weight=12000,
        maintenance_liability_weight=11000,
        oracle_price=100 * PRICE,
        total_if_factor=100_000,
        withdraw_guard_threshold=10**15,
    )
    reserves = 10_000 * BASE
    ex.initialize_perp_market(
        0,
        reserves,
        reserves,
        ONE_HOUR,
        100 * PRICE,
        100 * PRICE,
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
        liquidator_fee=10_000,
        if_liquidation_fee=10_000,
        base_spread=1000,
        max_spread=50_000,
        order_step_size=BASE // 100,
        order_tick_size=100,
        min_order_size=BASE // 100,
        quote_max_insurance=QUOTE_MAX_INSURANCE,
        max_revenue_withdraw_per_period=100 * USDC,
        contract_tier=ContractTier.B,
        curve_update_intensity=100,
        name="SOL-PERP",
    )
    for staker, amount in STAKES.items():
        fund_user(ex, staker, 1)
        ex.initialize_insurance_fund_stake(staker, 0)
        ex.add_insurance_fund_stake(staker, 0, amount)
    fund_user(ex, "keeper", 10_000_000)
    fund_user(ex, "shorty", 1_000_000)
    for i, name in enumerate(LONGS):  # $1,000 each, 7x to 9.5x long
        fund_user(ex, name, 1_000)
        ex.place_and_take_perp_order(name, 0, _ioc(LONG, (70 + 5 * i) * BASE, 102 * PRICE))
    fund_user(ex, LEVERED_LP, 2_000)
    ex.add_perp_lp_shares(LEVERED_LP, 0, 0, 300 * BASE)
    ex.place_and_take_perp_order(LEVERED_LP, 0, _ioc(LONG, 50 * BASE, 103 * PRICE))
    fund_user(ex, LP, 5_000)
    ex.add_perp_lp_shares(LP, 0, 0, 300 * BASE)
    ex.place_and_take_perp_order("shorty", 0, _ioc(SHORT, 300 * BASE, 95 * PRICE))
    # a churner round-trips and settles its loss: the fee pool fills to half the exchange fees
    fund_user(ex, "churner", 100_000)
    for _ in range(3):
        ex.place_and_take_perp_order("churner", 0, _ioc(LONG, 200 * BASE, 103 * PRICE))
        ex.place_and_take_perp_order("churner", 0, _ioc(SHORT, 200 * BASE, 97 * PRICE))
    ex.settle_pnl("churner", 0, 0)
    assert pools(ex, 0)["fee_pool"] > 0
    _balanced(ex)
    return ex


def _keepers(ex: Exchange) -> None:
    for name in [*LONGS, LEVERED_LP, LP]:
        for liquidate in (
            lambda n=name: ex.liquidate_perp("keeper", 0, n, 0, 0, 10**15),
            lambda n=name: ex.liquidate_perp_pnl_for_deposit("keeper", 0, n, 0, 0, 0, 10**15),
        ):
            try:
                liquidate()
            except DriftError:
                pass
            _balanced(ex)


@pytest.fixture(scope="module")
def crash():
    ex = _setup()
    if_vault_start = ex.insurance_fund(0)["vault_amount"]
    events_start = len(ex.events)
    price = 100 * PRICE
    for minute in range(1, 61):  # 90% down in an hour, geometric, a reading every minute
        price = 10 * PRICE if minute == 60 else int(100 * PRICE * 0.1 ** (minute / 60))
        _publish(ex, 60, price)
        ex.update_amm(0)
        ex.update_funding_rate(0)
        if minute <= 5:  # a seller leans on the AMM early: the BAL providers take the other side
            try:
                ex.place_and_take_perp_order("shorty", 0, _ioc(SHORT, 60 * BASE, price * 95 // 100))
            except DriftError:
                pass
        if minute % 5 == 0:
            _keepers(ex)
        _balanced(ex)
    for _ in range(12 * 12):  # the price stays at $10 for 12 hours: the oracle twaps catch up
        _publish(ex, 300, price)
        ex.update_amm(0)
        ex.update_funding_rate(0)
    _keepers(ex)
    resolutions = []
    for name in [*LONGS, LEVERED_LP, LP]:
        user = ex.user(name)
        if not (user.is_bankrupt() or user.is_being_liquidated()):
            continue
        market = ex.perp_market(0)
        amm = market.amm
        before = {
            "long_rate": amm.cumulative_funding_rate_long,
            "short_rate": amm.cumulative_funding_rate_short,
            "open_interest": abs(amm.base_asset_amount_long) + abs(amm.base_asset_amount_short),
            "fee_pool_surplus": market.bankruptcy_fee_pool_surplus,
            "social_loss": amm.total_social_loss,
            "if_vault": ex.insurance_fund(0)["vault_amount"],
        }
        paid = ex.resolve_perp_bankruptcy("keeper", 0, name, 0, 0)
        record = ex.events[-1]
        resolutions.append(
            (
                name,
                paid,
                record,
                before,
                {
                    "long_rate": amm.cumulative_funding_rate_long,
                    "short_rate": amm.cumulative_funding_rate_short,
                    "fee_pool_surplus": market.bankruptcy_fee_pool_surplus,
                    "social_loss": amm.total_social_loss,
                },
            )
        )
        _balanced(ex)
        # keepers settle the winners between resolutions: the pools rebalance (pnl -> fee pool)
        ex.settle_pnl("shorty", 0, 0, mode=SettlePnlMode.TrySettle)
        _balanced(ex)
    return ex, if_vault_start, events_start, resolutions


def test_keepers_liquidated_longs_and_burned_bal_shares(crash):
    ex, _, events_start, _ = crash
    records = [e for e in ex.events[events_start:] if isinstance(e, LiquidationRecord)]
    kinds = {r.liquidation_type for r in records}
    assert LiquidationType.LiquidatePerp in kinds
    assert LiquidationType.LiquidatePerpPnlForDeposit in kinds
    burned = [
        r
        for r in records
        if r.liquidation_type is LiquidationType.LiquidatePerp and r.lp_shares > 0
    ]
    assert any(r.user == f"{LEVERED_LP}/0" for r in burned)
    assert ex.user(LEVERED_LP).get_perp_position(0).lp_shares == 0
    assert any(isinstance(e, LPRecord) for e in ex.events[events_start:])


def test_every_dollar_of_bankrupt_loss_lands_in_one_of_three_stages(crash):
    ex, _, _, resolutions = crash
    assert len(resolutions) >= 3
    losses = sum(-record.pnl for _, _, record, _, _ in resolutions)
    insurance = sum(paid for _, paid, _, _, _ in resolutions)
    market = ex.perp_market(0)
    fee_pool = market.bankruptcy_fee_pool_surplus
    socialised = market.amm.total_social_loss
    assert losses == insurance + fee_pool + socialised
    assert insurance > 0 and fee_pool > 0 and socialised > 0
    for _, paid, record, before, after in resolutions:  # per resolution, too
        fee = after["fee_pool_surplus"] - before["fee_pool_surplus"]
        social = after["social_loss"] - before["social_loss"]
        assert -record.pnl == paid + fee + social
        assert record.if_payment == paid
        # a stage only pays once the previous one is exhausted
        if fee > 0:
            assert paid == min(before["if_vault"] - 1, QUOTE_MAX_INSURANCE) or paid < -record.pnl
        if social > 0:
            assert paid + fee < -record.pnl


def test_the_fund_ran_out_and_its_vault_fell_by_exactly_its_payments(crash):
    ex, if_vault_start, events_start, resolutions = crash
    settled = sum(e.amount for e in ex.events[events_start:] if isinstance(e, InsuranceFundRecord))
    paid = sum(p for _, p, _, _, _ in resolutions)
    fund = ex.insurance_fund(0)
    assert fund["vault_amount"] == if_vault_start + settled - paid
    assert paid >= if_vault_start - 1  # drained to its last token (the vault - 1 cap)
    assert pools(ex, 0)["quote_settled_insurance"] == paid


def test_socialised_loss_moved_the_funding_rates_by_the_spec_formula(crash):
    _, _, _, resolutions = crash
    socialised_any = False
    for _, _, record, before, after in resolutions:
        social = after["social_loss"] - before["social_loss"]
        # 9.2 step 6: delta = ceil(|soc| x 1e9 / (|long| + |short|)) x 1000
        delta = -(-social * BASE // before["open_interest"]) * 1000
        if social > 0:
            socialised_any = True
            assert record.cumulative_funding_rate_delta == delta
            assert after["long_rate"] - before["long_rate"] == delta
            assert before["short_rate"] - after["short_rate"] == delta
        else:
            assert after["long_rate"] == before["long_rate"]
            assert after["short_rate"] == before["short_rate"]
    assert socialised_any


def test_winners_can_still_settle_and_nobody_is_left_bankrupt(crash):
    ex, _, _, _ = crash
    for name in [*LONGS, LEVERED_LP, LP]:
        assert not ex.user(name).is_bankrupt()
    for name in ("shorty", "keeper", LP):
        ex.settle_pnl(name, 0, 0, mode=SettlePnlMode.TrySettle)
        _balanced(ex)
    assert ex.user("shorty").get_perp_position(0).settled_pnl > 0


def test_a_solvent_keeper_cannot_be_liquidated_after_the_crash(crash):
    ex, _, _, _ = crash
    digest, n_events = ex.state_digest(), len(ex.events)
    with pytest.raises(SufficientCollateral):
        ex.liquidate_perp("shorty", 0, "keeper", 0, 0, BASE)
    assert (ex.state_digest(), len(ex.events)) == (digest, n_events)
