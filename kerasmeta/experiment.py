"""From an ml_collections config to task distribution, model and learner.

The functions of `kerasmeta.experiments` under their old module name: each
dispatches to the family module that `config.task` names.
"""

from kerasmeta.experiments import build_learner
from kerasmeta.experiments import build_model
from kerasmeta.experiments import check_data
from kerasmeta.experiments import checkpoint_selector
from kerasmeta.experiments import config_from_json
from kerasmeta.experiments import config_to_json
from kerasmeta.experiments import evaluate
from kerasmeta.experiments import load_config
from kerasmeta.experiments import restore_learner
from kerasmeta.experiments import task_distribution
from kerasmeta.experiments import validate_config

__all__ = ["build_learner", "build_model", "check_data",
           "checkpoint_selector", "config_from_json",
           "config_to_json", "evaluate", "load_config", "restore_learner",
           "task_distribution", "validate_config"]
