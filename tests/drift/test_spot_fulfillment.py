"""A spot taker order matched with one maker order: balances, fees, volumes and the spot fee pool.

Reference vectors: programs/drift/src/controller/orders/tests.rs, module
fulfill_spot_order_with_match (each case names its test). Their fixtures: SpotMarket::
default_base_market (SOL, 9 decimals, step/tick 1, weights 8000/9000/12000/11000) and
default_quote_market (USDC), the test fee structure get_fee_structure() (5 bps taker fee, 3 bps
maker rebate), an empty oracle map (every price $1), no filler.
"""

from __future__ import annotations

import pytest

from ballast.drift.constants import (
    PRICE_PRECISION,
    SPOT_BALANCE_PRECISION,
    SPOT_CUMULATIVE_INTEREST_PRECISION,
)
from ballast.drift.controller.spot_orders import fill_spot_order, fulfill_spot_order_with_match
from ballast.drift.errors import InsufficientCollateral
from ballast.drift.events import OrderAction, OrderActionExplanation, OrderActionRecord
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import HistoricalOracleData
from ballast.drift.state.spot_market import SpotBalanceType
from ballast.drift.state.state import FeeStructure, FeeTier, State
from ballast.drift.state.user import (
    MarketType,
    Order,
    OrderStatus,
    OrderType,
    PositionDirection,
    SpotPosition,
    User,
    UserStats,
)
from tests.drift.spot_factories import default_base_market, default_quote_market

SOL = 10**9  # LAMPORTS_PER_SOL
PRICE = PRICE_PRECISION
SBP = SPOT_BALANCE_PRECISION
LONG, SHORT = PositionDirection.Long, PositionDirection.Short
CI = SPOT_CUMULATIVE_INTEREST_PRECISION


def _fee_structure() -> FeeStructure:
    """tests.rs::get_fee_structure: tier 0 charges 5 bps and rebates 3 bps."""
    return FeeStructure(
        fee_tiers=(FeeTier(fee_numerator=5, fee_denominator=10000, maker_rebate_numerator=3,
                           maker_rebate_denominator=10000),)
    )


def _oracle_map() -> OracleMap:
    """OracleMap::empty(): the default oracle reads $1 for every market."""
    oracle_map = OracleMap()
    for index in (0, 1):
        oracle_map.publish(MarketType.Spot, index, PRICE, 0)
    return oracle_map


def _quote(scaled: int) -> SpotPosition:
    return SpotPosition(market_index=0, scaled_balance=scaled, balance_type=SpotBalanceType.Deposit)


def _user(order: Order, *positions: SpotPosition) -> User:
    return User(authority=f"user{id(order)}", orders=[order], spot_positions=list(positions))


def _market_order(direction, base, start, end, duration=5) -> Order:
    return Order(
        market_index=1, market_type=MarketType.Spot, order_type=OrderType.Market,
        status=OrderStatus.Open, direction=direction, base_asset_amount=base, slot=0,
        auction_start_price=start, auction_end_price=end, auction_duration=duration,
    )


def _maker_limit(direction, base, price) -> Order:
    return Order(
        market_index=1, market_type=MarketType.Spot, order_type=OrderType.Limit,
        status=OrderStatus.Open, post_only=True, direction=direction, base_asset_amount=base,
        price=price,
    )


def _bid_position(base: int) -> SpotPosition:
    return SpotPosition(market_index=1, open_orders=1, open_bids=base)


def _ask_position(held: int, ask: int) -> SpotPosition:
    return SpotPosition(
        market_index=1, balance_type=SpotBalanceType.Deposit, scaled_balance=held, open_orders=1,
        open_asks=-ask,
    )


def _match(taker, maker, slot, base_market=None, quote_deposits=101 * SBP):
    base_market = base_market or default_base_market(deposit_balance=SBP)
    quote_market = default_quote_market(deposit_balance=quote_deposits)
    taker_stats, maker_stats = UserStats(), UserStats()
    result = fulfill_spot_order_with_match(
        base_market, quote_market, taker, taker_stats, 0, "taker", maker, maker_stats, 0, "maker",
        None, None, slot, slot, _oracle_map(), _fee_structure(), [],
    )
    return result, base_market, taker_stats, maker_stats


