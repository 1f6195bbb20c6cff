"""The service's instructions: every change to the world is one of these, journaled with its
arguments before it is applied and applied the same way live and on replay.

A command has a name, an arguments model (pydantic; the HTTP API takes the same model as its
request body, so the journal holds exactly what was validated), who may issue it (`user`: a
signed-in user for their own authority; `admin`; `system`: the service's clock) and a handler
`apply(world, username, args) -> dict`. Units are the engines': quote amounts 1e6 (USDC),
base amounts 1e9, prices 1e6, BAL shares 1e9 (one share = 1e9), Curie amounts 1e6 USDC.

Refusals: an engine's typed error (Drift's DriftError or MathError, Curie's errors) becomes a
CommandRefused naming the error class and its message, as does a name the world does not know
(market, subaccount); the engines' atomicity leaves the world unchanged. Each handler is one
engine instruction, or several where every one after the first cannot fail (so a command
applies completely or not at all).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ballast.curie.errors import CurieError
from ballast.curie.univ3 import tick_math
from ballast.drift.bal import lp_shares_for_leverage, lp_shares_for_margin
from ballast.drift.constants import MARGIN_PRECISION
from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.errors import DriftError
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.user import OrderType, PositionDirection
from ballast.fixed import MathError, div_ceil
from ballast.service.world import World, authority_of
from ballast.sim.venues.base import OrderResult
from ballast.sim.venues.curie import sqrt_price_x96
from ballast.sim.venues.drift import AgentBook

__all__ = ["COMMANDS", "Command", "CommandRefused", "apply_command"]

_QUOTE = 0  # the USDC spot market
_I64 = 2**63 - 1
_U64 = 2**64 - 1


class CommandRefused(Exception):
    """An instruction the world refused: `error` is the engine error's class name (or
    "UnknownMarket", "NoCurieVenue", ...), `message` the reason; `status` the HTTP status the
    API answers with (400 for a refusal, 404 for a name that does not exist)."""

    def __init__(self, error: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error = error
        self.message = message
        self.status = status


_ENGINE_ERRORS = (DriftError, MathError, CurieError)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Amount = Annotated[int, Field(ge=1, le=_U64, description="quote units, 1e6 = $1")]
Sub = Annotated[int, Field(ge=0, le=65_535, description="Drift subaccount id")]
MarketName = Annotated[str, Field(min_length=1, max_length=64)]


# --- argument models ------------------------------------------------------------------------


class NoArgs(_Args):
    pass


class TickArgs(_Args):
    ts: Annotated[int, Field(ge=0, le=_I64, description="unix seconds")]
    prices: dict[str, Annotated[int, Field(ge=1, le=_I64)]]


class OracleArgs(_Args):
    market: MarketName
    price: Annotated[int, Field(ge=1, le=_I64, description="1e6 = $1; null returns the market to its feed")] | None


class AgentsArgs(_Args):
    on: bool


class ClockArgs(_Args):
    mode: Literal["realtime", "stepped"]
    speed: Annotated[float, Field(gt=0, le=100_000, description="simulated seconds per wall second")] = 1.0


class MarketParamsArgs(_Args):
    market: MarketName
    lp_fee_slice: Annotated[int, Field(ge=0, le=10_000, description="1e4 = 100% of fees to BAL")] | None = None
    fee_pool_deposit: Annotated[int, Field(ge=1, le=_U64, description="quote 1e6 into the fee pool")] | None = None


class RewardBudgetArgs(_Args):
    """A Curie market's Pool Party budget for the weekly epoch starting `epoch_start` (a Monday
    06:00 UTC, unix seconds), in reward-token units (1e18 = one token)."""

    market: MarketName
    epoch_start: Annotated[int, Field(ge=0, le=_I64)]
    amount: Annotated[int, Field(ge=0, le=2**128 - 1)]


class SubaccountCreateArgs(_Args):
    name: Annotated[str, Field(max_length=32)] = ""


class DepositArgs(_Args):
    sub_account_id: Sub = 0
    amount: Amount


class WithdrawArgs(_Args):
    sub_account_id: Sub = 0
    amount: Amount
    reduce_only: bool = False


class OrderArgs(_Args):
    sub_account_id: Sub = 0
    market: MarketName
    side: Literal["long", "short"]
    base: Annotated[int, Field(ge=1, le=_U64, description="base 1e9")]
    type: Literal["market", "limit"] = "market"
    price: Annotated[int, Field(ge=1, le=_U64, description="limit price, 1e6")] | None = None
    reduce_only: bool = False

    @model_validator(mode="after")
    def _limit_has_price(self) -> OrderArgs:
        if self.type == "limit" and self.price is None:
            raise ValueError("a limit order needs a price")
        return self


class CancelArgs(_Args):
    sub_account_id: Sub = 0
    order_id: Annotated[int, Field(ge=1, le=2**32 - 1)]


class BalAddArgs(_Args):
    """Exactly one of `shares` (1e9 = one share), `amount` (the margin to commit, quote 1e6)
    or `leverage_pct` (percent of the subaccount's free collateral, 1..100)."""

    sub_account_id: Sub = 0
    market: MarketName
    shares: Annotated[int, Field(ge=1, le=_U64)] | None = None
    amount: Amount | None = None
    leverage_pct: Annotated[int, Field(ge=1, le=100)] | None = None

    @model_validator(mode="after")
    def _one_size(self) -> BalAddArgs:
        given = [k for k in ("shares", "amount", "leverage_pct") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of shares, amount, leverage_pct (got {given or 'none'})")
        return self


class BalRemoveArgs(_Args):
    sub_account_id: Sub = 0
    market: MarketName
    shares: Annotated[int, Field(ge=1, le=_U64, description="1e9 = one share; null removes all")] | None = None


class SettleArgs(_Args):
    sub_account_id: Sub = 0
    market: MarketName


class SettingsArgs(_Args):
    """`max_leverage`: the subaccount's own cap (its custom margin ratio = ceil(1e4 / leverage),
    1e4 = 100%); 0 removes the cap. `derisk_opt_out`: the reference's advanced-LP flag (no
    automatic BAL de-risking)."""

    sub_account_id: Sub = 0
    max_leverage: Annotated[float, Field(ge=0, le=10_000)] | None = None
    derisk_opt_out: bool | None = None

    @model_validator(mode="after")
    def _a_real_cap(self) -> SettingsArgs:
        if self.max_leverage is not None and 0 < self.max_leverage < 1:
            raise ValueError(f"max_leverage {self.max_leverage} is below 1x; give 1 or more, or 0 to remove the cap")
        return self


class StakeArgs(_Args):
    """`amount` (quote 1e6) comes from the user's wallet, as on Drift (the service's wallets are
    test wallets without a balance, like the deposits')."""

    amount: Amount


class CurieAmountArgs(_Args):
    amount: Amount


class CurieRangeArgs(_Args):
    """A range from `lower_price` to `upper_price` (1e6; snapped outward to the pool's tick
    spacing) holding `base` (1e9) and `quote` (1e6) at most: the engine adds the liquidity both
    amounts allow at the pool price (one of them may be 0 for a range on one side). The result
    gives the amounts the engine took (18 decimals) floored to 1e9 base and 1e6 quote."""

    market: MarketName
    lower_price: Annotated[int, Field(ge=1, le=_I64)]
    upper_price: Annotated[int, Field(ge=1, le=_I64)]
    base: Annotated[int, Field(ge=0, le=_U64)] = 0
    quote: Annotated[int, Field(ge=0, le=_U64)] = 0

    @model_validator(mode="after")
    def _ordered(self) -> CurieRangeArgs:
        if self.lower_price >= self.upper_price:
            raise ValueError("lower_price must be below upper_price")
        if self.base == 0 and self.quote == 0:
            raise ValueError("give base or quote (or both)")
        return self


class CurieRemoveArgs(_Args):
    market: MarketName
    lower_tick: int
    upper_tick: int
    liquidity: Annotated[int, Field(ge=1, le=2**128 - 1)] | None = None


class CurieOrderArgs(_Args):
    market: MarketName
    side: Literal["long", "short"]
    base: Annotated[int, Field(ge=1, le=_U64, description="base 1e9")]
    limit_price: Annotated[int, Field(ge=1, le=_I64)] | None = None
    reduce_only: bool = False


class CurieMarketArgs(_Args):
    market: MarketName


# --- helpers ----------------------------------------------------------------------------------


def _market_index(world: World, market: str) -> int:
    index = world.drift.markets.get(market)
    if index is None:
        raise CommandRefused("UnknownMarket", f"no market {market!r}; the markets are {world.markets}", 404)
    return index


def _curie(world: World, market: str | None = None):
    if world.curie is None:
        raise CommandRefused("NoCurieVenue", "this exchange runs no Curie venue", 404)
    if market is not None and market not in world.curie.markets:
        raise CommandRefused("UnknownMarket", f"no market {market!r}; the markets are {world.markets}", 404)
    return world.curie


def _engine(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    except _ENGINE_ERRORS as error:
        raise CommandRefused(type(error).__name__, str(error)) from None


def _order_result(result: OrderResult) -> dict[str, Any]:
    if result.status == "rejected":
        raise CommandRefused(result.reason or "Rejected", f"the order was refused: {result.reason}")
    return {"status": result.status, "filled_base": result.filled_base, "reason": result.reason}


def _subaccount(world: World, authority: str, sub: int):
    user = world.drift.exchange.users.get(f"{authority}/{sub}")
    if user is None:
        raise CommandRefused("UnknownSubaccount", f"subaccount {sub} does not exist; create it first", 404)
    return user


# --- handlers -----------------------------------------------------------------------------------


def _tick(world: World, _user: str, args: TickArgs) -> dict[str, Any]:
    if args.ts <= world.ts:
        raise CommandRefused("ClockBackwards", f"tick at {args.ts} is not after the clock ({world.ts})")
    missing = sorted(set(world.markets) - set(args.prices))
    if missing:
        raise CommandRefused("MissingPrice", f"tick without a price for {missing}")
    world.tick(args.ts, args.prices)
    return {"step": world.step, "ts": world.ts}


def _set_oracle(world: World, _user: str, args: OracleArgs) -> dict[str, Any]:
    _market_index(world, args.market)
    if args.price is None:
        world.oracle_override.pop(args.market, None)
    else:
        world.oracle_override[args.market] = args.price
    return {"market": args.market, "price": args.price}


def _agents(world: World, _user: str, args: AgentsArgs) -> dict[str, Any]:
    world.agents_on = args.on
    return {"agents_on": world.agents_on}


def _clock(world: World, _user: str, args: ClockArgs) -> dict[str, Any]:
    world.clock_mode = args.mode
    world.clock_speed = args.speed
    return {"mode": args.mode, "speed": args.speed}


def _market_params(world: World, _user: str, args: MarketParamsArgs) -> dict[str, Any]:
    index = _market_index(world, args.market)
    ex = world.drift.exchange
    if args.lp_fee_slice is None and args.fee_pool_deposit is None:
        raise CommandRefused("NothingToChange", "give lp_fee_slice or fee_pool_deposit")
    if args.lp_fee_slice is not None:
        _engine(ex.update_perp_market_lp_fee_slice, index, args.lp_fee_slice, 10_000)
    if args.fee_pool_deposit is not None:  # after a valid fee slice this cannot fail on the slice
        _engine(ex.deposit_into_perp_market_fee_pool, index, args.fee_pool_deposit)
    return {"market": args.market}


def _reward_budget(world: World, _user: str, args: RewardBudgetArgs) -> dict[str, Any]:
    venue = _curie(world, args.market)
    _engine(venue.house.set_reward_budget, venue.markets[args.market], args.epoch_start, args.amount)
    return {"market": args.market, "epoch_start": args.epoch_start, "amount": str(args.amount)}


def _open_account(world: World, user: str, _args: NoArgs) -> dict[str, Any]:
    authority = authority_of(user)
    _engine(world.drift.exchange.initialize_user, authority, 0, "Main")
    world.drift.books.setdefault(authority, AgentBook())
    world.watch(authority, 0)
    if world.curie is not None:
        world.curie.fund(authority, 0)
        world.watch_curie(authority)
    return {"sub_account_id": 0}


def _create_subaccount(world: World, user: str, args: SubaccountCreateArgs) -> dict[str, Any]:
    authority = authority_of(user)
    ex = world.drift.exchange
    stats = ex.user_stats.get(authority)
    if stats is None:
        raise CommandRefused("UnknownSubaccount", "the account is not open", 404)
    sub = stats.number_of_sub_accounts_created
    _engine(ex.initialize_user, authority, sub, args.name)
    world.watch(authority, sub)
    return {"sub_account_id": sub}


def _deposit(world: World, user: str, args: DepositArgs) -> dict[str, Any]:
    authority = authority_of(user)
    _subaccount(world, authority, args.sub_account_id)
    _engine(world.drift.exchange.deposit, authority, args.sub_account_id, _QUOTE, args.amount)
    return {"amount": args.amount}


def _withdraw(world: World, user: str, args: WithdrawArgs) -> dict[str, Any]:
    authority = authority_of(user)
    _subaccount(world, authority, args.sub_account_id)
    paid = _engine(world.drift.exchange.withdraw, authority, args.sub_account_id, _QUOTE, args.amount,
                   args.reduce_only)
    return {"amount": paid}


def _order(world: World, user: str, args: OrderArgs) -> dict[str, Any]:
    authority = authority_of(user)
    index = _market_index(world, args.market)
    _subaccount(world, authority, args.sub_account_id)
    signed = args.base if args.side == "long" else -args.base
    step = world.drift.exchange.perp_markets[index].amm.order_step_size
    if args.base % step:  # the reference refuses it; the sim's venue would round it down
        raise CommandRefused("InvalidOrderNotStepSizeMultiple",
                             f"order base {args.base} is not a multiple of the market's step size {step}")
    if args.type == "market":
        result = world.drift.market_order(authority, args.market, signed, args.reduce_only, args.price,
                                          sub_account_id=args.sub_account_id)
        return _order_result(result)
    params = OrderParams(
        order_type=OrderType.Limit,
        direction=PositionDirection.Long if args.side == "long" else PositionDirection.Short,
        base_asset_amount=args.base,
        price=args.price or 0,
        market_index=index,
        reduce_only=args.reduce_only,
    )
    order_id = _engine(world.drift.exchange.place_perp_order, authority, args.sub_account_id, params)
    return {"status": "open", "order_id": order_id}


def _cancel(world: World, user: str, args: CancelArgs) -> dict[str, Any]:
    authority = authority_of(user)
    _subaccount(world, authority, args.sub_account_id)
    _engine(world.drift.exchange.cancel_order, authority, args.sub_account_id, args.order_id)
    return {"order_id": args.order_id}


def _bal_add(world: World, user: str, args: BalAddArgs) -> dict[str, Any]:
    authority = authority_of(user)
    index = _market_index(world, args.market)
    _subaccount(world, authority, args.sub_account_id)
    ex = world.drift.exchange
    shares = args.shares
    if args.amount is not None:
        shares = _engine(lp_shares_for_margin, ex, index, args.amount)
    elif args.leverage_pct is not None:
        shares = _engine(lp_shares_for_leverage, ex, authority, args.sub_account_id, index, args.leverage_pct)
    if not shares:
        raise CommandRefused("InsufficientCollateral", "the margin given does not cover one share step")
    minted = _engine(ex.add_perp_lp_shares, authority, args.sub_account_id, index, shares)
    return {"shares": minted}


def _bal_remove(world: World, user: str, args: BalRemoveArgs) -> dict[str, Any]:
    authority = authority_of(user)
    index = _market_index(world, args.market)
    _subaccount(world, authority, args.sub_account_id)
    burned = _engine(world.drift.exchange.remove_perp_lp_shares, authority, args.sub_account_id, index, args.shares)
    return {"shares": burned}


def _settle(world: World, user: str, args: SettleArgs) -> dict[str, Any]:
    """settle_lp (when the subaccount has shares), then settle_pnl in TrySettle mode (which
    settles what the pnl pool allows and never fails on the pool)."""
    authority = authority_of(user)
    index = _market_index(world, args.market)
    account = _subaccount(world, authority, args.sub_account_id)
    ex = world.drift.exchange
    position = account.get_perp_position(index)
    if position is None:
        raise CommandRefused("UserHasNoPositionInMarket", f"no position in {args.market}")
    _engine(ex.settle_pnl, authority, args.sub_account_id, index, SettlePnlMode.TrySettle)
    if position.lp_shares > 0:
        _engine(ex.settle_lp, authority, args.sub_account_id, index)
    return {"market": args.market}


def _settings(world: World, user: str, args: SettingsArgs) -> dict[str, Any]:
    authority = authority_of(user)
    _subaccount(world, authority, args.sub_account_id)
    ex = world.drift.exchange
    if args.max_leverage is None and args.derisk_opt_out is None:
        raise CommandRefused("NothingToChange", "give max_leverage or derisk_opt_out")
    out: dict[str, Any] = {}
    if args.max_leverage is not None:
        ratio = 0 if args.max_leverage == 0 else div_ceil(MARGIN_PRECISION * 10**6, round(args.max_leverage * 10**6))
        _engine(ex.update_user_custom_margin_ratio, authority, args.sub_account_id, ratio)
        out["custom_margin_ratio"] = ratio
    if args.derisk_opt_out is not None:  # a bool flag: cannot fail once the subaccount exists
        _engine(ex.update_user_advanced_lp, authority, args.sub_account_id, args.derisk_opt_out)
        out["derisk_opt_out"] = args.derisk_opt_out
    return out


def _stake(world: World, user: str, args: StakeArgs) -> dict[str, Any]:
    authority = authority_of(user)
    ex = world.drift.exchange
    if authority not in ex.user_stats:
        raise CommandRefused("UnknownSubaccount", "the account is not open", 404)
    if f"{authority}/{_QUOTE}" not in ex.insurance_fund_stakes:
        _engine(ex.initialize_insurance_fund_stake, authority, _QUOTE)
        try:
            ex.add_insurance_fund_stake(authority, _QUOTE, args.amount)
        except _ENGINE_ERRORS as error:
            del ex.insurance_fund_stakes[f"{authority}/{_QUOTE}"]  # keep the command all-or-nothing
            raise CommandRefused(type(error).__name__, str(error)) from None
    else:
        _engine(ex.add_insurance_fund_stake, authority, _QUOTE, args.amount)
    return {"amount": args.amount}


def _unstake_request(world: World, user: str, args: StakeArgs) -> dict[str, Any]:
    ex = world.drift.exchange
    _engine(ex.request_remove_insurance_fund_stake, authority_of(user), _QUOTE, args.amount)
    return {"available_ts": ex.insurance_fund_unstake_available_ts(authority_of(user), _QUOTE)}


def _unstake_cancel(world: World, user: str, _args: NoArgs) -> dict[str, Any]:
    _engine(world.drift.exchange.cancel_request_remove_insurance_fund_stake, authority_of(user), _QUOTE)
    return {}


def _unstake(world: World, user: str, _args: NoArgs) -> dict[str, Any]:
    paid = _engine(world.drift.exchange.remove_insurance_fund_stake, authority_of(user), _QUOTE)
    return {"amount": paid}


def _curie_deposit(world: World, user: str, args: CurieAmountArgs) -> dict[str, Any]:
    venue = _curie(world)
    _engine(venue.house.deposit, authority_of(user), args.amount)
    return {"amount": args.amount}


def _curie_withdraw(world: World, user: str, args: CurieAmountArgs) -> dict[str, Any]:
    venue = _curie(world)
    _engine(venue.house.withdraw, authority_of(user), args.amount)
    return {"amount": args.amount}


def snap_ticks(world: World, market: str, lower_price: int, upper_price: int) -> tuple[int, int]:
    """The pool ticks of a price range (1e6), snapped outward to the tick spacing and kept
    inside the pool's tick bounds."""
    venue = _curie(world, market)
    spacing = venue.tick_spacing(market)
    lower = tick_math.get_tick_at_sqrt_ratio(_clamped_sqrt(lower_price))
    upper = tick_math.get_tick_at_sqrt_ratio(_clamped_sqrt(upper_price))
    lower = lower // spacing * spacing
    upper = -(-upper // spacing) * spacing
    bound = tick_math.MAX_TICK // spacing * spacing
    lower, upper = max(lower, -bound), min(upper, bound)
    if upper <= lower:
        upper = lower + spacing
    return lower, upper


def _clamped_sqrt(price: int) -> int:
    return min(max(sqrt_price_x96(price), tick_math.MIN_SQRT_RATIO), tick_math.MAX_SQRT_RATIO - 1)


def _curie_add_range(world: World, user: str, args: CurieRangeArgs) -> dict[str, Any]:
    venue = _curie(world, args.market)
    lower, upper = snap_ticks(world, args.market, args.lower_price, args.upper_price)
    base18, quote18 = args.base * 10**9, args.quote * 10**12
    result = _engine(venue.house.add_liquidity, authority_of(user), args.market, base18, quote18, lower, upper)
    venue.process_events()
    return {"lower_tick": lower, "upper_tick": upper, "base": result[0] // 10**9, "quote": result[1] // 10**12,
            "liquidity": result[3]}


def _curie_remove_range(world: World, user: str, args: CurieRemoveArgs) -> dict[str, Any]:
    venue = _curie(world, args.market)
    authority = authority_of(user)
    order = venue.house.get_open_order(authority, args.market, args.lower_tick, args.upper_tick)
    if order is None:
        raise CommandRefused("NoSuchRange", f"no range [{args.lower_tick}, {args.upper_tick}) in {args.market}", 404)
    liquidity = order.liquidity if args.liquidity is None else args.liquidity
    result = _engine(venue.house.remove_liquidity, authority, args.market, args.lower_tick, args.upper_tick, liquidity)
    return {"liquidity": liquidity, "base": result[0] // 10**9, "quote": result[1] // 10**12, "fee": result[2] // 10**12}


def _curie_order(world: World, user: str, args: CurieOrderArgs) -> dict[str, Any]:
    venue = _curie(world, args.market)
    signed = args.base if args.side == "long" else -args.base
    return _order_result(venue.market_order(authority_of(user), args.market, signed, args.reduce_only,
                                            args.limit_price))


def _curie_claim(world: World, user: str, args: CurieMarketArgs) -> dict[str, Any]:
    venue = _curie(world, args.market)
    return {"amount": _engine(venue.house.claim_rewards, authority_of(user), args.market)}


# --- the catalog --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    name: str
    args: type[BaseModel]
    apply: Callable[[World, str, Any], dict[str, Any]]
    role: Literal["user", "admin", "system"]


COMMANDS: dict[str, Command] = {c.name: c for c in (
    Command("tick", TickArgs, _tick, "system"),
    Command("admin.oracle", OracleArgs, _set_oracle, "admin"),
    Command("admin.agents", AgentsArgs, _agents, "admin"),
    Command("admin.clock", ClockArgs, _clock, "admin"),
    Command("admin.market", MarketParamsArgs, _market_params, "admin"),
    Command("admin.rewards", RewardBudgetArgs, _reward_budget, "admin"),
    Command("account.open", NoArgs, _open_account, "user"),
    Command("drift.subaccount", SubaccountCreateArgs, _create_subaccount, "user"),
    Command("drift.deposit", DepositArgs, _deposit, "user"),
    Command("drift.withdraw", WithdrawArgs, _withdraw, "user"),
    Command("drift.order", OrderArgs, _order, "user"),
    Command("drift.cancel", CancelArgs, _cancel, "user"),
    Command("drift.bal.add", BalAddArgs, _bal_add, "user"),
    Command("drift.bal.remove", BalRemoveArgs, _bal_remove, "user"),
    Command("drift.settle", SettleArgs, _settle, "user"),
    Command("drift.settings", SettingsArgs, _settings, "user"),
    Command("insurance.stake", StakeArgs, _stake, "user"),
    Command("insurance.unstake_request", StakeArgs, _unstake_request, "user"),
    Command("insurance.unstake_cancel", NoArgs, _unstake_cancel, "user"),
    Command("insurance.unstake", NoArgs, _unstake, "user"),
    Command("curie.deposit", CurieAmountArgs, _curie_deposit, "user"),
    Command("curie.withdraw", CurieAmountArgs, _curie_withdraw, "user"),
    Command("curie.range.add", CurieRangeArgs, _curie_add_range, "user"),
    Command("curie.range.remove", CurieRemoveArgs, _curie_remove_range, "user"),
    Command("curie.order", CurieOrderArgs, _curie_order, "user"),
    Command("curie.rewards.claim", CurieMarketArgs, _curie_claim, "user"),
)}


def apply_command(world: World, name: str, actor: str, args: dict[str, Any]) -> dict[str, Any]:
    """Apply one journaled command to the world: validate its arguments again (a journal entry
    holds what the API validated), run its handler, then move the new engine events into the
    world's feed. Raises CommandRefused (world unchanged)."""
    command = COMMANDS.get(name)
    if command is None:
        raise CommandRefused("UnknownCommand", f"no command {name!r}")
    try:
        result = command.apply(world, actor, command.args.model_validate(args))
    finally:
        world.drain()
    return result
