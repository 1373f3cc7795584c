r"""Few-shot classification of procedural glyphs (no download needed).

Handwriting-like alphabets generated from a seed (kerasmeta/tasks/glyphs.py),
split by alphabet 70/10/20 into meta-training, validation and test classes,
with rotations by 90, 180 and 270 degrees as extra classes (Omniglot's
protocol). A conv4 learner (64 filters, 28x28), MT-net's Omniglot settings:

  python -m apps.meta_train --config=apps/configs/glyphs.py:mtnet \
      --config.ways=5 --config.shots=1 --workdir=/tmp/glyphs_mtnet

VARIANT: maml, fomaml, meta_sgd, mnet, tnet, mtnet, warp_maml (3x3 conv warp
layers after each block, WarpGrad's few-shot learner), as for sinusoids,
optionally followed by N-way and K-shot: `glyphs.py:mtnet,20,5` is 20-way
5-shot with MT-net's 20-way settings (meta-batch 16, alpha 0.1); 5-way uses
meta-batch 32 and alpha 0.4.
Evaluation: 600 test episodes, query accuracy mean and 95% CI.
"""

import ml_collections

from apps.configs import sinusoid


def get_config(spec="mtnet"):
  """The config of `VARIANT[,WAYS[,SHOTS]]` (see the module docstring)."""
  variant, ways, shots = parse_spec(spec)
  config = sinusoid.get_config(variant)
  config.task = "glyphs"
  config.ways = 5
  config.shots = 1
  config.num_query = 15  # per class
  config.rotations = (0, 90, 180, 270)
  config.data_dir = "~/.cache/kerasmeta"  # generated glyphs are cached here
  config.glyphs = ml_collections.ConfigDict(dict(
      num_alphabets=30, characters_per_alphabet=20, samples_per_character=20,
      seed=0))
  config.model = "conv4"
  config.input_shape = (28, 28, 1)
  config.filters = 64
  config.pooling = "stride"  # or "max" (2x2 max-pooling after stride-1 convs)
  config.warp_block = "conv"  # with cell "warp": any of layers.warp.WARP_BLOCKS
  # "task": batch-norm uses each task's batch statistics (MAML reference);
  # "running": running statistics outside meta-training (see MetaLearner).
  config.batch_norm = "task"
  config.loss = "sparse_softmax_cross_entropy"
  # MT-net's Omniglot settings: 5-way meta-batch 32, alpha 0.4, 1 step
  # (20-way: meta-batch 16, alpha 0.1).
  config.meta_batch_size = 32
  config.inner_learning_rate = 0.4
  config.num_inner_steps = 1
  config.num_meta_steps = 20000
  config.log_every = 100
  config.checkpoint_every = 1000
  config.eval.num_inner_steps = 3
  config.eval.num_plot_tasks = 3
  config.ways, config.shots = ways, shots
  if ways >= 20:  # MT-net's 20-way settings
    config.meta_batch_size = 16
    config.inner_learning_rate = 0.1
  return config


def parse_spec(spec):
  """`"mtnet,20,5"` -> ("mtnet", 20, 5); ways and shots default to 5, 1."""
  parts = [part.strip() for part in str(spec).split(",")]
  if len(parts) > 3 or not all(part.isdigit() for part in parts[1:]):
    raise ValueError(f"Expected VARIANT[,WAYS[,SHOTS]], e.g. 'mtnet,20,1'; "
                     f"received {spec!r}.")
  numbers = [int(part) for part in parts[1:]] + [5, 1][len(parts) - 1:]
  return parts[0], numbers[0], numbers[1]
