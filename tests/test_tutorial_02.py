"""Tutorial 2 executed as a Jupyter notebook, with the small sizes below: its story in numbers,
its pictures, and no warnings. Bounds are for these sizes; observed values on a 2-core CPU in
comments (full sizes in brackets)."""

import os
from pathlib import Path

import pytest

from notebooks import check_offline_page, execute

SOURCE = Path(__file__).resolve().parents[1] / "tutorials" / "02_nuts_and_svi.py"
QUICK = {
    "NUTS_WARMUP": 100,
    "NUTS_DRAWS": 100,
    "VARIANT_WARMUP": 50,
    "VARIANT_DRAWS": 50,
    "SVI_STEPS": 2_000,
    "SPIRAL_STEPS": 3_000,
    "GRID": 40,
}


@pytest.mark.slow
def test_02_nuts_and_svi(tmp_path, chrome):
    values = {
        "draws": "post.num_draws",
        "rmse": "float(rmse)",
        "coverage": "float(coverage)",
        "max_rhat": "float(max_rhat)",
        "function_max_rhat": "float(function_max_rhat)",
        "divergences": "int(divergences)",
        "depth_limit_share": "float(first_diag.depth_limit_share)",
        "pareto_k_high": "int(first_diag.pareto_k_high)",
        "small_steps": "{'divergences': int(small_steps_diag.divergences), "
        "'depth_limit_share': float(small_steps_diag.depth_limit_share), "
        "'function_max_rhat': float(small_steps_diag.function_max_rhat), "
        "'leapfrogs': small_steps_leapfrogs, 'first_leapfrogs': first_leapfrogs}",
        "variant_posts": "sorted(variant_posts)",
        "variant_table": "{k: {a: float(b) for a, b in row.items()} for k, row in variant_table.items()}",
        "noise_and_curve": "noise_and_curve",
        "svi_rmse": "float(svi_rmse)",
        "spiral_weights": "sum(int(np.prod(s)) for s in spiral_bnn.param_shapes(2).values())",
        "test_accuracy": "float(test_accuracy)",
        "map_test_accuracy": "float(map_test_accuracy)",
        "far_entropy_bnn": "far_entropy_bnn",
        "far_entropy_map": "far_entropy_map",
    }
    run = execute(SOURCE, tmp_path, QUICK, values)
    v = run.values
    assert run.warnings() == []
    assert v["draws"] == 100
    assert v["rmse"] < 0.3  # observed 0.18 (the noise sd is 0.1; was 0.19 in-process)
    assert v["coverage"] >= 0.7  # observed 1.0 of the 10 test points in the 95 % band (was 0.9 in-process)
    assert v["function_max_rhat"] < 1.3  # observed 1.04 with 100 draws per chain (1.003; was 1.03 in-process)
    assert v["divergences"] <= 5  # observed 0 (0 at target_accept=0.95 and at 0.99)
    # the prose: "no divergences", and "still no divergences" with target_accept=0.99
    assert v["divergences"] == v["small_steps"]["divergences"] == 0  # observed 0 and 0
    # the prose: the weights' r-hat is worse than the output's (the hidden units' symmetry)
    assert v["max_rhat"] > v["function_max_rhat"]  # observed 1.08 vs 1.04
    # the prose: many transitions at the depth limit (the warning's > 10 %), some high Pareto k
    assert v["depth_limit_share"] > 0.1  # observed 0.56 (a quarter)
    assert v["pareto_k_high"] >= 1  # observed 3 of 30 (1, with the limit then 0.7)
    # the prose: smaller steps (0.99) take more leapfrog steps per draw and hit the depth limit more
    # often; the r-hat of f moves either way (observed 1.07 vs 1.04, then 1.018 vs 1.029 with
    # other library versions), so the prose claims nothing of it
    small = v["small_steps"]
    assert small["leapfrogs"] > 1.1 * small["first_leapfrogs"]
    assert small["depth_limit_share"] > v["depth_limit_share"]  # observed 0.60 vs 0.56 (0.87)
    nuts, svi = v["noise_and_curve"]["NUTS"], v["noise_and_curve"]["SVI"]
    # the prose: sigma sits well above the 0.1 in the data, and the band inside is about +-0.4, mostly noise
    assert nuts["sigma"] > 0.15  # observed 0.19 (about 0.2)
    table = v["variant_table"]
    base = table["baseline"]
    assert 0.6 <= base["width_inside"] <= 1.0  # observed 0.86
    assert nuts["sd_f_inside"] < nuts["sigma"]  # observed 0.10 vs 0.19
    assert v["svi_rmse"] < 0.45  # observed 0.28 (0.28: mean-field SVI underfits)
    # the prose on the hyperparameters, from the table
    flat = table["prior sd 0.1"]  # a flat line, a band equally wide everywhere
    assert flat["test_rmse"] > 2 * base["test_rmse"]  # observed 0.59 vs 0.18
    assert flat["width_outside"] < 1.1 * flat["width_inside"]  # observed 1.79 vs 1.77
    assert table["prior sd 10"]["width_outside"] > 3 * base["width_outside"]  # observed 15.7 vs 1.49
    assert table["prior sd 10"]["rhat_f"] > 1.01  # observed 1.38
    assert table["2 hidden units"]["test_rmse"] > base["test_rmse"]  # observed 0.23 vs 0.18
    wide = table["100 hidden units"]
    assert wide["test_rmse"] <= base["test_rmse"]  # no overfitting: observed 0.11 vs 0.18
    assert wide["width_inside"] < base["width_inside"]  # observed 0.65 vs 0.86
    assert wide["width_outside"] > base["width_outside"]  # observed 1.62 vs 1.49
    assert min(row["test_rmse"] for row in table.values()) < base["test_rmse"]  # the baseline is not the best
    # the prose: SVI puts more down to noise, and its curve's sd is nearly flat: larger than
    # NUTS's among the data, smaller outside them
    assert svi["sigma"] > nuts["sigma"]  # observed 0.32 vs 0.19
    assert svi["sd_f_inside"] > nuts["sd_f_inside"]  # observed 0.22 vs 0.10
    assert svi["sd_f_outside"] < nuts["sd_f_outside"]  # observed 0.24 vs 0.33
    assert v["spiral_weights"] == 1251  # the prose's count
    assert v["test_accuracy"] >= 0.85  # observed 0.91 on the spiral (0.99)
    assert v["map_test_accuracy"] >= 0.85  # observed 0.97 (0.97; was 1.0 in-process)
    # far from the data the BNN is unsure and the deterministic network is not
    assert v["far_entropy_map"] < 0.25  # observed 0.07 (0.07)
    assert v["far_entropy_bnn"] > 2 * v["far_entropy_map"]  # observed 0.60 (0.47)
    assert v["far_entropy_bnn"] < 0.8 * 1.0986  # well below log 3: observed 0.60 (0.47)
    assert v["variant_posts"] == sorted(
        ["prior sd 0.1", "prior sd 10", "2 hidden units", "100 hidden units", "ReLU"]
    )
    # the data, the traces, the band, the hyperparameters' bands, the loss, NUTS next to SVI,
    # the mode map, the entropy maps
    assert run.plots() == 8
    if not os.environ.get("CI"):  # bnnppl shows no progress bars under CI
        assert run.progress_bars() >= 1  # the fits', tqdm.auto widgets
    # the executed notebook as nbconvert HTML shows every plot in a browser with no network
    check_offline_page(chrome, run, tmp_path / "02.html")