def _position(user: User, market_index: int) -> SpotPosition:
    position = user.get_spot_position(market_index)
    assert position is not None
    return position


@pytest.mark.parametrize(
    ("case", "taker_quote", "maker_price", "slot", "taker_quote_after", "maker_quote_after", "fee", "rebate", "to_market"),
    [
        # long_taker_order_fulfilled_start_of_auction: auction 100 -> 200 over 5 slots, slot 1
        ("start", 101 * SBP, 100 * PRICE, 1, 950_000_000, 100_030_000_000, 50_000, 30_000, 20_000),
        # long_taker_order_fulfilled_middle_of_auction: slot 3, maker asks 160
        ("middle", 161 * SBP, 160 * PRICE, 3, 920_000_000, 160_048_000_000, 80_000, 48_000, 32_000),
    ],
)
def test_long_taker_buys_one_sol_from_a_resting_ask(
    case, taker_quote, maker_price, slot, taker_quote_after, maker_quote_after, fee, rebate, to_market
):
    # Arrange
    taker = _user(_market_order(LONG, SOL, 100 * PRICE, 200 * PRICE), _quote(taker_quote), _bid_position(SOL))
    maker = _user(_maker_limit(SHORT, SOL, maker_price), _ask_position(SBP, SOL))
    # Act
    (base, quote), base_market, taker_stats, maker_stats = _match(taker, maker, slot, quote_deposits=taker_quote)
    # Assert
    assert (base, quote) == (SOL, maker_price)  # one SOL at the maker price is that many quote units
    assert _position(taker, 0).scaled_balance == taker_quote_after
    assert (_position(taker, 1).scaled_balance, _position(taker, 1).open_bids) == (SBP, 0)
    assert _position(taker, 1).open_orders == 0
    assert taker_stats.taker_volume_30d == quote
    assert taker_stats.fees.total_fee_paid == fee
    assert _position(maker, 0).scaled_balance == maker_quote_after
    assert (_position(maker, 1).scaled_balance, _position(maker, 1).open_orders) == (0, 0)
    assert maker_stats.maker_volume_30d == quote
    assert maker_stats.fees.total_fee_rebate == rebate
    assert base_market.total_spot_fee == to_market
    assert base_market.spot_fee_pool.scaled_balance == to_market * 1000


@pytest.mark.parametrize(
    ("maker_price", "slot", "taker_quote_after", "maker_quote_after", "fee", "rebate", "to_market"),
    [
        # short_taker_order_fulfilled_start_of_auction: auction 100 -> 50, slot 1, maker bids 100
        (100 * PRICE, 1, 99_950_000_000, 1_030_000_000, 50_000, 30_000, 20_000),
        # short_taker_order_fulfilled_middle_of_auction: slot 3, maker bids 70
        (70 * PRICE, 3, 69_965_000_000, 31_021_000_000, 35_000, 21_000, 14_000),
    ],
)
def test_short_taker_sells_one_sol_to_a_resting_bid(
    maker_price, slot, taker_quote_after, maker_quote_after, fee, rebate, to_market
):
    # Arrange
    taker = _user(_market_order(SHORT, SOL, 100 * PRICE, 50 * PRICE), _ask_position(SBP, SOL))
    maker = _user(_maker_limit(LONG, SOL, maker_price), _quote(101 * SBP), _bid_position(SOL))
    # Act
    (base, quote), base_market, taker_stats, maker_stats = _match(taker, maker, slot)
    # Assert
    assert (base, quote) == (SOL, maker_price)  # one SOL at the maker price is that many quote units
    assert _position(taker, 0).scaled_balance == taker_quote_after
    assert (_position(taker, 1).scaled_balance, _position(taker, 1).open_orders) == (0, 0)
    assert taker_stats.fees.total_fee_paid == fee
    assert _position(maker, 0).scaled_balance == maker_quote_after
    assert _position(maker, 1).scaled_balance == SBP
    assert (_position(maker, 1).open_bids, _position(maker, 1).open_orders) == (0, 0)
    assert maker_stats.fees.total_fee_rebate == rebate
    assert base_market.total_spot_fee == to_market
    assert base_market.spot_fee_pool.scaled_balance == to_market * 1000


