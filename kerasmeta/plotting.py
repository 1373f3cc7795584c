# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Pictures of adaptation: the true curve, the support set, the predictions."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf


def _draw_sinusoid_task(axis, learner, task, seed, truth, grid, steps,
                        deterministic):
  """One panel: the true curve, the support and query points, and the
  predictions after each number of inner steps in `steps`.

  Returns:
    The task's query MSE after each number of steps in `steps`.
  """
  trajectory = learner.adapt(task, seed=seed, num_steps=max(steps),
                             deterministic=deterministic,
                             return_trajectory=True).trajectory
  axis.plot(grid[:, 0], truth, color="black", label="true curve")
  axis.scatter(task.query_x[:, 0], task.query_y[:, 0], facecolors="none",
               edgecolors="gray", zorder=3, label="query points")
  axis.scatter(task.support_x[:, 0], task.support_y[:, 0], color="red",
               zorder=4, label=f"support points (K={task.support_x.shape[0]})")
  errors = []
  for step in steps:
    adapted = [values[step] for values in trajectory]
    prediction = learner.predict(adapted, grid, training=False)
    axis.plot(grid[:, 0], prediction[:, 0], linestyle="--",
              label=f"after {step} inner step{'s' if step != 1 else ''}")
    query = learner.predict(adapted, task.query_x, training=False)
    errors.append(float(tf.reduce_mean(tf.square(query - task.query_y))))
  axis.set_xlabel("x")
  axis.set_ylabel("y")
  return errors


def _draw_losses_by_step(axis, results):
  """The query MSE against inner steps, one line per K: mean and its 95%
  interval (`evaluation.evaluate_sinusoid`'s results)."""
  for shots, by_step in results.items():
    steps = sorted(by_step, key=int)
    mean = np.array([by_step[s]["mean"] for s in steps])
    interval = np.array([by_step[s]["ci95"] for s in steps])
    numbers = [int(s) for s in steps]
    axis.plot(numbers, mean, marker="o", markersize=3, label=f"K={shots}")
    axis.fill_between(numbers, mean - interval, mean + interval, alpha=0.25)
  axis.set_yscale("log")
  axis.set_xlabel("inner steps")
  axis.set_ylabel("query MSE (mean, 95% interval)")
  axis.set_title("held-out tasks")
  axis.legend(fontsize="small")


def _save(figure, path, layout=True):
  if layout:
    figure.tight_layout()
  with tf.io.gfile.GFile(path, "wb") as f:  # local paths and gs:// alike
    figure.savefig(f, format="png", dpi=100)
  plt.close(figure)
  return path


def plot_sinusoid_adaptation(learner: Any, task_distribution: Any, path: str,
                             num_tasks: int = 4, seed: int = 1234,
                             steps: Sequence[int] = (0, 1, 10),
                             deterministic: bool = False,
                             results: Optional[dict[str, Any]] = None) -> str:
  """Writes a PNG with one panel per held-out task, and one of the losses.

  Each task's panel shows the true curve, the K support points, the query
  points and the model's prediction after each number of inner steps in
  `steps` (0 = before adaptation); its title gives the task's query MSE
  before and after. Where `results` (`evaluation.evaluate_sinusoid`'s) are
  given, a first panel shows the query MSE against inner steps for each K.
  The legend sits below the panels, off the data.
  """
  tasks, seeds, extras = task_distribution.evaluation_tasks(num_tasks, seed)
  low, high = task_distribution.input_range
  grid = tf.reshape(tf.linspace(low, high, 200), [-1, 1])
  panels = num_tasks + (results is not None)
  columns = min(panels, 5)
  rows = int(np.ceil(panels / columns))
  figure, axes = plt.subplots(rows, columns,
                              figsize=(3.6 * columns, 3.2 * rows + 0.6),
                              squeeze=False)
  axes = axes.ravel()
  if results is not None:
    _draw_losses_by_step(axes[0], results)
  for index in range(num_tasks):
    task = tf.nest.map_structure(lambda t: t[index], tasks)
    axis = axes[index + (results is not None)]
    errors = _draw_sinusoid_task(
        axis, learner, task, seeds[index],
        task_distribution.function(extras["data_seeds"][index], grid), grid,
        steps, deterministic)
    axis.set_title(f"task {index}: query MSE {errors[0]:.2f} \u2192 "
                   f"{errors[-1]:.2f}", fontsize="medium")
  for axis in axes[panels:]:
    axis.axis("off")
  handles, labels = axes[int(results is not None)].get_legend_handles_labels()
  figure.legend(handles, labels, loc="lower center", ncol=len(labels),
                fontsize="small", frameon=False)
  figure.tight_layout(rect=(0, 0.08, 1, 1))
  return _save(figure, path, layout=False)


