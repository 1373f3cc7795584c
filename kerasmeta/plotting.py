"""Pictures of adaptation: the true curve, the support set, the predictions."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf


def plot_sinusoid_adaptation(learner, task_distribution, path, num_tasks=4,
                             seed=1234, steps=(0, 1, 10), deterministic=False):
  """Writes a PNG with one panel per held-out task.

  Each panel shows the true curve, the K support points and the model's
  prediction after each number of inner steps in `steps` (0 = before
  adaptation).
  """
  tasks, seeds, data_seeds = task_distribution.evaluation_tasks(num_tasks,
                                                                seed)
  low, high = task_distribution.input_range
  grid = tf.reshape(tf.linspace(low, high, 200), [-1, 1])
  max_steps = max(steps)
  columns = min(num_tasks, 4)
  rows = int(np.ceil(num_tasks / columns))
  figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, 3 * rows),
                              squeeze=False)
  for index in range(num_tasks):
    task = tf.nest.map_structure(lambda t: t[index], tasks)
    _, _, trajectory = learner.adapt(task, seeds[index], num_steps=max_steps,
                                     deterministic=deterministic,
                                     return_trajectory=True)
    axis = axes[index // columns][index % columns]
    axis.plot(grid[:, 0], task_distribution.function(data_seeds[index], grid),
              color="black", label="true")
    axis.scatter(task.support_x[:, 0], task.support_y[:, 0], color="red",
                 zorder=3, label=f"support (K={task.support_x.shape[0]})")
    for step in steps:
      adapted = [values[step] for values in trajectory]
      prediction = learner.predict(adapted, grid, training=False)
      axis.plot(grid[:, 0], prediction[:, 0], linestyle="--",
                label=f"{step} step{'s' if step != 1 else ''}")
    axis.set_title(f"task {index}")
  axes[0][0].legend(fontsize="small")
  for extra in range(num_tasks, rows * columns):
    axes[extra // columns][extra % columns].axis("off")
  figure.tight_layout()
  with tf.io.gfile.GFile(path, "wb") as f:  # local paths and gs:// alike
    figure.savefig(f, format="png", dpi=100)
  plt.close(figure)
  return path
