"""Task distributions."""

from kerasmeta.tasks import glyphs
from kerasmeta.tasks import omniglot
from kerasmeta.tasks.base import Task
from kerasmeta.tasks.base import task_from_points
from kerasmeta.tasks.base import validate_task
from kerasmeta.tasks.episodes import EpisodeSampler
from kerasmeta.tasks.sinusoid import SinusoidTasks