def plot_sinusoid_comparison(learners: Mapping[str, Any],
                             task_distribution: Any, path: str,
                             num_tasks: int = 2, seed: int = 1234,
                             steps: Sequence[int] = (0, 1, 10)) -> str:
  """MAML's figure 2: the same held-out tasks adapted by each learner.

  Args:
    learners: `{title: learner}`, one column each (e.g. MAML and the
      pretrained baseline).
    task_distribution: the tasks (`SinusoidTasks`).
    path: the PNG to write.
    num_tasks: rows, one held-out task each.
    seed: the held-out tasks' seed.
    steps: the inner steps whose predictions are drawn (0: before).
  """
  tasks, seeds, extras = task_distribution.evaluation_tasks(num_tasks, seed)
  low, high = task_distribution.input_range
  grid = tf.reshape(tf.linspace(low, high, 200), [-1, 1])
  figure, axes = plt.subplots(num_tasks, len(learners),
                              figsize=(4.5 * len(learners), 3 * num_tasks),
                              squeeze=False)
  for index in range(num_tasks):
    task = tf.nest.map_structure(lambda t: t[index], tasks)
    truth = task_distribution.function(extras["data_seeds"][index], grid)
    for column, (title, learner) in enumerate(learners.items()):
      axis = axes[index][column]
      _draw_sinusoid_task(axis, learner, task, seeds[index], truth, grid,
                          steps, deterministic=False)
      axis.set_title(f"{title}, task {index}")
  axes[0][0].legend(fontsize="small")
  return _save(figure, path)


def plot_episodes(learner: Any, sampler: Any, path: str, num_tasks: int = 3,
                  seed: int = 1234, num_steps: int = 1,
                  deterministic: bool = False, queries_shown: int = 10) -> str:
  """Writes a PNG with one row per held-out episode.

  Each row shows the support images with their labels, then query images
  titled with the label predicted after `num_steps` inner steps (green when
  right, red when wrong).
  """
  episodes, seeds, _ = sampler.evaluation_tasks(num_tasks, seed)
  support_count = int(episodes.support_x.shape[1])
  total_queries = int(episodes.query_x.shape[1])
  shown = min(queries_shown, total_queries)
  # Queries are ordered by class: show some of every class.
  query_indices = np.linspace(0, total_queries - 1, shown).round().astype(int)
  columns = support_count + shown
  figure, axes = plt.subplots(num_tasks, columns,
                              figsize=(1.1 * columns, 1.3 * num_tasks),
                              squeeze=False)
  for row in range(num_tasks):
    task = tf.nest.map_structure(lambda t: t[row], episodes)
    adapted = learner.adapt(task, seed=seeds[row], num_steps=num_steps,
                            deterministic=deterministic).params
    logits = learner.predict(adapted, task.query_x)
    predicted = np.argmax(logits.numpy(), axis=-1)
    for column in range(columns):
      axis = axes[row][column]
      axis.axis("off")
      if column < support_count:
        image, title, color = (task.support_x[column],
                               f"y={int(task.support_y[column, 0])}", "black")
      else:
        index = query_indices[column - support_count]
        truth = int(task.query_y[index, 0])
        image, title = task.query_x[index], f"→{predicted[index]}"
        color = "green" if predicted[index] == truth else "red"
      pixels = image.numpy()
      if pixels.shape[-1] == 1:
        axis.imshow(pixels[..., 0], cmap="gray")
      else:  # RGB: uint8 or float in [0, 1]
        axis.imshow(pixels if pixels.dtype == np.uint8 else
                    np.clip(pixels, 0, 1))
      axis.set_title(title, color=color, fontsize=8)
  figure.suptitle("support (labels) | queries (predicted after "
                  f"{num_steps} step{'s' if num_steps != 1 else ''})")
  figure.tight_layout()
  with tf.io.gfile.GFile(path, "wb") as f:
    figure.savefig(f, format="png", dpi=80)
  plt.close(figure)
  return path


