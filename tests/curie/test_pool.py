"""UniswapV3Pool twin: swap vectors from v3-core's snapshot, position bookkeeping, oracle, properties.

Swap vectors: Uniswap/v3-core test/UniswapV3Pool.swaps.spec.ts with its snapshot
test/__snapshots__/UniswapV3Pool.swaps.spec.ts.snap (fields amount0Before/amount1Before,
amount0Delta, amount1Delta, feeGrowthGlobal{0,1}X128Delta, tickBefore, tickAfter, swapError).
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.curie.errors import (
    AlreadyInitialized,
    AmountSpecified,
    LiquidityOverflow,
    Locked,
    NoPosition,
    OracleTooOld,
    OracleUninitialized,
    SqrtPriceLimit,
    TickLowerMin,
    TickLowerUpper,
    TickNotSpaced,
    TickUpperMax,
    ZeroMintAmount,
)
from ballast.curie.univ3.liquidity_amounts import get_liquidity_for_amounts
from ballast.curie.univ3.pool import (
    Observation,
    SwapStep,
    UniswapV3Pool,
    _oracle_write,
    burn,
    collect,
    get_fee_growth_inside,
    increase_observation_cardinality_next,
    initialize,
    mint,
    observe,
    oldest_observation,
    simulate_swap,
    swap,
    tick_spacing_to_max_liquidity_per_tick,
)
from ballast.curie.univ3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from tests.curie import encode_price_sqrt

E18 = 10**18
MAX_INT256 = (1 << 255) - 1
MAX_UINT128 = (1 << 128) - 1
SPACING = {500: 10, 3000: 60, 10000: 200}


def min_tick(spacing: int) -> int:
    """test/shared/utilities.ts::getMinTick (ceil(MIN_TICK / s) * s)."""
    return -((-MIN_TICK) // spacing) * spacing


def max_tick(spacing: int) -> int:
    """test/shared/utilities.ts::getMaxTick (floor(MAX_TICK / s) * s)."""
    return (MAX_TICK // spacing) * spacing


def full(fee: int) -> tuple[int, int]:
    return min_tick(SPACING[fee]), max_tick(SPACING[fee])


# pool case -> (fee, starting sqrt price, positions [(lower, upper, liquidity)])
POOLS = {
    "low fee, 1:1 price, 2e18 max range liquidity": (
        500,
        encode_price_sqrt(1, 1),
        [(*full(500), 2 * E18)],
    ),
    "medium fee, 1:1 price, 2e18 max range liquidity": (
        3000,
        encode_price_sqrt(1, 1),
        [(*full(3000), 2 * E18)],
    ),
    "high fee, 1:1 price, 2e18 max range liquidity": (
        10000,
        encode_price_sqrt(1, 1),
        [(*full(10000), 2 * E18)],
    ),
    "medium fee, 10:1 price, 2e18 max range liquidity": (
        3000,
        encode_price_sqrt(10, 1),
        [(*full(3000), 2 * E18)],
    ),
    "medium fee, 1:10 price, 2e18 max range liquidity": (
        3000,
        encode_price_sqrt(1, 10),
        [(*full(3000), 2 * E18)],
    ),
    "medium fee, 1:1 price, 0 liquidity, all liquidity around current price": (
        3000,
        encode_price_sqrt(1, 1),
        [(min_tick(60), -60, 2 * E18), (60, max_tick(60), 2 * E18)],
    ),
    "medium fee, 1:1 price, additional liquidity around current price": (
        3000,
        encode_price_sqrt(1, 1),
        [(*full(3000), 2 * E18), (min_tick(60), -60, 2 * E18), (60, max_tick(60), 2 * E18)],
    ),
    "close to max price": (3000, encode_price_sqrt(2**127, 1), [(*full(3000), 2 * E18)]),
    "close to min price": (3000, encode_price_sqrt(1, 2**127), [(*full(3000), 2 * E18)]),
    "max full range liquidity at 1:1 price with default fee": (
        3000,
        encode_price_sqrt(1, 1),
        [(*full(3000), tick_spacing_to_max_liquidity_per_tick(60))],
    ),
    "initialized at the max ratio": (3000, MAX_SQRT_RATIO - 1, [(*full(3000), 2 * E18)]),
    "initialized at the min ratio": (3000, MIN_SQRT_RATIO, [(*full(3000), 2 * E18)]),
}

# pool case -> (amount0Before, amount1Before, tickBefore)
BEFORE = {
    "close to max price": (1, 26087635650665564424699143612505016738, 880340),
    "close to min price": (26037782196502120275425782622539039026, 1, -880303),
    "high fee, 1:1 price, 2e18 max range liquidity": (2 * E18, 2 * E18, 0),
    "initialized at the max ratio": (0, 36796311329002736532545403775337522448, 887271),
    "initialized at the min ratio": (36796311322104302062438284732106019258, 0, -887272),
    "max full range liquidity at 1:1 price with default fee": (
        11505743598341114571255423385623647,
        11505743598341114571255423385506404,
        0,
    ),
    "medium fee, 1:1 price, 0 liquidity, all liquidity around current price": (
        1994009290088178439,
        1994009290088178439,
        0,
    ),
    "medium fee, 1:1 price, 2e18 max range liquidity": (2 * E18, 2 * E18, 0),
    "medium fee, 1:1 price, additional liquidity around current price": (
        3994009290088178439,
        3994009290088178439,
        0,
    ),
    "medium fee, 1:10 price, 2e18 max range liquidity": (
        6324555320336758664,
        632455532033675867,
        -23028,
    ),
    "medium fee, 10:1 price, 2e18 max range liquidity": (
        632455532033675867,
        6324555320336758664,
        23027,
    ),
}

# (pool case, swap) -> (amount0Delta, amount1Delta, feeGrowthGlobal0X128Delta, feeGrowthGlobal1X128Delta,
# tickAfter) or "SPL". Swaps: ("in0", x) exactly x token0 for token1; ("in1", x); ("out1", x) token0
# for exactly x token1; ("out0", x); ("to", zeroForOne, (r1, r0)) to price encodePriceSqrt(r1, r0).
LOW, HIGH = (2, 5), (5, 2)
SWAPS = [
    (
        "close to max price",
        ("in0", 1000),
        (1000, -26083549850867114346332688477747755628, 2381976568446569244235, 0, 705098),
    ),
    ("close to max price", ("in1", 1000), (0, 1000, 0, 510423550381407695195, 880340)),
    (
        "close to max price",
        ("in0", E18),
        (
            E18,
            -26087635650665564420687107504180041533,
            510423550381413479995299567101531162,
            0,
            13923,
        ),
    ),
    ("close to max price", ("in1", E18), (0, E18, 0, 510423550381407695195061911147652317, 880340)),
    ("close to max price", ("out1", 1000), (2, -1000, 170141183460469231731, 0, 880340)),
    ("close to max price", ("out1", E18), (2, -E18, 170141183460469231731, 0, 880340)),
    (
        "close to max price",
        ("to", True, LOW),
        (
            3171793039286238109,
            -26087635650665564423434232548437664977,
            1618957864187523123655042148763283097,
            0,
            -9164,
        ),
    ),
    (
        "close to max price",
        ("to", True, HIGH),
        (
            1268717215714495281,
            -26087635650665564421536865952336637378,
            647583145675012618257449376796101507,
            0,
            9163,
        ),
    ),
    (
        "close to max price",
        ("out0", 1000),
        (
            0,
            10740898373457544742072477595619363803,
            0,
            5482407482066087054477299856254072312542046383926535301,
            887271,
        ),
    ),
    ("close to max price", ("to", False, LOW), "SPL"),
    ("close to max price", ("to", False, HIGH), "SPL"),
    ("close to min price", ("in0", 1000), (1000, 0, 170141183460469231731687, 0, -880303)),
    (
        "close to min price",
        ("in1", 1000),
        (-26033697540846965126433148994127431276, 1000, 0, 2381976568446569244235, -705093),
    ),
    (
        "close to min price",
        ("in1", E18),
        (
            -26037782196502120271413746514214063808,
            E18,
            0,
            510423550381413820277666488039994629,
            -13924,
        ),
    ),
    (
        "close to min price",
        ("out1", 1000),
        (
            10790901831095468191587263901270792610,
            0,
            5507930424444982259736347157352787128931407551935325049,
            0,
            -887272,
        ),
    ),
    ("close to min price", ("out0", 1000), (-1000, 2, 0, 170141183460469231731, -880303)),
    (
        "close to min price",
        ("to", False, LOW),
        (
            -26037782196502120272263504962370659661,
            1268717215714495283,
            0,
            647583145675012958539816297734564973,
            -9164,
        ),
    ),
    (
        "close to min price",
        ("to", False, HIGH),
        (
            -26037782196502120274160871558471687260,
            3171793039286238112,
            0,
            1618957864187523634078592530170978294,
            9163,
        ),
    ),
    ("close to min price", ("to", True, LOW), "SPL"),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("in0", 1000),
        (1000, -989, 1701411834604692317316, 0, -1),
    ),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("in1", 1000),
        (-989, 1000, 0, 1701411834604692317316, 0),
    ),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("in0", E18),
        (E18, -662207357859531772, 1701411834604692317316873037158841057, 0, -8043),
    ),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("in1", E18),
        (-662207357859531772, E18, 0, 1701411834604692317316873037158841057, 8042),
    ),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("out1", 1000),
        (1012, -1000, 1871553018065161549048, 0, -1),
    ),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("out1", E18),
        (2020202020202020203, -E18, 3437195625464025050172418213103875650, 0, -13864),
    ),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("to", True, LOW),
        (1174017838553918518, -735088935932648267, 1997487844552658120479227965844634309, 0, -9164),
    ),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("out0", 1000),
        (-1000, 1012, 0, 1871553018065161549048, 0),
    ),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("out0", E18),
        (-E18, 2020202020202020203, 0, 3437195625464025050172418213103875650, 13863),
    ),
    (
        "high fee, 1:1 price, 2e18 max range liquidity",
        ("to", False, HIGH),
        (-735088935932648267, 1174017838553918518, 0, 1997487844552658120479227965844634309, 9163),
    ),
    ("high fee, 1:1 price, 2e18 max range liquidity", ("to", True, HIGH), "SPL"),
    (
        "initialized at the max ratio",
        ("in0", 1000),
        (1000, -36792225529204286454178948640580261338, 2381976568446569244235, 0, 705098),
    ),
    ("initialized at the max ratio", ("out1", 1000), (2, -1000, 170141183460469231731, 0, 887219)),
    ("initialized at the max ratio", ("in1", 1000), "SPL"),
    (
        "initialized at the min ratio",
        ("in1", 1000),
        (-36792226666449146913445651103694411508, 1000, 0, 2381976568446569244235, -705093),
    ),
    ("initialized at the min ratio", ("out0", 1000), (-1000, 2, 0, 170141183460469231731, -887220)),
    ("initialized at the min ratio", ("in0", 1000), "SPL"),
    (
        "low fee, 1:1 price, 2e18 max range liquidity",
        ("in0", 1000),
        (1000, -998, 170141183460469231731, 0, -1),
    ),
    (
        "low fee, 1:1 price, 2e18 max range liquidity",
        ("in1", 1000),
        (-998, 1000, 0, 170141183460469231731, 0),
    ),
    (
        "low fee, 1:1 price, 2e18 max range liquidity",
        ("in0", E18),
        (E18, -666444407401233536, 85070591730234956148210572796405514, 0, -8107),
    ),
    (
        "max full range liquidity at 1:1 price with default fee",
        ("to", False, HIGH),
        (
            -4228872409409224753601131224936259,
            6706554036096900675845906992220230,
            0,
            595039006852697512464428097884749099,
            9163,
        ),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("in0", 1000),
        (1000, -991, 510423550381407695195, 0, -61),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("in1", 1000),
        (-991, 1000, 0, 510423550381407695195, 60),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("in0", E18),
        (E18, -662011820624678025, 510423550381407695195061911147652317, 0, -8130),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("in1", E18),
        (-662011820624678025, E18, 0, 510423550381407695195061911147652317, 8129),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("out1", 1000),
        (1011, -1000, 680564733841876926926, 0, -61),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("out1", E18),
        (2024171064311638316, -E18, 1033184581225259164735720748018047287, 0, -13984),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("to", True, LOW),
        (1159748196632793863, -729098226020826705, 591962792073745646583043420635066071, 0, -9164),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("out0", 1000),
        (-1000, 1011, 0, 680564733841876926926, 60),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("out0", E18),
        (-E18, 2024171064311638316, 0, 1033184581225259164735720748018047287, 13983),
    ),
    (
        "medium fee, 1:1 price, 0 liquidity, all liquidity around current price",
        ("to", False, HIGH),
        (-729098226020826705, 1159748196632793863, 0, 591962792073745646583043420635066071, 9163),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("in0", 1000),
        (1000, -996, 510423550381407695195, 0, -1),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("in1", 1000),
        (-996, 1000, 0, 510423550381407695195, 0),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("in0", E18),
        (E18, -665331998665331998, 510423550381407695195061911147652317, 0, -8090),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("in1", E18),
        (-665331998665331998, E18, 0, 510423550381407695195061911147652317, 8089),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("out1", 1000),
        (1005, -1000, 680564733841876926926, 0, -1),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("out1", E18),
        (2006018054162487463, -E18, 1023918857334819954209013958517557896, 0, -13864),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("to", True, LOW),
        (1165774985123750584, -735088935932648267, 595039006852697554786973994761078087, 0, -9164),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("out0", 1000),
        (-1000, 1005, 0, 680564733841876926926, 0),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("out0", E18),
        (-E18, 2006018054162487463, 0, 1023918857334819954209013958517557896, 13863),
    ),
    (
        "medium fee, 1:1 price, 2e18 max range liquidity",
        ("to", False, HIGH),
        (-735088935932648267, 1165774985123750584, 0, 595039006852697554786973994761078087, 9163),
    ),
    ("medium fee, 1:1 price, 2e18 max range liquidity", ("to", True, HIGH), "SPL"),
    ("medium fee, 1:1 price, 2e18 max range liquidity", ("to", False, LOW), "SPL"),
    (
        "medium fee, 1:1 price, additional liquidity around current price",
        ("in0", 1000),
        (1000, -996, 510423550381407695195, 0, -1),
    ),
    (
        "medium fee, 1:1 price, additional liquidity around current price",
        ("in0", E18),
        (E18, -795933705287758544, 256749882580179971840679703106063897, 0, -4476),
    ),
    (
        "medium fee, 1:1 price, additional liquidity around current price",
        ("in1", E18),
        (-795933705287758544, E18, 0, 256749882580179971840679703106063897, 4475),
    ),
    (
        "medium fee, 1:1 price, additional liquidity around current price",
        ("out1", E18),
        (1342022152495072924, -E18, 344037963272993171369654596359692757, 0, -5794),
    ),
    (
        "medium fee, 1:1 price, additional liquidity around current price",
        ("to", True, LOW),
        (2325523181756544449, -1464187161953474971, 595039006852697724928157455230309818, 0, -9164),
    ),
    (
        "medium fee, 1:1 price, additional liquidity around current price",
        ("out0", E18),
        (-E18, 1342022152495072924, 0, 344037963272993171369654596359692757, 5793),
    ),
    (
        "medium fee, 1:1 price, additional liquidity around current price",
        ("to", False, HIGH),
        (-1464187161953474971, 2325523181756544449, 0, 595039006852697724928157455230309818, 9163),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("in0", 1000),
        (1000, -99, 510423550381407695195, 0, -23028),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("in1", 1000),
        (-9969, 1000, 0, 510423550381407695195, -23028),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("in0", E18),
        (E18, -86123526743846551, 510423550381407695195061911147652317, 0, -25955),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("in1", E18),
        (-3869747612262812753, E18, 0, 510423550381407865336245371616884047, -4099),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("out1", 1000),
        (10032, -1000, 5274376687274546183682, 0, -23028),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("out1", E18),
        (
            36907032419362389223785084665766560335,
            -632455532033675838,
            18838218521532665615644565874197034349094564536667752274,
            0,
            -887272,
        ),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("out0", 1000),
        (-1000, 102, 0, 170141183460469231731, -23028),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("out0", E18),
        (-E18, 119138326055954425, 0, 60811007371978153949466126675899993, -19585),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("to", False, LOW),
        (-3162277660168379331, 634358607857247611, 0, 323791572837503501799197590655727195, -9164),
    ),
    (
        "medium fee, 1:10 price, 2e18 max range liquidity",
        ("to", False, HIGH),
        (-5059644256269406930, 2537434431428990440, 0, 1295166291350014177337973823092140516, 9163),
    ),
    (
        "medium fee, 10:1 price, 2e18 max range liquidity",
        ("in0", E18),
        (E18, -3869747612262812754, 510423550381407865336245371616884048, 0, 4098),
    ),
    (
        "medium fee, 10:1 price, 2e18 max range liquidity",
        ("out0", E18),
        (
            -632455532033675838,
            36907032426281581270030941278837275671,
            0,
            18838218525064384185660173270402201838945341643205005201,
            887271,
        ),
    ),
    (
        "medium fee, 10:1 price, 2e18 max range liquidity",
        ("to", True, LOW),
        (
            2537434431428990438,
            -5059644256269406930,
            1295166291350014007196790362622908786,
            0,
            -9164,
        ),
    ),
    (
        "medium fee, 10:1 price, 2e18 max range liquidity",
        ("to", True, HIGH),
        (634358607857247610, -3162277660168379331, 323791572837503501799197590655727196, 0, 9163),
    ),
]


def build_pool(case: str) -> UniswapV3Pool:
    fee, start, positions = POOLS[case]
    pool = UniswapV3Pool(fee=fee, tick_spacing=SPACING[fee])
    initialize(pool, start, now=0)
    for lower, upper, liquidity in positions:
        mint(pool, "wallet", lower, upper, liquidity, now=0)
    return pool


def swap_args(spec: tuple) -> tuple[bool, int, int]:
    """(zero_for_one, amount_specified, limit) as test/shared/utilities.ts::createPoolFunctions."""
    kind = spec[0]
    if kind == "in0":
        return True, spec[1], MIN_SQRT_RATIO + 1
    if kind == "in1":
        return False, spec[1], MAX_SQRT_RATIO - 1
    if kind == "out1":
        return True, -spec[1], MIN_SQRT_RATIO + 1
    if kind == "out0":
        return False, -spec[1], MAX_SQRT_RATIO - 1
    return spec[1], MAX_INT256, encode_price_sqrt(*spec[2])  # TestUniswapV3Callee.swapTo*SqrtPrice


@pytest.mark.parametrize("case", sorted(BEFORE))
def test_mint_amounts_match_snapshot_balances(case):
    pool = build_pool(case)
    assert (pool.balance0, pool.balance1, pool.tick) == BEFORE[case]


@pytest.mark.parametrize(("case", "spec", "expected"), SWAPS)
def test_swap_matches_v3_core_snapshot(case, spec, expected):
    pool = build_pool(case)
    zero_for_one, amount, limit = swap_args(spec)
    fg0, fg1 = pool.fee_growth_global0_x128, pool.fee_growth_global1_x128
    if expected == "SPL":
        before = copy.deepcopy(pool)
        with pytest.raises(SqrtPriceLimit):
            swap(pool, zero_for_one, amount, limit, now=1)
        assert pool == before
        return
    amount0, amount1 = swap(pool, zero_for_one, amount, limit, now=1)
    got = (
        amount0,
        amount1,
        pool.fee_growth_global0_x128 - fg0,
        pool.fee_growth_global1_x128 - fg1,
        pool.tick,
    )
    assert got == expected


@pytest.mark.parametrize(("case", "spec", "expected"), [s for s in SWAPS if s[2] != "SPL"])
def test_simulate_swap_equals_swap_and_leaves_pool_untouched(case, spec, expected):
    pool = build_pool(case)
    zero_for_one, amount, limit = swap_args(spec)
    before = copy.deepcopy(pool)
    amount0, amount1, steps = simulate_swap(pool, zero_for_one, amount, limit)
    assert pool == before
    assert (amount0, amount1) == expected[:2]
    assert steps and all(isinstance(s, SwapStep) for s in steps)
    assert steps[-1].tick_after == expected[4]
    assert sum(s.amount_in + s.fee_amount for s in steps) == (amount0 if zero_for_one else amount1)
    assert sum(s.amount_out for s in steps) == -(amount1 if zero_for_one else amount0)


@pytest.mark.parametrize("case", sorted(BEFORE))
def test_positions_can_be_burned_and_collected_after_a_swap(case):
    # afterEach('check can burn positions') of the swaps spec: the pool stays solvent
    pool = build_pool(case)
    zero_for_one = pool.sqrt_price_x96 > MIN_SQRT_RATIO + 1
    swap(pool, zero_for_one, E18, MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1, now=1)
    for lower, upper, liquidity in POOLS[case][2]:
        burn(pool, "wallet", lower, upper, liquidity, now=2)
        collect(pool, "wallet", lower, upper, MAX_UINT128, MAX_UINT128)
    assert pool.balance0 >= 0 and pool.balance1 >= 0
    assert pool.liquidity == 0 and pool.ticks == {} and pool.tick_bitmap == {}


def test_swap_steps_stop_at_word_boundaries():
    # spacing 1 with nothing initialized in range: a word is 256 ticks, so each step spans <= 256
    pool = UniswapV3Pool(fee=3000, tick_spacing=1)
    initialize(pool, encode_price_sqrt(1, 1), now=0)
    mint(pool, "lp", -10_000, 10_000, 10**24, now=0)
    _, _, steps = simulate_swap(pool, True, MAX_INT256, get_sqrt_ratio_at_tick(-1_000))
    # the first step is empty (the price already sits on the word edge, tick 0) and moves to tick -1
    assert [s.tick_next for s in steps] == [0, -256, -512, -768, -1024]
    assert steps[0].amount_in == 0 and steps[0].tick_after == -1
    assert all(not s.initialized for s in steps)
    assert steps[1].tick_after == -257  # ended exactly on tick -256 going down: tick is T - 1
    assert steps[-1].sqrt_price_after_x96 == get_sqrt_ratio_at_tick(-1000)


def test_zero_for_one_swap_ending_on_a_tick_sets_tick_below_it():
    pool = build_pool("medium fee, 1:1 price, 2e18 max range liquidity")
    mint(pool, "b", -60, 60, E18, now=0)
    swap(pool, True, MAX_INT256, get_sqrt_ratio_at_tick(-60), now=1)
    assert pool.sqrt_price_x96 == get_sqrt_ratio_at_tick(-60)
    assert pool.tick == -61
    assert pool.liquidity == 2 * E18  # the [-60, 60] position was crossed out of range


def test_crossing_a_tick_flips_fee_growth_outside_and_liquidity():
    pool = build_pool("medium fee, 1:1 price, 0 liquidity, all liquidity around current price")
    assert pool.liquidity == 0
    swap(pool, False, E18, MAX_SQRT_RATIO - 1, now=5)
    info = pool.ticks[60]
    assert pool.liquidity == 2 * E18
    # crossed left to right while only token1 fees had accrued (none, L was 0 before the tick)
    assert info.fee_growth_outside1_x128 == 0
    assert info.tick_cumulative_outside == 0 and info.seconds_outside == 5


def test_fee_growth_inside_tracks_fees_of_an_in_range_position():
    pool = UniswapV3Pool(fee=3000, tick_spacing=60)
    initialize(pool, encode_price_sqrt(1, 1), now=0)
    mint(pool, "a", -120, 120, E18, now=0)
    swap(pool, True, 10**15, MIN_SQRT_RATIO + 1, now=1)
    inside0, inside1 = get_fee_growth_inside(pool, -120, 120)
    assert (inside0, inside1) == (pool.fee_growth_global0_x128, 0)
    burn(pool, "a", -120, 120, 0, now=2)  # poke
    fee = 3 * 10**12  # 0.3 % of 1e15, all to the only position (floor(fee * 2^128 / L) * L / 2^128)
    assert fee - 1 <= pool.positions[("a", -120, 120)].tokens_owed0 <= fee


def test_mint_outside_range_needs_one_token():
    pool = UniswapV3Pool(fee=3000, tick_spacing=60)
    initialize(pool, encode_price_sqrt(1, 1), now=0)
    a0, a1 = mint(pool, "a", 60, 600, E18, now=0)
    b0, b1 = mint(pool, "a", -600, -60, E18, now=0)
    assert a0 > 0 and a1 == 0 and b0 == 0 and b1 > 0
    assert pool.liquidity == 0


def test_mint_reverts_and_leaves_pool_untouched():
    pool = UniswapV3Pool(fee=3000, tick_spacing=60)
    with pytest.raises(Locked):
        mint(pool, "a", -60, 60, 1, now=0)
    initialize(pool, encode_price_sqrt(1, 1), now=0)
    with pytest.raises(AlreadyInitialized):
        initialize(pool, encode_price_sqrt(1, 1), now=0)
    before = copy.deepcopy(pool)
    cases = [
        ((60, 60, 1), TickLowerUpper),
        ((MIN_TICK - 1, 60, 1), TickLowerMin),
        ((-60, MAX_TICK + 1, 1), TickUpperMax),
        ((-60, 60, 0), ZeroMintAmount),
        ((-61, 60, 1), TickNotSpaced),
        ((-60, 60, pool.max_liquidity_per_tick + 1), LiquidityOverflow),
    ]
    for (lower, upper, amount), error in cases:
        with pytest.raises(error):
            mint(pool, "a", lower, upper, amount, now=0)
        assert pool == before
    with pytest.raises(NoPosition):
        burn(pool, "a", -60, 60, 0, now=0)
    with pytest.raises(AmountSpecified):
        swap(pool, True, 0, MIN_SQRT_RATIO + 1, now=0)
    assert pool == before


def test_max_liquidity_per_tick_matches_v3_core():
    # test/Tick.spec.ts #tickSpacingToMaxLiquidityPerTick
    assert tick_spacing_to_max_liquidity_per_tick(10) == 1917569901783203986719870431555990
    assert tick_spacing_to_max_liquidity_per_tick(60) == 11505743598341114571880798222544994
    assert tick_spacing_to_max_liquidity_per_tick(200) == 38350317471085141830651933667504588
    assert tick_spacing_to_max_liquidity_per_tick(887272) == MAX_UINT128 // 3
    assert tick_spacing_to_max_liquidity_per_tick(2302) == 441351967472034323558203122479595605


def test_observe_interpolates_and_truncates_toward_zero():
    pool = UniswapV3Pool(fee=3000, tick_spacing=60)
    initialize(pool, encode_price_sqrt(1, 1), now=100)
    increase_observation_cardinality_next(pool, 4)
    mint(pool, "a", -600, 600, E18, now=100)
    swap(pool, True, 10**16, MIN_SQRT_RATIO + 1, now=110)  # tick 0 -> negative
    tick1 = pool.tick
    swap(pool, False, 3 * 10**16, MAX_SQRT_RATIO - 1, now=113)
    tick2 = pool.tick
    cum_113 = tick1 * 3
    assert observe(pool, 113, [0, 3, 13]) == [cum_113, 0, 0]
    assert observe(pool, 120, [0]) == [cum_113 + tick2 * 7]
    # between the observations at 110 (cum 0) and 113 (cum 3 * tick1): trunc(3 * tick1 / 3) * 1
    assert observe(pool, 120, [9]) == [tick1]
    with pytest.raises(OracleTooOld):
        observe(pool, 120, [21])
    with pytest.raises(OracleUninitialized):
        observe(UniswapV3Pool(), 0, [0])


def _observe_by_definition(pool, now, seconds_ago):
    """observe() from the whole ring: every written observation in time order, scanned."""
    ring = pool.observations[: pool.observation_cardinality]
    index = pool.observation_index
    chronological = [obs for obs in ring[index + 1 :] + ring[: index + 1] if obs.initialized]
    target = now - seconds_ago
    last = chronological[-1]
    if target >= last.block_timestamp:
        return last.tick_cumulative + pool.tick * (target - last.block_timestamp)
    if target < chronological[0].block_timestamp:
        return None  # too old
    before = [obs for obs in chronological if obs.block_timestamp <= target][-1]
    if before.block_timestamp == target:
        return before.tick_cumulative
    after = chronological[chronological.index(before) + 1]
    step = after.tick_cumulative - before.tick_cumulative
    span = after.block_timestamp - before.block_timestamp
    delta = abs(step) // span * (1 if step >= 0 else -1)
    return before.tick_cumulative + delta * (target - before.block_timestamp)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("grow"), st.integers(1, 12)),
            st.tuples(st.just("write"), st.integers(0, 9), st.integers(-5_000, 5_000)),
        ),
        max_size=40,
    ),
    st.integers(0, 400),
)
def test_observe_and_the_oldest_observation_match_a_scan_of_the_ring(operations, seconds_ago):
    pool = UniswapV3Pool(fee=3000, tick_spacing=60)
    initialize(pool, get_sqrt_ratio_at_tick(0), now=1_000)
    now = 1_000
    for operation in operations:
        if operation[0] == "grow":
            increase_observation_cardinality_next(pool, operation[1])
        else:
            _, elapsed, tick = operation
            now += elapsed
            _oracle_write(pool, now, pool.tick)
            pool.tick = tick

    written = [obs for obs in pool.observations[: pool.observation_cardinality] if obs.initialized]
    assert oldest_observation(pool).block_timestamp == min(o.block_timestamp for o in written)
    expected = _observe_by_definition(pool, now, seconds_ago)
    if expected is None:
        with pytest.raises(OracleTooOld):
            observe(pool, now, [seconds_ago])
    else:
        assert observe(pool, now, [seconds_ago]) == [expected]


def test_swap_records_the_pre_swap_tick_in_the_oracle():
    pool = UniswapV3Pool(fee=3000, tick_spacing=60)
    initialize(pool, get_sqrt_ratio_at_tick(-7), now=0)
    increase_observation_cardinality_next(pool, 3)
    mint(pool, "a", -600, 600, E18, now=0)  # in range, same second as initialize: no new slot
    swap(pool, False, 10**15, MAX_SQRT_RATIO - 1, now=3)
    assert pool.observations[1] == Observation(3, -21, True)
    assert (pool.observation_index, pool.observation_cardinality) == (1, 3)


def test_observe_interpolation_truncates_toward_zero():
    # Oracle.observeSingle: before + (delta_cum / delta_t) * target_delta with int56 division
    pool = UniswapV3Pool(
        sqrt_price_x96=get_sqrt_ratio_at_tick(-8),
        tick=-8,
        observations=[Observation(0, 0, True), Observation(3, -22, True)],
        observation_index=1,
        observation_cardinality=2,
        observation_cardinality_next=2,
    )
    assert observe(pool, 3, [2, 3, 0]) == [-7, 0, -22]  # trunc(-22 / 3) = -7, not floor's -8
    assert observe(pool, 5, [0]) == [-22 - 16]


@settings(max_examples=60, deadline=None)
@given(
    lower=st.integers(-200, 199),
    width=st.integers(1, 200),
    liquidity=st.integers(1, 10**30),
    start_tick=st.integers(-20000, 20000),
)
def test_mint_then_burn_returns_amounts_within_one_wei(lower, width, liquidity, start_tick):
    pool = UniswapV3Pool(fee=3000, tick_spacing=60)
    initialize(pool, get_sqrt_ratio_at_tick(start_tick), now=0)
    tick_lower, tick_upper = lower * 60, (lower + width) * 60
    minted = mint(pool, "lp", tick_lower, tick_upper, liquidity, now=0)
    burned = burn(pool, "lp", tick_lower, tick_upper, liquidity, now=0)
    assert 0 <= minted[0] - burned[0] <= 1 and 0 <= minted[1] - burned[1] <= 1
    assert collect(pool, "lp", tick_lower, tick_upper, MAX_UINT128, MAX_UINT128) == burned
    assert pool.ticks == {} and pool.tick_bitmap == {} and pool.liquidity == 0


def _random_pool(data) -> UniswapV3Pool:
    pool = UniswapV3Pool(fee=data.draw(st.sampled_from([500, 3000, 10000])), tick_spacing=0)
    pool.tick_spacing = SPACING[pool.fee]
    pool.max_liquidity_per_tick = tick_spacing_to_max_liquidity_per_tick(pool.tick_spacing)
    initialize(pool, get_sqrt_ratio_at_tick(data.draw(st.integers(-5000, 5000))), now=0)
    spacing = pool.tick_spacing
    for i in range(data.draw(st.integers(1, 4))):
        lower = data.draw(st.integers(-60, 59)) * spacing
        upper = lower + data.draw(st.integers(1, 60)) * spacing
        mint(pool, f"lp{i}", lower, upper, data.draw(st.integers(10**15, 10**22)), now=0)
    return pool


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_swap_conserves_tokens_and_equals_simulation(data):
    pool = _random_pool(data)
    zero_for_one = data.draw(st.booleans())
    amount = data.draw(st.integers(1, 10**21)) * data.draw(st.sampled_from([1, -1]))
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    balance0, balance1 = pool.balance0, pool.balance1
    simulated = simulate_swap(pool, zero_for_one, amount, limit)
    amount0, amount1 = swap(pool, zero_for_one, amount, limit, now=1)
    assert (amount0, amount1) == simulated[:2]
    assert (pool.balance0 - balance0, pool.balance1 - balance1) == (amount0, amount1)
    assert (amount0 >= 0) == zero_for_one or amount0 == 0
    # the pool can always pay every position back in full
    for owner, lower, upper in list(pool.positions):
        burn(pool, owner, lower, upper, pool.positions[(owner, lower, upper)].liquidity, now=2)
        collect(pool, owner, lower, upper, MAX_UINT128, MAX_UINT128)
    assert pool.balance0 >= 0 and pool.balance1 >= 0
    assert pool.tick == get_tick_at_sqrt_ratio(pool.sqrt_price_x96) or (
        zero_for_one and pool.sqrt_price_x96 == get_sqrt_ratio_at_tick(pool.tick + 1)
    )


# spec/perp_curie.md section 4 (Curie's test pool: 1 % fee, spacing 200, CH the only LP)
CURIE_SQRT_PRICE = encode_price_sqrt("151.373306858723226652", 1)  # 974774664819573627711176820911


def curie_pool() -> UniswapV3Pool:
    pool = UniswapV3Pool(fee=10000, tick_spacing=200)
    initialize(pool, CURIE_SQRT_PRICE, now=0)
    return pool


def test_curie_add_liquidity_vectors():
    pool = curie_pool()
    assert pool.tick == 50200
    s = CURIE_SQRT_PRICE
    liquidity = get_liquidity_for_amounts(
        s, get_sqrt_ratio_at_tick(50000), get_sqrt_ratio_at_tick(50200), 0, 10**22
    )
    assert liquidity == 81689571696303801037492
    assert mint(pool, "ch", 50000, 50200, liquidity, now=0) == (0, 10**22)
    liquidity = get_liquidity_for_amounts(
        s, get_sqrt_ratio_at_tick(50000), get_sqrt_ratio_at_tick(50400), 100 * E18, 10**22
    )
    assert liquidity == 81689571696303801018159
    assert mint(pool, "ch", 50000, 50400, liquidity, now=0) == (66061845430469484023, 10**22)


@pytest.mark.parametrize(
    ("zero_for_one", "amount", "expected"),
    [
        # taker long, exact input 1 quote (x = u = 1 %: the pool gets exactly 1e18)
        (False, E18, (-6539527905092835, E18, 974863323923301853330898562804)),
        # taker short, exact input 1 base: pool amount ceil(1e18 * 1e6 / (1e6 - 1e4))
        (True, 1010101010101010102, (1010101010101010102, -149297034185732877727, None)),
    ],
)
def test_curie_taker_vectors(zero_for_one, amount, expected):
    pool = curie_pool()
    liquidity = get_liquidity_for_amounts(
        CURIE_SQRT_PRICE,
        get_sqrt_ratio_at_tick(0),
        get_sqrt_ratio_at_tick(100000),
        65943787 * 10**12,
        10**22,
    )
    assert liquidity == 884690658835870366575
    mint(pool, "ch", 0, 100000, liquidity, now=0)
    limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
    amount0, amount1 = swap(pool, zero_for_one, amount, limit, now=1)
    assert (amount0, amount1) == expected[:2]
    if expected[2] is not None:
        assert pool.sqrt_price_x96 == expected[2]


def test_burn_credits_tokens_owed_and_collect_pays_up_to_the_request():
    pool = UniswapV3Pool(fee=3000, tick_spacing=60)
    initialize(pool, encode_price_sqrt(1, 1), now=0)
    minted = mint(pool, "a", -600, 600, E18, now=0)
    burned = burn(pool, "a", -600, 600, E18 // 2, now=0)
    position = pool.positions[("a", -600, 600)]
    assert (position.tokens_owed0, position.tokens_owed1) == burned
    assert all(0 <= 2 * b <= m for b, m in zip(burned, minted, strict=True))
    assert collect(pool, "a", -600, 600, 10, 0) == (10, 0)
    assert (position.tokens_owed0, position.tokens_owed1) == (burned[0] - 10, burned[1])
    assert (pool.balance0, pool.balance1) == (minted[0] - 10, minted[1])
    assert collect(pool, "nobody", -600, 600, 10, 10) == (0, 0)


def test_oracle_ring_buffer_overwrites_the_oldest_observation():
    pool = UniswapV3Pool(fee=3000, tick_spacing=60)
    initialize(pool, encode_price_sqrt(1, 1), now=0)
    increase_observation_cardinality_next(pool, 2)
    mint(pool, "a", -6000, 6000, E18, now=0)
    for now, zero_for_one in ((10, True), (20, False), (30, True)):
        limit = MIN_SQRT_RATIO + 1 if zero_for_one else MAX_SQRT_RATIO - 1
        swap(pool, zero_for_one, 10**16, limit, now=now)
    assert pool.observation_cardinality == 2
    assert [o.block_timestamp for o in pool.observations] == [20, 30]
    with pytest.raises(OracleTooOld):
        observe(pool, 30, [11])
    assert observe(pool, 30, [10])[0] == pool.observations[0].tick_cumulative
