"""Uniswap v3-core 1.0.0 math and a virtual pool, as pure integer Python.

Modules mirror the reference libraries (snake_case names): ``tick_math``, ``full_math``,
``sqrt_price_math``, ``swap_math``, ``liquidity_math``, ``liquidity_amounts`` (periphery 1.0.1),
``tick_bitmap`` and ``pool`` (UniswapV3Pool with Tick, Position and Oracle bookkeeping).
"""
