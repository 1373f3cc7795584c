"""Task distributions."""

from kerasmeta.tasks.base import Task
from kerasmeta.tasks.base import task_from_points
from kerasmeta.tasks.base import validate_task
from kerasmeta.tasks.sinusoid import SinusoidTasks
