"""Twin of Perpetual Protocol v2 "Curie" (perp-curie-contract @ d520bd8e) over Uniswap v3-core 1.0.0.

``ballast.curie.univ3`` holds the Uniswap v3 math and the virtual pool Curie trades against.
"""