def test_long_taker_auction_price_below_the_ask_does_not_fill():
    # long_taker_order_auction_price_does_not_satisfy_maker: ask 201 above the whole auction
    taker = _user(_market_order(LONG, SOL, 100 * PRICE, 200 * PRICE), _quote(101 * SBP), _bid_position(SOL))
    maker = _user(_maker_limit(SHORT, SOL, 201 * PRICE), _ask_position(SBP, SOL))
    (base, _quote_filled), base_market, _, _ = _match(taker, maker, 1)
    assert base == 0
    assert base_market.total_spot_fee == 0


def test_short_taker_auction_price_above_the_bid_does_not_fill():
    # short_taker_order_auction_price_does_not_satisfy_maker: bid 49 below the whole auction
    taker = _user(_market_order(SHORT, SOL, 100 * PRICE, 50 * PRICE), _ask_position(SBP, SOL))
    maker = _user(_maker_limit(LONG, SOL, 49 * PRICE), _quote(101 * SBP), _bid_position(SOL))
    (base, _quote_filled), _, _, _ = _match(taker, maker, 3)
    assert base == 0


def test_long_taker_bigger_than_maker_fills_the_maker_and_stays_open():
    # long_taker_order_bigger_than_maker: taker wants 100 SOL, maker has 1
    taker = _user(_market_order(LONG, 100 * SOL, 100 * PRICE, 200 * PRICE), _quote(101 * SBP), _bid_position(100 * SOL))
    maker = _user(_maker_limit(SHORT, SOL, 100 * PRICE), _ask_position(SBP, SOL))
    (base, quote), base_market, taker_stats, maker_stats = _match(taker, maker, 1)
    assert base == SOL
    assert _position(taker, 0).scaled_balance == 950_000_000
    assert _position(taker, 1).scaled_balance == SBP
    assert (_position(taker, 1).open_bids, _position(taker, 1).open_orders) == (99 * SOL, 1)
    assert (taker.orders[0].base_asset_amount_filled, taker.orders[0].quote_asset_amount_filled) == (SOL, 100 * 10**6)
    assert taker.orders[0].status is OrderStatus.Open
    assert _position(maker, 0).scaled_balance == 100_030_000_000
    assert (_position(maker, 1).open_asks, _position(maker, 1).open_orders) == (0, 0)
    assert maker.orders[0].status is not OrderStatus.Open
    assert (taker_stats.fees.total_fee_paid, maker_stats.fees.total_fee_rebate) == (50_000, 30_000)
    assert base_market.spot_fee_pool.scaled_balance == 20_000_000


def test_long_taker_smaller_than_maker_leaves_the_maker_open():
    # long_taker_order_smaller_than_maker: maker asks 100 SOL, taker takes 1
    taker = _user(_market_order(LONG, SOL, 100 * PRICE, 200 * PRICE), _quote(101 * SBP), _bid_position(SOL))
    maker = _user(_maker_limit(SHORT, 100 * SOL, 100 * PRICE), _ask_position(SBP, 100 * SOL))
    (base, quote), base_market, _, _ = _match(taker, maker, 1)
    assert base == SOL
    assert taker.orders[0].status is not OrderStatus.Open
    assert (_position(taker, 1).open_bids, _position(taker, 1).open_orders) == (0, 0)
    assert _position(maker, 0).scaled_balance == 100_030_000_000
    assert (_position(maker, 1).open_asks, _position(maker, 1).open_orders) == (-99 * SOL, 1)
    assert (maker.orders[0].base_asset_amount_filled, maker.orders[0].quote_asset_amount_filled) == (SOL, 100 * 10**6)
    assert base_market.total_spot_fee == 20_000


def test_maker_and_taker_on_the_same_side_do_not_fill():
    # maker_taker_same_direction
    taker = _user(_market_order(LONG, SOL, 100 * PRICE, 200 * PRICE), _quote(101 * SBP), _bid_position(SOL))
    maker = _user(_maker_limit(LONG, SOL, 100 * PRICE), _quote(101 * SBP), _bid_position(SOL))
    (base, _quote_filled), _, _, _ = _match(taker, maker, 1)
    assert base == 0


def _limit_order(direction, price, post_only=False) -> Order:
    return Order(
        market_index=1, market_type=MarketType.Spot, order_type=OrderType.Limit,
        status=OrderStatus.Open, post_only=post_only, direction=direction, base_asset_amount=SOL,
        price=price, slot=0,
    )


