"""Meta-learners behind one interface (`MetaLearner`)."""

from kerasmeta.algorithms.base import MetaLearner
from kerasmeta.algorithms.base import map_tasks
from kerasmeta.algorithms.maml import FOMAML
from kerasmeta.algorithms.maml import MAML
from kerasmeta.algorithms.meta_sgd import LearningRates
from kerasmeta.algorithms.meta_sgd import MetaSGD

ALGORITHMS = {
    "maml": MAML,
    "fomaml": FOMAML,
    "meta_sgd": MetaSGD,
}


def get(name):
  """The meta-learner class called `name`."""
  if name not in ALGORITHMS:
    raise ValueError(f"Unknown algorithm {name!r}; expected one of "
                     f"{sorted(ALGORITHMS)}.")
  return ALGORITHMS[name]
