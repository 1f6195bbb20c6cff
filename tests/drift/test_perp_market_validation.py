"""validate_perp_market / validate_perp_position_with_perp_market: a healthy market passes; each
broken invariant is its typed error naming the market; a fill on a broken market is refused with
the state unchanged (the reference validates the market before every fill; the LP controller
still checks only its LP-relevant subset, see controller/lp.py)."""

import pytest

from ballast.drift.constants import BASE_PRECISION, MAX_BASE_ASSET_AMOUNT_WITH_AMM
from ballast.drift.errors import (
    InvalidAmmDetected,
    InvalidPerpPositionDetected,
    InvalidPositionDelta,
)
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.user import OrderType, PerpPosition, PositionDirection
from ballast.drift.validation.perp_market import (
    validate_perp_market,
    validate_perp_position_with_perp_market,
)
from ballast.fixed import MathError


def _exchange():
    exchange = new_exchange()
    add_perp_market(exchange, 100, base_liquidity=10_000)
    fund_user(exchange, "alice", 10_000)
    exchange.update_amm(0)  # spreads and bid/ask reserves set
    return exchange


def _break(field_path: str, value):
    def apply(market):
        target = market
        *parents, name = field_path.split(".")
        for parent in parents:
            target = getattr(target, parent)
        setattr(target, name, value(market) if callable(value) else value)
    return apply


BREAKS = [
    ("amm.base_asset_amount_long", 5, InvalidPositionDelta, "order_step_size"),
    ("amm.base_asset_amount_with_amm", BASE_PRECISION, InvalidAmmDetected, "net base"),
    ("amm.peg_multiplier", 0, InvalidAmmDetected, "peg_multiplier"),
    ("amm.sqrt_k", lambda m: m.amm.base_asset_reserve // 2, InvalidAmmDetected, "k out of wack"),
    ("amm.user_lp_shares", lambda m: m.amm.sqrt_k + 1, InvalidAmmDetected, "user_lp_shares"),
    ("amm.quote_asset_reserve", lambda m: m.amm.quote_asset_reserve - 16, InvalidAmmDetected, "qar/bar/k"),
    ("amm.bid_base_asset_reserve", lambda m: m.amm.base_asset_reserve - 1, InvalidAmmDetected, "bid reserves"),
    ("amm.ask_base_asset_reserve", lambda m: m.amm.base_asset_reserve + 1, InvalidAmmDetected, "ask reserves"),
    ("amm.long_spread", 0, InvalidAmmDetected, "base_spread"),
    ("amm.short_spread", 1_000_000, InvalidAmmDetected, "max bid-ask spread"),
    ("amm.terminal_quote_asset_reserve", lambda m: m.amm.quote_asset_reserve + 1, InvalidAmmDetected,
     "terminal_quote_asset_reserve"),
    ("amm.max_spread", lambda m: m.amm.base_spread, InvalidAmmDetected, "max_spread"),
    ("insurance_claim.revenue_withdraw_since_last_settle", lambda m: m.insurance_claim.max_revenue_withdraw_per_period + 1,
     InvalidAmmDetected, "max_revenue_withdraw_per_period"),
    ("amm.base_asset_amount_per_lp", MAX_BASE_ASSET_AMOUNT_WITH_AMM, InvalidAmmDetected, "base_asset_amount_per_lp"),
    ("amm.quote_asset_amount_per_lp", MAX_BASE_ASSET_AMOUNT_WITH_AMM, InvalidAmmDetected, "quote_asset_amount_per_lp"),
    ("amm.base_asset_reserve", 0, MathError, "divides by 0"),
]


def test_a_healthy_market_passes():
    validate_perp_market(_exchange().perp_market(0))


@pytest.mark.parametrize("field_path, value, error, words", BREAKS, ids=[b[0] + ":" + b[3] for b in BREAKS])
def test_each_broken_invariant_is_named(field_path, value, error, words):
    market = _exchange().perp_market(0)
    _break(field_path, value)(market)
    with pytest.raises(error, match=words) as raised:
        validate_perp_market(market)
    assert "market 0" in str(raised.value)


def test_a_fill_on_a_broken_market_is_refused_and_changes_nothing():
    exchange = _exchange()
    exchange.perp_market(0).amm.base_asset_amount_long = 5  # off the order step
    digest = exchange.state_digest()
    params = OrderParams(order_type=OrderType.Market, direction=PositionDirection.Long, market_index=0,
                         base_asset_amount=BASE_PRECISION)
    with pytest.raises(InvalidPositionDelta, match="order_step_size"):
        exchange.place_and_take_perp_order("alice", 0, params)
    assert exchange.state_digest() == digest


def test_a_position_must_agree_with_its_market():
    market = _exchange().perp_market(0)
    validate_perp_position_with_perp_market(PerpPosition(market_index=0, base_asset_amount=BASE_PRECISION), market)
    for position, words in (
        (PerpPosition(market_index=1), "market_index unequal"),
        (PerpPosition(market_index=0, base_asset_amount=BASE_PRECISION + 1), "order_step_size"),
        (PerpPosition(market_index=0, lp_shares=BASE_PRECISION, per_lp_base=market.amm.per_lp_base + 1), "per_lp_base"),
    ):
        with pytest.raises(InvalidPerpPositionDetected, match=words):
            validate_perp_position_with_perp_market(position, market)
