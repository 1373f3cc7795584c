r"""mini-ImageNet (or tiered-ImageNet) few-shot classification from a folder.

Prepare the images as `DIR/{train,val,test}/<class>/*.jpg` (the 64/16/20
class split of Ravi & Larochelle; kerasmeta/tasks/image_folder.py), then:

  python -m apps.meta_train --config=apps/configs/mini_imagenet.py:maml,5,1 \
      --config.data_dir=DIR --workdir=/tmp/mini_maml

MAML's settings: 84x84 RGB, conv4 with 32 filters and 2x2 max-pooling, 5
inner steps with alpha 0.01 (10 at test), meta-batch 4 (2 for 5-shot), 15
queries per class. VARIANT[,WAYS[,SHOTS]] as in glyphs.py. tiered-ImageNet: --config.task=tiered_imagenet with
its folder. VARIANT: maml, fomaml, meta_sgd, mnet, tnet, mtnet, warp_maml.
"""

from apps.configs import glyphs


def get_config(spec="maml"):
  config = glyphs.get_config(spec)
  config.task = "mini_imagenet"
  del config["glyphs"]
  config.data_dir = ""  # required: the prepared folder
  config.examples_per_class = 600
  config.rotations = (0,)
  config.input_shape = (84, 84, 3)
  config.filters = 32
  config.pooling = "max"
  config.meta_batch_size = 2 if config.shots >= 5 else 4
  config.inner_learning_rate = 0.01
  config.num_inner_steps = 5
  config.num_meta_steps = 60000
  config.eval.num_inner_steps = 10
  return config
