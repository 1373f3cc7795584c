import math

import numpy as np

import kerasmeta as km
from kerasmeta import evaluation


def test_summary_is_mean_and_95_percent_interval_over_finite_tasks():
  values = [1.0, 2.0, 3.0, 4.0, float("nan"), float("inf")]
  summary = evaluation.summarize(values)
  assert summary["mean"] == 2.5
  assert summary["num_nonfinite"] == 2
  assert summary["num_tasks"] == 4
  assert summary["median"] == 2.5
  np.testing.assert_allclose(summary["ci95"],
                             1.96 * np.std([1, 2, 3, 4]) / 2)


def test_summary_of_all_diverged_tasks_is_nan_not_an_error():
  summary = evaluation.summarize([float("nan")] * 3)
  assert math.isnan(summary["mean"]) and summary["num_nonfinite"] == 3


def test_losses_by_step_start_at_the_unadapted_loss():
  model = km.models.mlp(hidden_sizes=(8,))
  learner = km.MAML(model, num_inner_steps=1, inner_learning_rate=0.01)
  distribution = km.SinusoidTasks(shots=5)
  tasks, seeds, _ = distribution.evaluation_tasks(6, seed=3)
  losses = evaluation.query_losses_by_step(learner, tasks, seeds, 3,
                                           jit_compile=False)
  assert losses.shape == (6, 4)
  unadapted = [float(np.mean((model(tasks.query_x[i]) - tasks.query_y[i])**2))
               for i in range(6)]
  np.testing.assert_allclose(losses[:, 0], unadapted, rtol=1e-5)
  assert not np.allclose(losses[:, 1], losses[:, 0])
