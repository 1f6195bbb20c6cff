import math

import pytest

from ballast.sim.paths import PathError, gbm_path, load_price_csv


def _path(seed, **kwargs):
    args = dict(start_price=100.0, start_ts=0, step_seconds=60, n_steps=2000)
    args.update(kwargs)
    return gbm_path(seed, **args)


def test_same_seed_gives_the_same_path():
    assert _path(1, jumps_per_day=2.0) == _path(1, jumps_per_day=2.0)


def test_different_seeds_give_different_paths():
    assert _path(1) != _path(2)


def test_prices_are_positive_integers_starting_at_the_start_price():
    path = _path(3)
    assert path[0] == 100_000_000
    assert all(isinstance(p, int) and p > 0 for p in path)


def _abs_log_returns(path):
    return [abs(math.log(b / a)) for a, b in zip(path, path[1:], strict=False)]


def test_volatility_regimes_change_the_step_size():
    # 2000 one-minute steps = 1.39 days; the regime switches at day 0.7
    path = _path(4, vol_regimes=[(0.0, 0.2), (0.7, 2.0)])
    moves = _abs_log_returns(path)
    switch = int(0.7 * 1440)
    calm = sum(moves[: switch - 1]) / (switch - 1)
    wild = sum(moves[switch + 1 :]) / len(moves[switch + 1 :])
    assert wild > 5 * calm


def test_jumps_appear_at_the_stated_intensity():
    path = _path(5, vol_regimes=[(0.0, 0.1)], jumps_per_day=20.0, jump_std=0.05)
    big = sum(1 for m in _abs_log_returns(path) if m > 0.01)
    assert 5 <= big <= 60  # about 28 jumps expected, most above 1%


def test_scheduled_move_lands_exactly():
    path = _path(6, vol_regimes=[(0.0, 0.0)], scheduled_moves=[(0.5, -0.9, 60)], n_steps=1440)
    assert path[-1] == 10_000_000
    assert path[720] == 100_000_000
    assert path[780] == 10_000_000


def test_price_csv_columns_are_found_by_header_name(tmp_path):
    path = tmp_path / "ohlc.csv"
    path.write_text("Time,open,high,low,Close\n1700000000,1,2,0.5,1.5\n1700000060,1,2,0.5,1.25\n")
    assert load_price_csv(path, 300).prices == (1_500_000, 1_250_000)


def test_price_csv_header_without_a_price_column_names_what_it_needs(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,open\n1700000000,1\n")
    with pytest.raises(PathError, match="no price column"):
        load_price_csv(path, 300)