def _side(direction, quote_scaled, base_scaled) -> list[SpotPosition]:
    """A user's positions: quote (when given) and a base position with its open order."""
    positions = [] if quote_scaled is None else [_quote(quote_scaled)]
    if direction is LONG:
        positions.append(SpotPosition(market_index=1, scaled_balance=base_scaled, open_orders=1, open_bids=SOL))
    else:
        positions.append(SpotPosition(market_index=1, scaled_balance=base_scaled, open_orders=1, open_asks=-SOL))
    return positions


# (case, taker side, taker quote, taker base, maker quote, maker base,
#  base deposits / twap, quote deposits / twap, expected base filled); every order 1 SOL at $100
_BORROW_CASES = [
    ("taker_short_selling_base_no_borrow_liquidity", SHORT, None, 0, 101 * SBP, 0, (0, 0), (101 * SBP, 0), 0),
    ("taker_short_selling_base_small_borrow_liquidity", SHORT, None, 0, 101 * SBP, 0,
     (SBP, SBP), (101 * SBP, 101 * 10**6), 333_333_333),
    ("maker_short_selling_quote_no_borrow_liquidity", SHORT, None, SBP, 0, 0, (SBP, 0), (0, 0), 0),
    ("maker_short_selling_quote_little_borrow_liquidity", SHORT, None, SBP, 0, 0,
     (SBP, SBP), (100 * SBP, 100 * 10**6), 333_333_330),
    ("taker_short_selling_quote_no_borrow_liquidity", LONG, 0, 0, None, SBP, (SBP, SBP), (0, 0), 0),
    ("taker_short_selling_quote_little_borrow_liquidity", LONG, 0, 0, None, SBP,
     (SBP, SBP), (100 * SBP, 100 * 10**6), 333_333_330),
    ("maker_short_selling_base_no_borrow_liquidity", LONG, 101 * SBP, 0, None, 0, (0, 0), (101 * SBP, 0), 0),
    ("maker_short_selling_base_little_borrow_liquidity", LONG, 101 * SBP, 0, None, 0,
     (SBP, SBP), (101 * SBP, 101 * 10**6), 333_333_333),
]


@pytest.mark.parametrize(
    ("case", "taker_side", "taker_quote", "taker_base", "maker_quote", "maker_base", "base", "quote", "expected"),
    _BORROW_CASES,
)
def test_fill_is_capped_by_the_borrow_liquidity_of_the_sold_token(
    case, taker_side, taker_quote, taker_base, maker_quote, maker_base, base, quote, expected
):
    # fulfill_spot_order_with_match::<case>: limit orders at $100, slot 1
    taker = _user(_limit_order(taker_side, 100 * PRICE), *_side(taker_side, taker_quote, taker_base))
    maker_side = taker_side.opposite()
    maker = _user(_limit_order(maker_side, 100 * PRICE, post_only=True), *_side(maker_side, maker_quote, maker_base))
    base_market = default_base_market(deposit_balance=base[0], deposit_token_twap=base[1])
    quote_market = default_quote_market(deposit_balance=quote[0], deposit_token_twap=quote[1])
    base_filled, _quote = fulfill_spot_order_with_match(
        base_market, quote_market, taker, UserStats(), 0, "taker", maker, UserStats(), 0, "maker",
        None, None, 1, 1, _oracle_map(), _fee_structure(), [],
    )
    assert base_filled == expected