def plot_surfaces(learner: Any, distribution: Any, path: str,
                  num_tasks: int = 3, seed: int = 1234, extent: float = 3.5,
                  resolution: int = 120) -> None:
  """WarpGrad figure 5: trajectories on held-out surfaces.

  Bottom row: the surface in W with gradient descent (black) and WarpGrad
  (magenta) from the same initialisation, the one of the surface's
  initialisations where gradient descent ends worst relative to WarpGrad
  (the paper picks starts where gradient descent struggles). Top row: the
  warped surface f(gamma(theta)) in P, where WarpGrad runs plain gradient
  descent.
  """
  from kerasmeta.tasks import surfaces as surfaces_lib  # pylint: disable=g-import-not-at-top
  tasks = distribution.evaluation_tasks(num_tasks, seed).tasks
  axis = np.linspace(-extent, extent, resolution, dtype=np.float32)
  grid = np.stack(np.meshgrid(axis, axis), -1).reshape(-1, 2)
  figure, axes = plt.subplots(2, num_tasks, figsize=(4 * num_tasks, 8),
                              squeeze=False)
  for index in range(num_tasks):
    task = tf.nest.map_structure(lambda t: t[index], tasks)
    plain, _ = learner.descend(task, task.inits, warped=False)
    warped, path_p = learner.descend(task, task.inits)
    value = lambda points: surfaces_lib.surface_value(task, points).numpy()
    gap = value(plain[-1]) - value(warped[-1])
    start = int(np.argmax(gap))
    start_point = np.broadcast_to(task.inits[start].numpy(), grid.shape)
    surface_w = value(grid).reshape(resolution, resolution)
    surface_p = value(learner.warp(tf.constant(grid),
                                   tf.constant(start_point))).reshape(
                                       resolution, resolution)
    for row, (surface, paths) in enumerate([
        (surface_p, [(path_p[:, start], "m", "WarpGrad (in P)")]),
        (surface_w, [(plain[:, start], "k", "gradient descent"),
                     (warped[:, start], "m", "WarpGrad")])]):
      ax = axes[row, index]
      ax.contourf(axis, axis, surface, levels=30, cmap="viridis")
      for trajectory, color, label in paths:
        trajectory = np.asarray(trajectory)
        ax.plot(trajectory[:, 0], trajectory[:, 1], color=color, lw=1.5,
                label=label)
        ax.plot(trajectory[-1, 0], trajectory[-1, 1], "o", color=color)
      ax.plot(*task.inits[start].numpy(), "wx")
      ax.set_xlim(-extent, extent)
      ax.set_ylim(-extent, extent)
      ax.set_title(("P: warped surface" if row == 0 else
                    f"W: final f GD {value(plain[-1])[start]:.2f}, "
                    f"WarpGrad {value(warped[-1])[start]:.2f}"), fontsize=9)
      ax.legend(fontsize=7, loc="lower left")
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)


def plot_continual(curves_by_method: Mapping[str, Any], path: str,
                   steps_per_subtask: int = 20) -> None:
  """WarpGrad figure 10: each sub-task's mean loss over the sequence.

  Args:
    curves_by_method: `{method: [K + 1][T] mean validation losses}`.
    path: the PNG written.
    steps_per_subtask: n, where the sub-task boundaries are drawn.
  """
  methods = list(curves_by_method)
  figure, axes = plt.subplots(1, len(methods), figsize=(5 * len(methods), 3.5),
                              squeeze=False, sharey=True)
  for ax, method in zip(axes[0], methods):
    curves = np.asarray(curves_by_method[method])
    for subtask in range(curves.shape[1]):
      ax.plot(np.log(curves[:, subtask]), label=f"sub-task {subtask + 1}")
    for boundary in range(steps_per_subtask, curves.shape[0] - 1,
                          steps_per_subtask):
      ax.axvline(boundary, color="grey", lw=0.5, ls=":")
    ax.set_title(method)
    ax.set_xlabel("online step")
  axes[0, 0].set_ylabel("log validation loss")
  axes[0, -1].legend(fontsize=7)
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)


