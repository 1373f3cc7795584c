# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
r"""Glyph features for LEO: conv4 pre-trained to classify the training glyphs.

The offline stand-in for LEO's released image embeddings
(kerasmeta/pretraining.py): conv4 (64 filters, 28x28, global average
pooling to 64 features) with a Dense head over every training class of the
glyph experiments' dataset (the glyphs config's: 30 alphabets split 70/10/20
by alphabet, each rotation by 90, 180 or 270 degrees a class of its own),
trained with Adam; 4 of the 20 drawings of every training class are held
out to report the classifier's accuracy. Then the features of every image
of every split are written in LEO's format:

  python -m apps.pretrain_features --config=glyph_features \
      --workdir=/tmp/glyph_features

writes /tmp/glyph_features/embeddings/glyphs/center/{train,val,test}_
embeddings.pkl (or under --config.output_dir), which
`kerasmeta.tasks.embeddings.load(DIR, dataset="glyphs")` reads. Re-running
the command resumes an interrupted run from its last finished epoch.
"""

import ml_collections

from kerasmeta.apps.configs import common


def get_config():
  """The config (it takes no variant)."""
  config = common.new_config("glyphs")
  # The glyph experiments' dataset (apps/configs/glyphs.py), cached there.
  config.data_dir = "~/.cache/kerasmeta"
  config.input_shape = (28, 28, 1)
  config.glyphs = ml_collections.ConfigDict(dict(
      num_alphabets=30, characters_per_alphabet=20, samples_per_character=20,
      seed=0))
  config.rotations = (0, 90, 180, 270)  # every rotation a class
  # The feature extractor: conv4's blocks, global average pooling.
  config.feature_size = 64  # conv4's filters, and D
  config.pooling = "stride"  # or "max", as conv4 takes
  # Supervised pre-training (Keras fit, Adam).
  config.epochs = 20
  config.batch_size = 64
  config.learning_rate = 1e-3
  config.holdout_per_class = 4  # drawings per class held out for accuracy
  config.seed = 0
  # Where the embeddings go ("": WORKDIR/embeddings).
  config.output_dir = ""
  return config