@pytest.mark.parametrize(
    ("case", "taker_side", "taker_quote_after", "maker_quote_after"),
    [
        ("taker_bid_crosses_maker_ask", LONG, 950_000_000, 100_030_000_000),
        ("taker_ask_crosses_maker_bid", SHORT, 99_950_000_000, 1_030_000_000),
    ],
)
def test_crossing_limit_orders_fill_at_the_makers_price(case, taker_side, taker_quote_after, maker_quote_after):
    # fulfill_spot_order_with_match::<case>: both limits at $100, slot 1
    buyer_quote = 101 * SBP
    taker = _user(_limit_order(taker_side, 100 * PRICE),
                  *_side(taker_side, buyer_quote if taker_side is LONG else None, 0 if taker_side is LONG else SBP))
    maker_side = taker_side.opposite()
    maker = _user(_limit_order(maker_side, 100 * PRICE, post_only=True),
                  *_side(maker_side, buyer_quote if maker_side is LONG else None, 0 if maker_side is LONG else SBP))
    (base, _quote_filled), base_market, taker_stats, maker_stats = _match(taker, maker, 1)
    assert base == SOL
    assert _position(taker, 0).scaled_balance == taker_quote_after
    assert _position(maker, 0).scaled_balance == maker_quote_after
    assert (taker_stats.taker_volume_30d, taker_stats.fees.total_fee_paid) == (100_000_000, 50_000)
    assert (maker_stats.maker_volume_30d, maker_stats.fees.total_fee_rebate) == (100_000_000, 30_000)
    assert (base_market.total_spot_fee, base_market.spot_fee_pool.scaled_balance) == (20_000, 20_000_000)


def test_market_order_without_a_price_after_its_auction_cannot_match():
    # zero_price_market_order_cant_match: no auction, price 0 -> no limit price
    taker = _user(_market_order(LONG, SOL, 0, 0, duration=0), _quote(101 * SBP), _bid_position(SOL))
    maker = _user(_maker_limit(SHORT, SOL, 100 * PRICE), _ask_position(SBP, SOL))
    (base, _quote_filled), _, _, _ = _match(taker, maker, 1)
    assert base == 0


def test_double_dutch_auction_fills_at_the_makers_auction_price():
    # double_dutch_auction: the maker's post-only market order auctions 200 -> 100 over 5 slots,
    # the taker's 100 -> 200; at slot 5 the maker asks 100
    taker = _user(_market_order(LONG, SOL, 100 * PRICE, 200 * PRICE), _quote(101 * SBP), _bid_position(SOL))
    maker_order = _market_order(SHORT, SOL, 200 * PRICE, 100 * PRICE)
    maker_order.post_only = True
    maker = _user(maker_order, _ask_position(SBP, SOL))
    (base, _quote_filled), base_market, taker_stats, maker_stats = _match(taker, maker, 5)
    assert base == SOL
    assert _position(taker, 0).scaled_balance == 950_000_000
    assert _position(maker, 0).scaled_balance == 100_030_000_000
    assert (taker_stats.fees.total_fee_paid, maker_stats.fees.total_fee_rebate) == (50_000, 30_000)
    assert base_market.spot_fee_pool.scaled_balance == 20_000_000


