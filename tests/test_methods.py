"""Method configs: defaults, round trips and every bad option with its exact message."""

import re

import pytest
import yaml

from bnnppl.spec.methods import HMC, NUTS, SGHMC, SGLD, SMC, SVI, Langevin, method_from_dict

METHODS = [
    NUTS(),
    NUTS(chains=4, warmup=200, samples=300, thinning=3, target_accept=0.95, max_tree_depth=8,
         dense_mass=True, init="map", init_steps=500),
    HMC(step_size=0.05, num_steps=4, samples=5000),
    SVI(),
    SVI(steps=50_000, guide="low_rank", rank=3, optimizer="adamw", learning_rate=0.001, schedule="cosine",
        clip=10.0, elbo="alpha", alpha=0.5, num_particles=10, init_scale=0.01, subsample_size=64,
        draws=200, chunk=1000, point_layers="pretrained", pretrain_steps=500),
    SVI(elbo="renyi", alpha=0.5, num_particles=10),
    SVI(guide="delta", elbo="mean_field"),
    Langevin(),
    Langevin(step_size=1e-4, chains=4, burnin=500, burnin_friction=50.0, burnin_mass=20.0, samples=200,
             thinning=5, friction=0.5, mass=2.0, temperature=0.5, init="prior", init_steps=100),
    SGLD(step_size=1e-5, batch_size=16, temperature=0.1, init="uniform"),
    SGHMC(num_integration_steps=5, friction=0.1),
    SMC(),
    SMC(schedule="data", particles=200, kernel="langevin", mcmc_steps=3, step_size=0.1, num_leapfrog=4,
        resample_ess=0.3, target_ess=0.8, batch=5, max_stages=50),
]  # fmt: skip


@pytest.mark.parametrize("method", METHODS, ids=lambda m: type(m).__name__)
def test_round_trip_through_dict_and_yaml(method):
    assert method_from_dict(method.to_dict()) == method
    assert method_from_dict(yaml.safe_load(yaml.safe_dump(method.to_dict()))) == method


def test_renyi_alpha_defaults_to_zero():
    assert SVI(elbo="renyi").alpha == 0.0


