# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""One line on each config field that is not a learner's argument
(`config_help`; a learner's arguments are described in its docstring)."""

FIELDS = {
    "activation": (
        "the hidden layers' activation (a Keras name): navigation, the "
        "policy's; learned_optimizer, the optimisee MLP's."),
    "algorithm": (
        "the learner's class by name (kerasmeta.algorithms.ALGORITHMS); "
        "config.learner holds its arguments."),
    "augment": (
        "omniglot_alphabets: randomly scale, rotate and shift every drawing "
        "of a task."),
    "batch_size": (
        "examples per step: continual_sine, points per SGD step; "
        "learned_optimizer (MLPs), the optimisee's mini-batch; "
        "glyph_features, the pre-training batch."),
    "cell": (
        "the kind of every weight layer (MT-net): dense, tnet (T matrices), "
        "mtnet (T and unit masks), mnet (unit masks), mtnet_full or "
        "mnet_full (per-weight masks)."),
    "checkpoint_every": (
        "meta-steps per checkpoint (and per validation score under "
        "select_checkpoint)."),
    "crop": (
        "the embeddings' crop, center or multiview (miniImageNet only): "
        "which files under data_dir are read."),
    "data_dir": (
        "where the data is: the prepared image folder (mini_imagenet, "
        "required), tfds' data_dir (Omniglot; '': tfds' own), the glyph "
        "cache, or the embedding files' directory (LEO, required)."),
    "dimension": (
        "learned_optimizer quadratic: the dimension of theta of every random "
        "quadratic."),
    "epochs": (
        "glyph_features: epochs of supervised pre-training (a re-run resumes "
        "from the last finished one)."),
    "eval.baselines": (
        "also evaluate SGD, Nesterov momentum, RMSProp and Adam, each at the "
        "rate of eval.learning_rates that does best on validation problems."),
    "eval.deterministic_masks": (
        "evaluate with MT-net masks at their most probable value instead of "
        "sampled ones (no effect on cells without masks)."),
    "eval.ewc_strengths": (
        "continual_sine: the EWC strengths tried, chosen together with the "
        "learning rate on validation sequences."),
    "eval.inner_learning_rate": (
        "navigation: the step size of the evaluation's first policy-gradient "
        "step."),
    "eval.later_learning_rate": (
        "navigation: the step size of the evaluation's later policy-gradient "
        "steps."),
    "eval.learning_rates": (
        "the learning rates tried on validation tasks: continual_sine, the "
        "online SGD's (with or without EWC); learned_optimizer, each "
        "baseline optimiser's."),
    "eval.max_inner_steps": (
        "regression: the query loss is reported after 0 to this many inner "
        "steps."),
    "eval.num_episodes": (
        "navigation: episodes sampled on each goal per evaluation step."),
    "eval.num_inner_steps": (
        "inner steps before the held-out queries are scored (navigation: "
        "policy-gradient steps, returns after 0..N; LEO: its latent steps, "
        "tied to learner.num_latent_steps)."),
    "eval.num_plot_tasks": (
        "held-out tasks whose adaptation is drawn in eval.png."),
    "eval.num_query": (
        "query examples per class of held-out episodes (more measure the "
        "same accuracy more precisely); LEO: 0 queries every example the "
        "support set leaves."),
    "eval.num_steps": (
        "learned_optimizer: optimisee steps of the evaluation's loss "
        "curves."),
    "eval.num_tasks": (
        "held-out test tasks evaluated (episodes, curves, goals, surfaces, "
        "task sequences or optimisee problems, by family); "
        "kerasmeta-evaluate --num_tasks overrides it."),
    "eval.num_validation_problems": (
        "learned_optimizer: validation problems each baseline's learning "
        "rate is chosen on."),
    "eval.num_validation_tasks": (
        "validation tasks that score every checkpoint under "
        "select_checkpoint; continual_sine: validation sequences that pick "
        "the learning rate and EWC strength."),
    "eval.random_order": (
        "continual_sine: the second presentation order evaluated besides "
        "the training order, as sub-interval indices (0: leftmost)."),
    "eval.seed": (
        "the seed of the held-out test tasks (and of the validation tasks "
        "that score checkpoints); kerasmeta-evaluate --seed overrides it."),
    "eval.shots": (
        "K at evaluation: regression, the support sizes each evaluated; "
        "image episodes, support examples per class where they differ from "
        "shots (WarpGrad's miniImageNet)."),
    "eval.validation_seed": (
        "continual_sine: the seed of the validation sequences."),
    "examples_per_class": (
        "images kept per class of the prepared folder (0: as many as the "
        "smallest class of each split has)."),
    "feature_size": (
        "glyph_features: conv4's filters per block, and so the features per "
        "image (global average pooling)."),
    "features": (
        "the embeddings' size, features per example; it must match the "
        "embedding files."),
    "filters": "conv4's filters per block.",
    "glyphs.characters_per_alphabet": (
        "characters (classes) per generated alphabet."),
    "glyphs.num_alphabets": (
        "procedural alphabets generated, split 70/10/20 by alphabet into "
        "training, validation and test classes."),
    "glyphs.samples_per_character": "drawings generated per character.",
    "glyphs.seed": "the seed the glyph dataset is generated from.",
    "goal_reward": "maze: the reward for reaching the goal.",
    "goal_tolerance": (
        "navigation: an episode ends once the position is within this "
        "distance of the goal in both coordinates (0: never early)."),
    "head": (
        "conv4's head: flatten (linear on the flattened features) or "
        "average (on their spatial average, as the MAML and MT-net code "
        "for Omniglot)."),
    "hidden_sizes": (
        "the MLP's hidden layer widths (navigation: the policy's; "
        "learned_optimizer: the optimisee's)."),
    "hidden_units": "maze: the task RNN's units.",
    "holdout_per_class": (
        "glyph_features: drawings per class held out of pre-training to "
        "report the classifier's accuracy."),
    "horizon": "steps per episode.",
    "initial_std": (
        "navigation: the policy's standard deviation of every action "
        "coordinate at the start."),
    "initializer": (
        "learned_optimizer (MLPs): the optimisee's theta_0, normal "
        "(weights and biases from N(0, 0.01^2)) or glorot (Glorot-uniform "
        "kernels, zero biases)."),
    "input_shape": (
        "the images' (height, width, channels); images are resized to it."),
    "jit_compile": (
        "XLA for the meta-step and the evaluation: on, off, or auto (XLA "
        "unless a convolutional model runs without a GPU or TPU)."),
    "kernel_initializer": (
        "continual_sine: the Keras initializer class (by name) of the MLP's "
        "kernels, seeded from seed, so that every variant starts from the "
        "same weights."),
    "learning_rate": "glyph_features: Adam's learning rate in pre-training.",
    "log_every": "meta-steps per metrics line.",
    "mask_initializer": (
        "how MT-net mask logits start: reference (per-weight logits from a "
        "truncated normal, as the MT-net code; unit logits at zero) or "
        "zeros (p = 0.5)."),
    "mask_temperature": (
        "the Gumbel-softmax temperature of MT-net mask samples (> 0)."),
    "max_checkpoints": "checkpoints kept in the workdir.",
    "maze_size": "maze: the maze's side in cells (odd).",
    "meta_batch_size": (
        "tasks per meta-step over all replicas (a multiple of their "
        "number)."),
    "meta_layers": (
        "the model's layers made meta, by name: fixed during adaptation, "
        "learned in the outer loop (WarpGrad's model partitioning)."),
    "meta_units": "maze: the Warp-RNN's meta-LSTM units.",
    "min_std": "navigation: the floor of the policy's standard deviation.",
    "mixed_precision": (
        "the Keras dtype policy the model is built under: '' (float32), "
        "mixed_bfloat16, or mixed_float16 (with loss scaling)."),
    "model": (
        "the learner's network by name: mlp, conv4 or linear "
        "(kerasmeta.experiments.models) for few-shot tasks; other families "
        "check it names theirs (e.g. gaussian_mlp, warp_rnn, leo)."),
    "modulation": (
        "maze: a Hebbian RNN's neuromodulation rule, simple or retroactive "
        "(None for the other models)."),
    "num_cpu_devices": (
        "logical devices the host CPU is split into, so that mirrored runs "
        "replicas on one machine's CPU (0 or 1: no split)."),
    "num_inits": (
        "warp_surfaces: initialisations per surface, each trained by "
        "gradient descent."),
    "num_meta_steps": (
        "meta-steps (outer updates) to train for; a resumed run may change "
        "it."),
    "num_query": (
        "query examples per class of a training episode (regression: query "
        "points per task); unused by omniglot_alphabets."),
    "num_subtasks": (
        "continual_sine: sub-intervals of [-5, 5] per sequence, learned one "
        "after the other."),
    "num_validation": (
        "continual_sine: validation points per sub-task, on which the "
        "meta-objective and the evaluation measure it."),
    "omniglot_protocol": (
        "Omniglot's class split: maml (the MAML code's 1,100/100/423 "
        "characters) or background (background alphabets to train, "
        "evaluation alphabets to test)."),
    "order": (
        "continual_sine: the order the sub-intervals (0: leftmost) are "
        "presented in during meta-training; (): left to right."),
    "outer_clipnorm": (
        "the global norm meta-gradients are clipped to (0: no clipping)."),
    "outer_epsilon": "Adam's epsilon in the outer optimiser (unused by sgd).",
    "outer_learning_rate": (
        "the outer optimiser's learning rate (beta); learners with scaled "
        "variable groups scale it per group."),
    "outer_optimizer": "the outer (meta) optimiser: adam or sgd.",
    "output_dir": (
        "glyph_features: where the embeddings are written ('': "
        "WORKDIR/embeddings)."),
    "polynomial_order": (
        "polynomial: the order n of the task polynomials (n + 1 "
        "coefficients)."),
    "pooling": (
        "conv4's downsampling: stride (stride-2 convolutions) or max (2x2 "
        "max-pooling after stride-1 convolutions)."),
    "protocol": (
        "maze: the budget the config was made for, cpu or paper, chosen as "
        "maze:VARIANT,PROTOCOL, which sets num_meta_steps and meta_units "
        "(nothing reads the field)."),
    "rotations": (
        "rotations in degrees that make extra classes: every rotation of a "
        "class is a class of its own (Omniglot's protocol); unused by "
        "omniglot_alphabets."),
    "seed": (
        "the run's seed: Keras' global seed and the training task stream's "
        "(continual_sine: also the MLP's fixed initialisation; "
        "glyph_features: pre-training's)."),
    "select_checkpoint": (
        "'validation': evaluate and export the checkpoint of the best "
        "validation score, scored at every checkpoint on "
        "eval.num_validation_tasks tasks; '': the latest."),
    "shots": (
        "K, support examples per class (regression: support points per "
        "task; omniglot_alphabets: drawings per character to adapt on)."),
    "split_seed": (
        "omniglot_alphabets: the seed that draws the test and validation "
        "alphabets."),
    "squared_distance": (
        "navigation: reward the negative squared distance to the goal "
        "instead of the distance."),
    "steps_per_call": (
        "meta-steps per compiled call where tasks are made in the graph; "
        "0: automatic (calls of about half a second, never across a log "
        "line or a checkpoint)."),
    "steps_per_subtask": "continual_sine: SGD steps on each sub-task.",
    "strategy": (
        "the tf.distribute strategy: default, one_device, mirrored, "
        "multi_worker (from TF_CONFIG) or tpu (with --tpu)."),
    "task": "the task family (kerasmeta.experiments finds its module).",
    "task_variant": (
        "sinusoid's task protocol: mtnet (frequency w ~ U[0.8, 1.2]) or "
        "maml (w = 1)."),
    "test_alphabets": (
        "omniglot_alphabets: alphabets held out for meta-testing."),
    "tpu_address": (
        "the TPU's address or name for strategy tpu ('local' on a TPU VM); "
        "--tpu sets it."),
    "train_on_val": (
        "LEO: meta-train on the training and validation classes together "
        "(the reference's --train_on_val); validation still scores "
        "checkpoints on its classes."),
    "validation_alphabets": (
        "omniglot_alphabets: alphabets held out for validation."),
    "variant": "the config file's variant, as named in --config=NAME:VARIANT.",
    "wall_penalty": "maze: subtracted from the reward of a move into a wall.",
    "warp": (
        "WarpGrad: interleave warp layers (warp_block) with the task "
        "layers."),
    "warp_after": (
        "with warp: the conv4 blocks (1 to 4) followed by a warp layer."),
    "warp_block": (
        "the warp layer of warp (kerasmeta.layers.warp.WARP_BLOCKS; an MLP "
        "takes linear, scale or residual_tanh)."),
    "warp_hidden_units": (
        "warp_surfaces: hidden units of the explicit warp's tanh layer."),
    "warp_projection_bias": (
        "maze Warp-RNN: the starting value of a learned bias c in "
        "U = tanh(P z + c) (None: no bias, eq. 16's U = tanh(P z))."),
    "ways": (
        "N, classes per episode (omniglot_alphabets: characters per alphabet "
        "task; alphabets with fewer are left out)."),
}
