"""Spot trading on a Drift venue: the spot market of a scenario market's token, and the orders
and balances the spot agents (agents.SpotMaker, agents.SpotTaker) use.

A scenario market (e.g. "SOL-PERP") gets a spot market for its token the first time a spot
agent sets up on it: 9 decimals, its oracle following the market's path, the asset and
liability weights of the reference's SOL-like test market (8000/9000 asset, 12000/11000
liability; Assumption: the reference's `SpotMarket::default_base_market`, close to mainnet
SOL), orders on a 0.001-token step and a $0.0001 tick (Assumption: Ballast's choice, fine
enough for the agents' sizes). A venue without spot agents creates none, so its state and
digest are what they were.

Spot fills charge the spot fee schedule (`FeeStructure::spot_default`: 10 bps taker, 2 bps
maker rebate); their fee_to_market goes to the spot market's spot_fee_pool (the reference), or
to the quote revenue pool with the venue's `spot_fee_to_revenue_pool` (Ballast's option), where
the hourly settle carries it to the insurance fund.
"""

from __future__ import annotations

from ballast.drift.errors import DriftError
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.user import MarketType, OrderStatus, OrderType, PositionDirection
from ballast.fixed import MathError, div_floor
from ballast.sim.venues.base import OrderResult

__all__ = ["DriftSpotVenue", "SPOT_DECIMALS", "SPOT_STEP", "SPOT_TICK"]

SPOT_DECIMALS = 9
SPOT_STEP = 10**6  # 0.001 token
SPOT_TICK = 100  # $0.0001
_WEIGHTS = dict(
    initial_asset_weight=8000,
    maintenance_asset_weight=9000,
    initial_liability_weight=12000,
    maintenance_liability_weight=11000,
)


class DriftSpotVenue:
    """Spot methods of DriftVenue (a mixin: `exchange`, `prices`, `spot_markets`, `config`,
    `books`, `call`, `process_events` come from DriftVenue)."""

    def ensure_spot_market(self, market: str) -> int:
        """The spot market of `market`'s token, created (orders enabled) on first use."""
        index = self.spot_markets.get(market)
        if index is not None:
            return index
        ex = self.exchange
        index = ex.state.number_of_spot_markets
        ex.initialize_spot_market(
            index, decimals=SPOT_DECIMALS, name=market.split("-")[0], oracle_price=self.prices[market],
            **_WEIGHTS,
        )
        ex.update_spot_market_step_size_and_tick_size(index, SPOT_STEP, SPOT_TICK)
        ex.update_spot_market_min_order_size(index, SPOT_STEP)
        ex.update_spot_market_orders_enabled(index, True)
        if self.config.spot_fee_to_revenue_pool:
            ex.update_spot_fee_to_revenue_pool(True)
        self.spot_markets[market] = index
        return index

    def step_spot_oracles(self) -> None:
        """Publish each spot market's oracle at its scenario market's price."""
        ex = self.exchange
        for market, index in self.spot_markets.items():
            ex.update_oracle_price(index, self.prices[market], market_type=MarketType.Spot)

    def deposit_spot(self, authority: str, market: str, amount: int) -> None:
        """Deposit `amount` tokens (1e9) of `market`'s token from outside into `authority/0`."""
        self.exchange.deposit(authority, 0, self.ensure_spot_market(market), amount)

    def spot_balances(self, authority: str, market: str) -> tuple[int, int]:
        """(token, USDC) balances of `authority/0`, signed (1e9, 1e6)."""
        ex = self.exchange
        return (
            ex.token_amount(authority, 0, self.spot_markets[market]),
            ex.token_amount(authority, 0, 0),
        )

    def spot_oracle(self, market: str) -> int:
        """The spot token's oracle price, 1e6."""
        return self.exchange.oracle_map.get_spot(self.spot_markets[market]).price

    def spot_limit_order(self, authority: str, market: str, base: int, price: int) -> int | None:
        """Rest a post-only limit order of `base` tokens (signed: > 0 bids) at `price` (1e6,
        floored to the tick for bids, raised for asks); its order id, or None if refused."""
        size = abs(base) // SPOT_STEP * SPOT_STEP
        if size == 0:
            return None
        direction = PositionDirection.Long if base > 0 else PositionDirection.Short
        params = OrderParams(
            order_type=OrderType.Limit,
            market_type=MarketType.Spot,
            direction=direction,
            base_asset_amount=size,
            price=_on_spot_tick(price, up=direction is PositionDirection.Short),
            market_index=self.spot_markets[market],
            post_only=PostOnlyParam.MustPostOnly,
        )
        return self.call(authority, self.exchange.place_spot_order, authority, 0, params)

    def cancel_spot_orders(self, authority: str, market: str) -> None:
        """Cancel every open spot order of `authority/0` in `market`'s spot market."""
        ex = self.exchange
        index = self.spot_markets[market]
        for order in list(ex.user(authority, 0).orders):
            if order.status is OrderStatus.Open and order.market_type is MarketType.Spot and order.market_index == index:
                self.call(authority, ex.cancel_order, authority, 0, order.order_id)

    def spot_order(self, authority: str, market: str, base: int, limit_price: int) -> OrderResult:
        """An immediate-or-cancel spot order (`place_and_take_spot_order`) of `base` tokens
        (signed: > 0 buys) at worst `limit_price` (1e6) against the resting maker orders.
        Unfilled/partial reason: "no_crossing_maker" (nothing resting crossed the limit, or
        the makers' balances ran out)."""
        size = abs(base) // SPOT_STEP * SPOT_STEP
        if size == 0:
            return OrderResult(base, 0, "rejected", "below_order_step")
        direction = PositionDirection.Long if base > 0 else PositionDirection.Short
        params = OrderParams(
            order_type=OrderType.Limit,
            market_type=MarketType.Spot,
            direction=direction,
            base_asset_amount=size,
            price=_on_spot_tick(limit_price, up=direction is PositionDirection.Short),
            market_index=self.spot_markets[market],
            immediate_or_cancel=True,
        )
        try:
            filled = self.exchange.place_and_take_spot_order(authority, 0, params)
        except (DriftError, MathError) as error:
            return OrderResult(base, 0, "rejected", type(error).__name__)
        self.process_events()
        signed = filled if base > 0 else -filled
        if filled == size:
            return OrderResult(base, signed, "filled")
        return OrderResult(base, signed, "partial" if filled else "unfilled", "no_crossing_maker")

    def spot_fees(self, market: str) -> int:
        """fee_to_market booked by `market`'s spot fills so far (total_spot_fee, USDC 1e6)."""
        return self.exchange.spot_markets[self.spot_markets[market]].total_spot_fee


def _on_spot_tick(price: int, up: bool) -> int:
    ticks = div_floor(price, SPOT_TICK)
    if up and ticks * SPOT_TICK < price:
        ticks += 1
    return max(ticks, 1) * SPOT_TICK