def plot_loss_curves(comparisons: Mapping[str, Mapping[str, Any]], path: str,
                     trained_steps: Optional[int] = None) -> None:
  """Optimisee loss along the steps, mean and 95% CI over problems, of each
  optimiser (learned: solid; hand-designed: dashed), one panel per
  optimisee (`{panel: {method: {"curves": [problems, steps + 1]}}}`)."""
  figure, axes = plt.subplots(1, len(comparisons),
                              figsize=(4.5 * len(comparisons), 3.4),
                              squeeze=False)
  for axis, (panel, methods) in zip(axes[0], comparisons.items()):
    for name, method in methods.items():
      curves = np.asarray(method["curves"], np.float64)
      mean = curves.mean(0)
      ci = 1.96 * curves.std(0) / np.sqrt(len(curves))
      steps = np.arange(len(mean))
      rate = method.get("learning_rate")
      label = name if rate is None else f"{name} ({rate:g})"
      line, = axis.plot(steps, mean, "-" if rate is None else "--",
                        label=label)
      axis.fill_between(steps, np.maximum(mean - ci, 1e-12), mean + ci,
                        color=line.get_color(), alpha=0.2)
    if trained_steps is not None and trained_steps < len(mean) - 1:
      axis.axvline(trained_steps, color="k", lw=0.8, ls=":")
    axis.set_yscale("log")
    axis.set_title(panel.replace("_", " "))
    axis.set_xlabel("step")
  axes[0][0].set_ylabel("optimisee loss")
  axes[0][-1].legend(fontsize=8)
  figure.tight_layout()
  figure.savefig(path, dpi=120)
  plt.close(figure)


def plot_navigation_adaptation(goals: Any, observations: Any, alive: Any,
                               path: str, steps: Optional[Sequence[int]] = None,
                               title: Optional[str] = None,
                               max_episodes: int = 5) -> str:
  """MAML's figure 4 (bottom): a navigation policy's episodes before and
  after adaptation, one panel per goal.

  Args:
    goals: [tasks, 2].
    observations: positions, [tasks, N + 1, episodes, horizon, 2] (from
      `kerasmeta.rl.evaluation.returns_by_step(keep_paths=True)`).
    alive: [tasks, N + 1, episodes, horizon].
    path: the PNG to write.
    steps: the inner steps to draw (default: 0 and N).
    title: the figure's title.
    max_episodes: episodes drawn per step and goal (the first ones).
  """
  goals, observations = np.asarray(goals), np.asarray(observations)
  alive = np.asarray(alive)
  num_tasks, last = observations.shape[0], observations.shape[1] - 1
  steps = (0, last) if steps is None else steps
  colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(steps)))
  figure, axes = plt.subplots(1, num_tasks, figsize=(3.2 * num_tasks, 3.4),
                              squeeze=False)
  for index, axis in enumerate(axes[0]):
    for color, step in zip(colors, steps):
      for episode in range(min(max_episodes, observations.shape[2])):
        live = alive[index, step, episode] > 0
        trace = observations[index, step, episode][live]
        axis.plot(trace[:, 0], trace[:, 1], color=color, alpha=0.5,
                  linewidth=1,
                  label=f"{step} step{'s' if step != 1 else ''}"
                  if episode == 0 else None)
    axis.scatter([0.0], [0.0], marker="o", color="black", zorder=3,
                 label="start")
    axis.scatter(goals[index, :1], goals[index, 1:], marker="*", s=150,
                 color="red", zorder=3, label="goal")
    axis.set_xlim(-0.6, 0.6)
    axis.set_ylim(-0.6, 0.6)
    axis.set_aspect("equal")
    if index == 0:
      axis.legend(fontsize=7, loc="lower left")
  if title:
    figure.suptitle(title)
  return _save(figure, path)


def plot_histogram(values: Any, path: str, label: str) -> str:
  """A histogram of `values` (e.g. returns over held-out tasks)."""
  figure, axis = plt.subplots(figsize=(5, 3.5))
  axis.hist(np.asarray(values), bins=20)
  axis.set_xlabel(label)
  axis.set_ylabel("tasks")
  return _save(figure, path)
