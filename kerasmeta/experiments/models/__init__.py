# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""Models by name: `kerasmeta.experiments.models.{config.model}.build(config)`.

Each module builds one of `kerasmeta.models`' learners from a config's
fields; a new model is a new module here.
"""
