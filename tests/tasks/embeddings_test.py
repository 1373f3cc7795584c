# Copyright 2026 The kerasmeta Authors.
# SPDX-License-Identifier: Apache-2.0
"""LEO's embedding files and the episodes drawn from them."""

import os
import pickle

import numpy as np
import pytest
import tensorflow as tf

from kerasmeta.tasks import embeddings

FEATURES = 4


def _fields(counts, seed=0):
  """keys, embeddings and labels of classes "n0", "n1", ... of `counts`
  examples each, the classes interleaved as a file may list them."""
  rng = np.random.default_rng(seed)
  order = [(c, i) for i in range(max(counts)) for c, n in enumerate(counts)
           if i < n]
  keys = np.array([f"x{c}-n{c}-n{c}_{i:03d}.JPEG" for c, i in order])
  # Example i of class c lies near c * 10 + i along the first feature.
  values = rng.normal(size=(len(order), FEATURES)).astype(np.float32)
  values[:, 0] = [c * 10 + i for c, i in order]
  labels = np.array([c for c, _ in order], np.int64)
  return keys, values, labels


def _write_raw(path, fields):
  """A pickle as LEO's files are (a plain dict of numpy arrays)."""
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "wb") as f:
    pickle.dump(dict(zip(("keys", "embeddings", "labels"), fields)), f,
                protocol=2)


def test_a_written_split_reads_back_by_class_in_first_seen_order(tmp_path):
  keys, values, labels = _fields([3, 5, 4])
  path = str(tmp_path / "train_embeddings.pkl")
  assert embeddings.write_split(path, keys, values, labels) == path
  assert os.listdir(tmp_path) == ["train_embeddings.pkl"]  # no temporary
  with open(path, "rb") as f:
    raw = pickle.load(f, encoding="latin1")
  assert sorted(raw) == ["embeddings", "keys", "labels"]
  assert raw["embeddings"].dtype == np.float32
  np.testing.assert_array_equal(raw["keys"], keys)
  split = embeddings.read_split(path)
  assert split.classes == ("n0", "n1", "n2")
  assert split.counts == (3, 5, 4) and split.feature_size == FEATURES
  for c, (rows, names) in enumerate(zip(split.embeddings, split.keys)):
    np.testing.assert_array_equal(rows[:, 0], c * 10 + np.arange(len(rows)))
    assert list(names) == [f"x{c}-n{c}-n{c}_{i:03d}.JPEG"
                           for i in range(len(rows))]
    np.testing.assert_array_equal(split.labels[c], c)


def test_a_key_is_parsed_and_an_inconsistent_one_refused(tmp_path):
  assert embeddings.class_of_key("a-n017-n017_0001.JPEG") == "n017"
  keys, values, labels = _fields([2, 2])
  keys[3] = "x1-n1-n0_001.JPEG"
  path = str(tmp_path / "val_embeddings.pkl")
  _write_raw(path, (keys, values, labels))
  with pytest.raises(ValueError, match="'x1-n1-n0_001.JPEG' names class "
                     "'n1'"):
    embeddings.read_split(path)
  with pytest.raises(ValueError, match=r"'n1-n1_0' \(2 fields, not 3\)"):
    embeddings.class_of_key("n1-n1_0")
  with pytest.raises(ValueError, match="names class"):
    embeddings.write_split(path + ".new", keys, values, labels)
  assert not os.path.exists(path + ".new")


def test_wrong_fields_and_lengths_are_named(tmp_path):
  keys, values, labels = _fields([2, 2])
  path = str(tmp_path / "test_embeddings.pkl")
  _write_raw(path, (keys, values[:3], labels))
  with pytest.raises(ValueError, match=r"'embeddings': 3"):
    embeddings.read_split(path)
  with open(path, "wb") as f:
    pickle.dump({"keys": keys, "features": values}, f)
  with pytest.raises(ValueError, match=r"\['keys', 'embeddings', "
                     r"'labels'\]; received \['features', 'keys'\]"):
    embeddings.read_split(path)


def test_load_reads_the_three_files_and_names_a_missing_one(tmp_path):
  for index, name in enumerate(("train", "val", "test")):
    _write_raw(str(tmp_path / "miniImageNet" / "center" /
                   f"{name}_embeddings.pkl"), _fields([2, 3], seed=index))
  splits = embeddings.load(str(tmp_path))
  assert sorted(splits) == ["test", "train", "validation"]
  assert splits["validation"].counts == (2, 3)
  missing = os.path.join(str(tmp_path), "miniImageNet", "multiview",
                         "train_embeddings.pkl")
  with pytest.raises(FileNotFoundError, match=f"{missing!r}.*miniImageNet/"
                     r"multiview/\{train,val,test\}_embeddings.pkl"):
    embeddings.load(str(tmp_path), crop="multiview")
  with pytest.raises(ValueError, match="tieredImageNet embeddings come in "
                     r"crops \('center',\)"):
    embeddings.load(str(tmp_path), "tieredImageNet", "multiview")
  with pytest.raises(ValueError, match="Unknown embedding dataset"):
    embeddings.load(str(tmp_path), "imagenet")


def _tasks(counts=(6, 9, 7, 12), **kwargs):
  keys, values, labels = _fields(list(counts))
  split = embeddings.group_by_class(keys, values, labels)
  return embeddings.EmbeddingTasks(split, **{
      "ways": 3, "shots": 2, "queries": 3, **kwargs})