def test_fill_of_an_expired_order_cancels_it_and_fills_nothing():
    # fill_spot_order::expire_order: max_ts 10, clock at slot/ts 11; the filler is the maker
    taker_order = _market_order(LONG, SOL, 100 * PRICE, 200 * PRICE)
    taker_order.order_id, taker_order.price, taker_order.max_ts = 1, 100 * PRICE, 10
    taker = _user(taker_order, _quote(101 * SBP), _bid_position(SOL))
    maker_order = _maker_limit(SHORT, SOL // 2, 100 * PRICE)
    maker_order.order_id = 1
    maker = _user(maker_order, _ask_position(SBP, SOL // 2))
    spot_markets = {
        0: default_quote_market(deposit_balance=101 * SBP),
        1: default_base_market(
            deposit_balance=SBP,
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price=PRICE, last_oracle_delay=10, last_oracle_price_twap=PRICE,
                last_oracle_price_twap_5min=PRICE,
            ),
        ),
    }
    oracle_map = _oracle_map()
    oracle_map.slot = 11
    events: list = []
    base = fill_spot_order(
        1, State(default_spot_auction_duration=1), taker, UserStats(), spot_markets, {}, oracle_map,
        maker, UserStats(), {maker.key: (maker, UserStats())}, 11, 11, events,
    )
    assert base == 0
    assert _position(taker, 0).scaled_balance == 101 * SBP  # a filler that is a maker earns no flat fee
    assert taker.orders[0].status is OrderStatus.Canceled
    cancels = [e for e in events if type(e) is OrderActionRecord and e.action is OrderAction.Cancel]
    assert [c.action_explanation for c in cancels] == [OrderActionExplanation.OrderExpired]


def test_fill_that_leaves_the_maker_short_of_margin_is_refused():
    # fulfill_spot_order::maker_insufficient_collateral: the maker holds 0.1 SOL and asks 1 SOL at
    # $100; selling it borrows 0.9 SOL, more than its $100 of proceeds cover at the fill weight
    taker_order = _market_order(LONG, SOL, 100 * PRICE, 200 * PRICE)
    taker_order.order_id, taker_order.price = 1, 100 * PRICE
    taker = _user(taker_order, _quote(101 * SBP), _bid_position(SOL))
    maker_order = _maker_limit(SHORT, SOL, 100 * PRICE)
    maker_order.order_id = 1
    maker = _user(maker_order, _ask_position(SBP // 10, SOL))
    spot_markets = {
        0: default_quote_market(deposit_balance=101 * SBP),
        1: default_base_market(
            deposit_balance=10 * SBP, deposit_token_twap=10 * SOL,
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price=100 * PRICE, last_oracle_delay=10, last_oracle_price_twap=100 * PRICE,
                last_oracle_price_twap_5min=100 * PRICE,
            ),
        ),
    }
    oracle_map = OracleMap(slot=6)
    oracle_map.publish(MarketType.Spot, 0, PRICE, 0)
    oracle_map.publish(MarketType.Spot, 1, 100 * PRICE, 0)
    with pytest.raises(InsufficientCollateral, match="maker"):
        fill_spot_order(
            1, State(default_spot_auction_duration=1), taker, UserStats(), spot_markets, {}, oracle_map,
            None, None, {maker.key: (maker, UserStats())}, 0, 6, [],
        )


def test_fill_against_two_makers_of_one_authority():
    # fulfill_spot_order::fulfill_users_with_multiple_maker_orders: the taker buys 2 SOL (auction
    # complete at slot 6: limit $100) from two makers asking 1 SOL each at $100, the spot
    # default fee schedule (10 bps taker, 2 bps maker rebate)
    taker_order = _market_order(LONG, 2 * SOL, 100 * PRICE, 200 * PRICE)
    taker_order.order_id, taker_order.price = 1, 100 * PRICE
    taker = _user(taker_order, _quote(201 * SBP), _bid_position(2 * SOL))
    makers = []
    for _ in ("maker", "second_maker"):
        order = _maker_limit(SHORT, SOL, 100 * PRICE)
        order.order_id = 1
        maker = User(authority="My2", sub_account_id=len(makers), orders=[order],
                     spot_positions=[_ask_position(SBP, SOL)])
        makers.append(maker)
    maker_stats = UserStats(authority="My2")
    spot_markets = {
        0: default_quote_market(deposit_balance=101 * SBP),
        1: default_base_market(
            deposit_balance=2 * SBP,
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price=100 * PRICE, last_oracle_delay=10, last_oracle_price_twap=100 * PRICE,
                last_oracle_price_twap_5min=100 * PRICE,
            ),
        ),
    }
    oracle_map = OracleMap(slot=6)
    oracle_map.publish(MarketType.Spot, 0, PRICE, 0)
    oracle_map.publish(MarketType.Spot, 1, 100 * PRICE, 0)
    taker_stats = UserStats()
    base = fill_spot_order(
        1, State(default_spot_auction_duration=1), taker, taker_stats, spot_markets, {}, oracle_map,
        None, None, {m.key: (m, maker_stats) for m in makers}, 0, 6, [],
    )
    assert base == 2 * SOL
    quote, sol = _position(taker, 0), _position(taker, 1)
    assert (quote.scaled_balance, quote.cumulative_deposits) == (800_000_000, -200_000_000)
    assert (sol.scaled_balance, sol.cumulative_deposits, sol.open_bids, sol.open_orders) == (2 * SBP, 2 * SOL, 0, 0)
    assert taker.cumulative_spot_fees == -200_000
    assert taker_stats.fees.total_fee_paid == 200_000
    for maker in makers:
        quote, sol = _position(maker, 0), _position(maker, 1)
        assert (quote.scaled_balance, quote.cumulative_deposits) == (100_020_000_000, 100_000_000)
        assert (sol.scaled_balance, sol.cumulative_deposits, sol.open_asks, sol.open_orders) == (0, -SOL, 0, 0)
        assert maker.cumulative_spot_fees == 20_000
    assert maker_stats.fees.total_fee_rebate == 40_000
