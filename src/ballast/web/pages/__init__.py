"""The pages: each module adds its routes with `register(router, web)` (see ballast.web.app)."""

from ballast.web.pages import account, backtests, bal, insurance, pools, positions, settings, trade

PAGES = [account, bal, positions, settings, insurance, pools, trade, backtests]