def test_episodes_of_unequal_classes_are_distinct_normalised_examples():
  tasks = _tasks()
  table = tasks._table.numpy()  # the normalised rows of every class
  for seed in range(20):
    task = tasks.sample(tf.constant([seed, 1], tf.int64))
    assert task.support_x.shape == (6, FEATURES)
    assert task.query_x.shape == (9, FEATURES)
    assert task.support_y.shape == (6, 1) and task.query_y.shape == (9, 1)
    assert task.support_x.dtype == tf.float32
    assert task.support_y.dtype == tf.int32
    np.testing.assert_array_equal(task.support_y[:, 0], [0, 0, 1, 1, 2, 2])
    np.testing.assert_array_equal(task.query_y[:, 0], np.repeat([0, 1, 2], 3))
    both = np.concatenate([task.support_x, task.query_x])
    np.testing.assert_allclose(np.linalg.norm(both, axis=1), 1, rtol=1e-6)
    rows = [int(np.argmin(np.abs(table - x).sum(1))) for x in both]
    assert len(set(rows)) == 15  # support and query disjoint, all distinct
    offsets = np.cumsum((0,) + tasks.counts)
    owner = lambda row: int(np.searchsorted(offsets, row, side="right")) - 1
    for label in range(3):  # one class per label, its own rows only
      members = {owner(r) for r, y in zip(rows, np.concatenate(
          [task.support_y[:, 0], task.query_y[:, 0]])) if y == label}
      assert len(members) == 1


def test_every_example_of_a_small_class_is_drawn():
  tasks = _tasks(counts=(5, 40), ways=2, shots=2, queries=3)
  seen = set()
  for seed in range(30):
    task = tasks.sample(tf.constant([seed, 0], tf.int64))
    seen.update(np.round(np.concatenate(
        [task.support_x, task.query_x])[:, 0], 5).tolist())
  smallest = tasks._table.numpy()[:5, 0]
  assert set(np.round(smallest, 5).tolist()) <= seen


def test_the_same_seed_gives_the_same_episode():
  tasks = _tasks()
  first, second = (tasks.sample(tf.constant([3, 4], tf.int64))
                   for _ in range(2))
  for a, b in zip(first, second):
    np.testing.assert_array_equal(a, b)
  other = tasks.sample(tf.constant([3, 5], tf.int64))
  assert not np.array_equal(first.support_x, other.support_x)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_a_batch_made_in_the_graph_is_the_datasets_batch(jit_compile):
  tasks = _tasks()
  assert tasks.compiles_with_xla
  expected = next(iter(tasks.dataset(5, 4, start_batch=3)))
  made = tf.function(lambda index: tasks.batch(5, index, 4),
                     jit_compile=jit_compile)(tf.constant(3, tf.int64))
  for want, got in zip(tf.nest.flatten(expected), tf.nest.flatten(made)):
    assert want.shape == got.shape and want.dtype == got.dtype
    np.testing.assert_array_equal(want, got)
  evaluation = tasks.evaluation_tasks(3, seed=7)
  assert evaluation.tasks.support_x.shape == (3, 6, FEATURES)


def test_classes_too_small_for_an_episode_are_named():
  with pytest.raises(ValueError, match=r"2 classes have fewer than 6: "
                     r"'n0' \(4\), 'n2' \(5\)"):
    _tasks(counts=(4, 9, 5), ways=2, shots=3, queries=3)
  with pytest.raises(ValueError, match=r"between 1 and the number of classes "
                     r"\(2\); received 3"):
    _tasks(counts=(6, 6), ways=3)
  arrays = {"a": np.ones((6, 3)), "b": np.ones((6, 2))}
  with pytest.raises(ValueError, match="class 'b' has shape"):
    embeddings.EmbeddingTasks(arrays, ways=2)


class _RunsACommand:
  """What a crafted pickle holds: unpickling it would call os.system."""

  def __init__(self, marker):
    self.marker = marker

  def __reduce__(self):
    import os  # pylint: disable=g-import-not-at-top
    return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_would_run_code_is_refused_by_name(tmp_path):
  import pickle  # pylint: disable=g-import-not-at-top
  marker = tmp_path / "ran"
  path = tmp_path / "train_embeddings.pkl"
  with open(path, "wb") as f:
    pickle.dump({"keys": ["a-n01-n01_1.jpg"], "embeddings": _RunsACommand(
        marker), "labels": [0]}, f, protocol=2)
  with pytest.raises(ValueError, match=r"refuses .*system.*: an embeddings "
                     "file holds only"):
    embeddings.read_split(str(path))
  assert not marker.exists()


def test_python2_and_python3_pickles_of_the_format_still_read(tmp_path):
  import pickle  # pylint: disable=g-import-not-at-top
  data = {"keys": [f"a-n0{c}-n0{c}_{i}.jpg" for c in range(2)
                   for i in range(3)],
          "embeddings": np.arange(18, dtype=np.float32).reshape(6, 3),
          "labels": np.repeat(np.arange(2), 3)}
  for protocol in (2, 4, 5):
    path = tmp_path / f"p{protocol}_embeddings.pkl"
    with open(path, "wb") as f:
      pickle.dump(data, f, protocol=protocol)
    split = embeddings.read_split(str(path))
    assert len(split.classes) == 2
    np.testing.assert_array_equal(np.concatenate(split.embeddings),
                                  data["embeddings"])
