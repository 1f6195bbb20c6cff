"""(being written)"""


def register(router, web) -> None:
    return None
