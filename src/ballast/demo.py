"""`make demo` until backtests land: a few hours of a SOL-PERP market, told step by step.

Two traders take positions against the vAMM, a maker rests a limit order that a taker hits,
the oracle drifts for four hours with hourly funding, then everyone settles pnl and a table of
balances is printed. Every figure comes from the engine; money is shown in dollars.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ballast.drift.constants import BASE_PRECISION, ONE_HOUR, PRICE_PRECISION, QUOTE_PRECISION
from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.events import FundingRateRecord, OrderAction, OrderActionRecord
from ballast.drift.exchange import Exchange
from ballast.drift.math.pnl import get_unrealized_pnl
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.user import OrderType, PositionDirection

__all__ = ["run_demo"]


def _usd(amount: int) -> str:
    return f"${amount / QUOTE_PRECISION:,.2f}"


def _market(direction: PositionDirection, sol: int, market_index: int = 0) -> OrderParams:
    return OrderParams(
        order_type=OrderType.Market,
        direction=direction,
        base_asset_amount=sol * BASE_PRECISION,
        market_index=market_index,
    )


def run_demo(console: Console | None = None) -> Exchange:
    """Run the walk-through, print it, and return the final exchange."""
    console = console or Console()
    exchange = new_exchange()
    sol = add_perp_market(exchange, price_dollars=100, base_liquidity=50_000)
    for name, dollars in (("alice", 5_000), ("bob", 5_000), ("maker", 20_000)):
        fund_user(exchange, name, dollars)
    console.rule("Ballast demo: SOL-PERP on Drift v2's vAMM")
    console.print("USDC deposits: alice $5,000, bob $5,000, maker $20,000; SOL oracle $100.00")

    price = 100 * PRICE_PRECISION

    def tick(seconds: int) -> None:
        exchange.update_clock(exchange.now + seconds)
        exchange.update_oracle_price(sol, price, confidence=price // 5_000)

    base, quote = exchange.place_and_take_perp_order("alice", 0, _market(PositionDirection.Long, 20))
    console.print(f"alice buys {base / BASE_PRECISION:g} SOL from the AMM for {_usd(quote)}")
    tick(60)
    maker_order = OrderParams(
        order_type=OrderType.Limit,
        direction=PositionDirection.Long,
        base_asset_amount=10 * BASE_PRECISION,
        price=100_050_000,
        post_only=PostOnlyParam.MustPostOnly,
        market_index=sol,
    )
    exchange.place_perp_order("maker", 0, maker_order)
    console.print("maker rests a post-only bid for 10 SOL at $100.05, above the AMM's bid")
    tick(60)
    fills_before = len(exchange.events)
    base, quote = exchange.place_and_take_perp_order("bob", 0, _market(PositionDirection.Short, 15))
    console.print(f"bob sells {base / BASE_PRECISION:g} SOL for {_usd(quote)}:")
    for event in exchange.events[fills_before:]:
        if isinstance(event, OrderActionRecord) and event.action is OrderAction.Fill:
            counterparty = event.maker or "the AMM"
            console.print(
                f"  {event.base_asset_amount_filled / BASE_PRECISION:g} SOL with {counterparty} "
                f"for {_usd(event.quote_asset_amount_filled)} (taker fee {_usd(event.taker_fee)})"
            )

    start = exchange.now
    for minute in range(1, 4 * 60 + 1):
        exchange.update_clock(start + minute * 60)
        price += 25_000 if minute % 3 else -30_000
        exchange.update_oracle_price(sol, price, confidence=price // 5_000)
        if exchange.now - exchange.perp_market(sol).amm.last_funding_rate_ts >= ONE_HOUR:
            exchange.update_funding_rate(sol)
    rates = [e for e in exchange.events if isinstance(e, FundingRateRecord)]
    console.print(
        f"four hours pass; the oracle ends at ${price / PRICE_PRECISION:,.2f}; "
        f"{len(rates)} hourly funding updates"
    )
    for record in rates:
        console.print(
            f"  funding at ts {record.ts}: {record.funding_rate / 1e9:+.6f} $/SOL per period "
            f"(oracle twap ${record.oracle_price_twap / PRICE_PRECISION:,.4f}, "
            f"mark twap ${record.mark_price_twap / PRICE_PRECISION:,.4f})"
        )

    oracle = exchange.oracle_map.get_perp(sol).price
    by_pnl = sorted(
        ("alice", "bob", "maker"),
        key=lambda name: get_unrealized_pnl(exchange.user(name).get_perp_position(sol), oracle),
    )
    for name in by_pnl:  # losers first: their payments fund the pnl pool the winners draw on
        exchange.settle_funding_payment(name, 0)
        exchange.settle_pnl(name, 0, sol, SettlePnlMode.TrySettle)

    table = Table(title="Balances after settling pnl")
    for column in ("user", "position (SOL)", "USDC balance", "unsettled quote", "settled pnl", "equity"):
        table.add_column(column, justify="right")
    for name in ("alice", "bob", "maker"):
        user = exchange.user(name)
        position = user.get_perp_position(sol)
        table.add_row(
            name,
            f"{position.base_asset_amount / BASE_PRECISION:+g}",
            _usd(exchange.token_amount(name, 0, 0)),
            _usd(position.quote_asset_amount),
            _usd(position.settled_pnl),
            _usd(exchange.user_equity(name)),
        )
    console.print(table)
    market = exchange.perp_market(sol)
    audit = exchange.audit()
    console.print(
        f"AMM fees collected {_usd(market.amm.total_fee)}; "
        f"audit: vault difference {audit.vault_difference[0]}, balanced={audit.balanced}"
    )
    return exchange