BAD = [
    (lambda: NUTS(chains=0), ValueError, "NUTS.chains: must be >= 1, got 0."),
    (lambda: NUTS(warmup=-1), ValueError, "NUTS.warmup: must be >= 0, got -1."),
    (lambda: NUTS(samples=10, thinning=20), ValueError,
     "NUTS.thinning: is 20 but only 10 samples are drawn; keep thinning <= samples."),
    (lambda: NUTS(target_accept=1.0), ValueError, "NUTS.target_accept: must be in (0, 1), got 1.0."),
    (lambda: NUTS(max_tree_depth=0), ValueError, "NUTS.max_tree_depth: must be >= 1, got 0."),
    (lambda: NUTS(dense_mass="yes"), TypeError, "NUTS.dense_mass: must be true or false, got 'yes'."),
    (lambda: NUTS(init="mapp"), ValueError,
     "NUTS.init: unknown init strategy 'mapp'. Did you mean 'map'? "
     "Allowed: 'ensemble', 'map', 'median', 'prior', 'svi', 'uniform'."),
    (lambda: HMC(step_size=-0.1, num_steps=4), ValueError, "HMC.step_size: must be > 0, got -0.1."),
    (lambda: HMC(step_size=0.1, num_steps=0), ValueError, "HMC.num_steps: must be >= 1, got 0."),
    (lambda: method_from_dict({"method": "hmc", "num_steps": 4}), ValueError,
     "inference.step_size: is required (the leapfrog step size, a number > 0, e.g. 0.05)."),
    (lambda: SVI(steps=0), ValueError, "SVI.steps: must be >= 1, got 0."),
    (lambda: SVI(guide="mean_field"), ValueError,
     "SVI.guide: unknown guide 'mean_field'. Allowed: 'delta', 'low_rank', 'normal'."),
    (lambda: SVI(optimizer="adamm"), ValueError,
     "SVI.optimizer: unknown optimizer 'adamm'. Did you mean 'adam'? Allowed: 'adabelief', 'adagrad', "
     "'adam', 'adamax', 'adamw', 'lamb', 'lion', 'nadam', 'novograd', 'radam', 'rmsprop', 'sgd', 'yogi'."),
    (lambda: SVI(learning_rate=0), ValueError, "SVI.learning_rate: must be > 0, got 0."),
    (lambda: SVI(schedule="linear"), ValueError,
     "SVI.schedule: unknown learning-rate schedule 'linear'. Allowed: 'constant', 'cosine'."),
    (lambda: SVI(clip=-1), ValueError, "SVI.clip: must be > 0, got -1."),
    (lambda: SVI(elbo="tracee"), ValueError,
     "SVI.elbo: unknown ELBO 'tracee'. Did you mean 'trace'? Allowed: 'alpha', 'mean_field', 'renyi', 'trace'."),
    (lambda: SVI(elbo="renyi", alpha=1), ValueError,
     "SVI.alpha: must differ from 1 (alpha = 1 is the ordinary ELBO: use elbo='trace'), got 1."),
    (lambda: SVI(alpha=0.5), ValueError, "SVI.alpha: is only used by elbo='renyi' or 'alpha', got 0.5."),
    (lambda: SVI(num_particles=0), ValueError, "SVI.num_particles: must be >= 1, got 0."),
    (lambda: SVI(init_scale=0.0), ValueError, "SVI.init_scale: must be > 0, got 0.0."),
    (lambda: SVI(rank=2), ValueError, "SVI.rank: is only used by guide='low_rank', got 2."),
    (lambda: SVI(subsample_size=0), ValueError, "SVI.subsample_size: must be >= 1, got 0."),
    (lambda: SVI(draws=1.5), TypeError, "SVI.draws: must be an integer, got 1.5."),
    (lambda: method_from_dict({"method": "advi"}), ValueError,
     "inference.method: unknown inference method 'advi'. "
     "Allowed: 'hmc', 'langevin', 'mclmc', 'nuts', 'sghmc', 'sgld', 'smc', 'svi'."),
    (lambda: method_from_dict({"steps": 10}), ValueError,
     "inference.method: is required; allowed: 'hmc', 'langevin', 'mclmc', 'nuts', 'sghmc', 'sgld', 'smc', 'svi'."),
    (lambda: method_from_dict({"method": "svi", "stepz": 10}), ValueError,
     "inference.stepz: unknown key. Did you mean 'steps'? Valid keys: 'alpha', 'chunk', 'clip', 'draws', "
     "'elbo', 'guide', 'init', 'init_scale', 'init_steps', 'learning_rate', 'method', 'num_particles', 'optimizer', "
     "'point_layers', 'pretrain_steps', 'rank', 'schedule', 'steps', 'subsample_size'."),
    (lambda: SVI(point_layers="frozen"), ValueError,
     "SVI.point_layers: unknown point-layer strategy 'frozen'. Allowed: 'joint', 'pretrained'."),
    (lambda: SVI(pretrain_steps=0), ValueError, "SVI.pretrain_steps: must be >= 1, got 0."),
    (lambda: SVI(init="median"), ValueError,
     "SVI.init: unknown init strategy 'median'. Allowed: 'map', 'uniform'."),
    (lambda: SVI(init_steps=0), ValueError, "SVI.init_steps: must be >= 1, got 0."),
    (lambda: Langevin(friction=-1), ValueError, "Langevin.friction: must be > 0, got -1."),
    (lambda: Langevin(burnin_friction=0), ValueError, "Langevin.burnin_friction: must be > 0, got 0."),
    (lambda: Langevin(mass=0.0), ValueError, "Langevin.mass: must be > 0, got 0.0."),
    (lambda: Langevin(burnin_mass=-2.0), ValueError, "Langevin.burnin_mass: must be > 0, got -2.0."),
    (lambda: Langevin(step_size=0), ValueError, "Langevin.step_size: must be > 0, got 0."),
    (lambda: Langevin(temperature=-1), ValueError, "Langevin.temperature: must be > 0, got -1."),
    (lambda: Langevin(burnin=-1), ValueError, "Langevin.burnin: must be >= 0, got -1."),
    (lambda: Langevin(thinning=0), ValueError, "Langevin.thinning: must be >= 1, got 0."),
    (lambda: Langevin(init="median"), ValueError,
     "Langevin.init: unknown init strategy 'median'. Allowed: 'ensemble', 'map', 'prior', 'uniform'."),
    (lambda: SGLD(batch_size=0), ValueError, "SGLD.batch_size: must be >= 1, got 0."),
    (lambda: SGLD(step_size="big"), TypeError, "SGLD.step_size: must be a number, got 'big'."),
    (lambda: SGHMC(friction=-0.1), ValueError, "SGHMC.friction: must be > 0, got -0.1."),
    (lambda: SGHMC(num_integration_steps=0), ValueError, "SGHMC.num_integration_steps: must be >= 1, got 0."),
    (lambda: SMC(resample_ess=0), ValueError, "SMC.resample_ess: must be in (0, 1), got 0."),
    (lambda: SMC(resample_ess=1.5), ValueError, "SMC.resample_ess: must be in (0, 1), got 1.5."),
    (lambda: SMC(target_ess=1), ValueError, "SMC.target_ess: must be in (0, 1), got 1."),
    (lambda: SMC(particles=1), ValueError, "SMC.particles: must be >= 2, got 1."),
    (lambda: SMC(schedule="geometric"), ValueError,
     "SMC.schedule: unknown SMC schedule 'geometric'. Allowed: 'data', 'tempering'."),
    (lambda: SMC(kernel="mala"), ValueError,
     "SMC.kernel: unknown move kernel 'mala'. Allowed: 'hmc', 'langevin', 'nuts'."),
    (lambda: SMC(batch=0), ValueError, "SMC.batch: must be >= 1, got 0."),
    (lambda: SMC(step_size=-0.01), ValueError, "SMC.step_size: must be > 0, got -0.01."),
]  # fmt: skip


@pytest.mark.parametrize(("make", "error", "message"), BAD)
def test_bad_options_have_exact_messages(make, error, message):
    with pytest.raises(error, match=re.escape(message)) as info:
        make()
    assert str(info.value) == message
