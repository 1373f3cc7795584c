# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Few-shot adapters as SavedModels that TF Serving serves.

`export_adapter` writes a SavedModel whose signatures adapt inside the
served graph:

  adapt_and_predict(support_x, support_y, query_x)
      the meta-learned initial weights plus the inner loop (a bounded
      `tf.while_loop`) with the trained number of steps and learning rate,
      meta weights frozen (T, masks, Meta-SGD rates), masks at their most
      probable value so that the same request always gets the same answer.
  adapt_and_predict_with_options(support_x, support_y, query_x, num_steps,
                                 learning_rate)
      the same with the step count (0..max_steps) and learning rate chosen
      per request. (TF Serving requires every input of a signature, so the
      optional inputs live in a signature of their own.) `learning_rate`
      means one thing for every adapter: alpha, the inner step size the
      learner was configured with (`inner_learning_rate`; LEO's
      `latent_learning_rate`). Learned step sizes (Meta-SGD's per-weight
      rates, LEO's latent and fine-tuning rates) move in proportion,
      learning_rate / alpha times their trained values; so learning_rate =
      alpha always gives the trained adaptation.
  predict(x)
      the meta-learned model without adaptation.
  adapt(support_x, support_y) -> state, state_fingerprint
  predict_with_state(state, state_fingerprint, query_x)
      adapt once, predict many times (gradient learners): `adapt` returns
      the task's adapted weights as one float32 vector with the adapter's
      fingerprint, for a client to store; `predict_with_state` answers
      queries from it with no inner loop, as `adapt_and_predict` would,
      and refuses a state of another adapter or layout version
      (`kerasmeta.export.states`).
  adapt_batch(support_x, support_y), predict_with_state_batch(state,
                                                   state_fingerprint, query_x)
      the same for many users at once: a leading task axis, every task of
      a request the same size (gradient learners and LEO).

Outputs are named: `predictions`, and for classifiers also `probabilities`
and `classes`. Support and query sizes are dynamic, so one export serves 1-,
5- and 20-shot requests, up to the caps set at export (`max_support`,
`max_query`). Inputs are checked inside the graph, against their exact
shapes (the signatures declare no rank, so that no check is folded away
by a shape TF Serving does not enforce): a bad request fails with a message
saying what was wrong (feature shape, support sizes, labels out of range,
non-finite values, num_steps out of bounds, too many points). An adaptation
that diverges (adapted weights or outputs not finite) fails with
"adaptation diverged" instead of answering NaN. Inputs should be of the
scale the model was meta-trained on (features and regression targets
within a few orders of magnitude of it): an update of a model far outside
it can overflow.

Batch-norm in `task` mode (the MAML reference's) normalises the queries
with their own statistics: a query's answer then depends on the other
queries of the request. `export_adapter` refuses such a model unless
`allow_transductive=True` says that this is wanted; meta-train with
`batch_norm="running"` for answers that depend on each query alone.

The module tracks the raw `tf.Variable`s behind the Keras variables, not the
Keras model, so that TF Serving's C++ loader finds every variable
(tensorflow#72963, keras#20095). `export_adapted` writes a model already
adapted to one support set as `serving_default`.
"""

from kerasmeta.export import checks
from kerasmeta.export import registry
from kerasmeta.export import gradient  # registers GradientLearner
from kerasmeta.export import leo  # registers LEO
from kerasmeta.export import policy  # registers PolicyGradientMAML
from kerasmeta.export.checks import CLASSIFIER_LOSSES
from kerasmeta.export.checks import DEFAULT_MAX_QUERY
from kerasmeta.export.checks import DEFAULT_MAX_STEPS
from kerasmeta.export.checks import DEFAULT_MAX_SUPPORT
from kerasmeta.export.checks import check_class_labels
from kerasmeta.export.checks import check_options
from kerasmeta.export.gradient import AdaptedModule
from kerasmeta.export.gradient import AdapterModule
from kerasmeta.export.gradient import export_adapted
from kerasmeta.export.registry import ExportOptions
from kerasmeta.export.registry import export_adapter
from kerasmeta.export.registry import register
from kerasmeta.export.versions import next_version

__all__ = [
    "AdaptedModule", "AdapterModule", "check_class_labels", "check_options",
    "CLASSIFIER_LOSSES", "DEFAULT_MAX_QUERY", "DEFAULT_MAX_STEPS",
    "DEFAULT_MAX_SUPPORT", "export_adapted", "export_adapter",
    "ExportOptions", "next_version", "register"]
