"""``Task``: what a model predicts and what its labels mean, so a model and a dataset can be compared.

A task is binary (one output unit, n[L] = 1: Y is 0 or 1, meaning ``classes[0]`` or
``classes[1]``) or multiclass (n[L] = C output units: Y holds 0..C-1, meaning
``classes[0..C-1]``). For a model it also says what the output A[L] is: ``"probabilities"``
(a sigmoid or softmax output; a binary prediction is A[L] > 0.5) or ``"logits"`` (Z[L] itself;
a binary prediction is Z[L] > 0, a multiclass one the argmax either way). A dataset's task has
``output=None``: labels have no output.

    model.task = data.task          # after training: nn.save stores it in the file
    nn.check_task(model, test)      # before predicting: refuses a model and data of different tasks
"""

from __future__ import annotations

import json
import reprlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

KINDS = ("binary", "multiclass")
OUTPUTS = ("probabilities", "logits")
MAX_CLASSES = 10_000
MAX_CLASS_NAME = 200  # characters
MAX_TASK_CHARS = MAX_CLASSES * (MAX_CLASS_NAME + 4) + 200  # the longest JSON a valid Task can have


class TaskMismatchError(ValueError):
    """A model and data (or two models) made for different tasks; ``expected`` and ``found`` are the two Tasks."""

    def __init__(self, message: str, expected: Task, found: Task):
        super().__init__(message)
        self.expected, self.found = expected, found


@dataclass(frozen=True, init=False, repr=False)
class Task:
    """What a classifier predicts: its kind, its class names in label order and (for a model) what A[L] is.

    Args:
        kind: ``"binary"`` (n[L] = 1, labels 0/1) or ``"multiclass"`` (n[L] = C, labels 0..C-1).
        classes: the class names in label order: label i means ``classes[i]``. A number C stands
            for the names "0".."C-1". Binary: two names, default ("0", "1"). Multiclass: C >= 2
            names, required.
        output: for a model, ``"probabilities"`` (sigmoid/softmax output) or ``"logits"`` (Z[L]);
            None when unknown or for a dataset. Assigning a task to a model fills it in from
            the model's last layer.

    Examples:
        >>> Task("multiclass", classes=10, output="logits")
        Task('multiclass', classes 0..9, output='logits')
    """

    kind: str
    classes: tuple[str, ...] = ()
    output: str | None = None

    def __init__(self, kind: str, classes: Sequence[str] | int | None = None, output: str | None = None):
        if kind not in KINDS:
            raise ValueError(f"Task: kind must be 'binary' or 'multiclass', got {reprlib.repr(kind)}")
        if output is not None and output not in OUTPUTS:
            raise ValueError(f"Task: output must be 'probabilities', 'logits' or None, got {reprlib.repr(output)}")
        names = _class_names(kind, classes)
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "classes", names)
        object.__setattr__(self, "output", output)

    @property
    def n_y(self) -> int:
        """The output units n[L] a model of this task has: 1 for binary, C for multiclass."""
        return 1 if self.kind == "binary" else len(self.classes)

    def with_output(self, output: str | None) -> Task:
        """The same task with ``output`` ("probabilities", "logits" or None)."""
        return Task(self.kind, self.classes, output)

    def describe(self) -> str:
        """The task in words for messages: ``multiclass (classes 0..9)``, ``binary (even, odd)``."""
        return f"{self.kind} ({describe_classes(self.classes)})"

    @property
    def named(self) -> bool:
        """False when the classes are only numbered ("0".."C-1", e.g. a course file without list_classes)."""
        return self.classes != tuple(str(i) for i in range(len(self.classes)))

    def matches(self, other: Task) -> bool:
        """True for the same kind and the same classes in the same order (``output`` aside).

        Classes that are only numbered ("0", "1", ...) match any names of the same number.
        """
        if self.kind != other.kind or len(self.classes) != len(other.classes):
            return False
        return self.classes == other.classes or not self.named or not other.named

    def check_matches(self, other: Task, mine: str = "the model", theirs: str = "the data",
                      fix: str | None = None) -> None:
        """Raise ``TaskMismatchError`` naming both tasks unless ``other`` has this kind and these classes.

        ``mine`` names this task's owner (e.g. the model file), ``theirs`` the other's; ``fix``
        ends the message with what to do instead (e.g. "predict with --task multiclass").
        """
        if not isinstance(other, Task):
            raise TypeError(f"check_matches expects a Task, got {type(other).__name__}")
        if self.matches(other):
            return
        if self.kind == other.kind and set(self.classes) == set(other.classes):
            problem = f" (the same classes in another order: label 0 means {self.classes[0]!r} for one and " \
                      f"{other.classes[0]!r} for the other)"
        else:
            problem = ""
        message = (f"{mine} was trained for {self.describe()}; {theirs} has {other.kind} labels "
                   f"({describe_classes(other.classes)}){problem}")
        raise TaskMismatchError(message + (f": {fix}" if fix else ""), expected=self, found=other)

    def to_json(self) -> str:
        """The task as a JSON object (what ``nn.save`` stores in the model file)."""
        return json.dumps({"kind": self.kind, "classes": list(self.classes), "output": self.output})

    @classmethod
    def from_json(cls, text: str) -> Task:
        """The task stored by ``to_json``; ValueError naming the problem for anything else (sizes bounded)."""
        if not isinstance(text, str) or len(text) > MAX_TASK_CHARS:
            raise ValueError(f"the task should be a JSON string of at most {MAX_TASK_CHARS} characters")
        try:
            value = json.loads(text)
        except RecursionError:
            raise ValueError("the task is not valid JSON (nested too deeply)") from None
        except ValueError as e:
            raise ValueError(f"the task is not valid JSON: {str(e)[:200]}") from None
        if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
            raise ValueError(f"the task should be a JSON object with a 'kind', got {reprlib.repr(value)}")
        classes = value.get("classes")
        if not isinstance(classes, list):
            raise ValueError(f"the task's classes should be a list of names, got {reprlib.repr(classes)}")
        return cls(value["kind"], classes, value.get("output"))  # unknown keys are left for later versions

    def __repr__(self) -> str:
        output = "" if self.output is None else f", output={self.output!r}"
        return f"Task({self.kind!r}, {describe_classes(self.classes)}{output})"


def _class_names(kind: str, classes: Sequence[str] | int | None) -> tuple[str, ...]:
    if classes is None:
        if kind == "multiclass":
            raise ValueError("Task: a multiclass task needs its classes: a list of names in label order, or their "
                             "number C (names '0'..'C-1')")
        return ("0", "1")
    if isinstance(classes, int) and not isinstance(classes, bool):
        if not 2 <= classes <= MAX_CLASSES:
            raise ValueError(f"Task: the number of classes must be in 2..{MAX_CLASSES}, got {classes}")
        names = tuple(str(i) for i in range(classes))
    elif isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence):
        raise TypeError(f"Task: classes must be a list of names or a number, got {type(classes).__name__}")
    else:
        if len(classes) > MAX_CLASSES:
            raise ValueError(f"Task: at most {MAX_CLASSES} classes, got {len(classes)}")
        bad = [c for c in classes if not isinstance(c, str) or not c or len(c) > MAX_CLASS_NAME]
        if bad:
            raise ValueError(f"Task: class names must be non-empty strings of at most {MAX_CLASS_NAME} characters, "
                             f"got {reprlib.repr(bad[0])}")
        names = tuple(classes)
    if len(set(names)) != len(names):
        repeated = next(c for c in names if names.count(c) > 1)
        raise ValueError(f"Task: class {repeated!r} is named twice")
    if kind == "binary" and len(names) != 2:
        raise ValueError(f"Task: a binary task has exactly 2 classes (label 0, label 1), got {len(names)}: "
                         f"{reprlib.repr(list(names))}; for more use kind='multiclass'")
    if kind == "multiclass" and len(names) < 2:
        raise ValueError(f"Task: a multiclass task has at least 2 classes, got {len(names)}")
    return names


def describe_classes(classes: Sequence[str]) -> str:
    """``classes 0..9`` for the names "0".."9", ``even, odd`` for two, the first few and a count for many."""
    if len(classes) > 2 and tuple(classes) == tuple(str(i) for i in range(len(classes))):
        return f"classes 0..{len(classes) - 1}"
    if len(classes) <= 6:
        return ", ".join(classes)
    return f"{len(classes)} classes: {', '.join(classes[:4])}, ..., {classes[-1]}"


def output_of_layer(kind: str | None) -> str | None:
    """What a model's A[L] is, from the ``kind`` of its last layer: probabilities, logits, or None (unknown)."""
    if kind in ("sigmoid", "softmax"):
        return "probabilities"
    if kind in ("identity", "linear"):
        return "logits"
    return None


def output_for(task: Task | None) -> str:
    """The output activation a model built for ``task`` ends in when none is named: ``"identity"`` (logits Z[L],
    which ``cross_entropy`` takes) for a multiclass task, ``"sigmoid"`` (A[L] in (0, 1)) for a binary one or none;
    a task that names its output (``output="logits"`` or ``"probabilities"``) gets that.

    ``nn.MLP(..., task=data.task)`` and ``tinygrad-nb train --task`` both follow it.
    """
    if task is not None and task.output is not None:  # the task says what the model outputs
        return "identity" if task.output == "logits" else ("softmax" if task.kind == "multiclass" else "sigmoid")
    return "identity" if task is not None and task.kind == "multiclass" else "sigmoid"


def loss_for(kind: str | None, last: str | None, n_y: int | None) -> str:
    """The loss ``fit`` trains with when none is named: from the model's last layer (``last``, its kind:
    "sigmoid", "softmax", "identity", "linear", or None when unknown), then the task's ``kind`` ("binary",
    "multiclass" or None) and n[L] (``n_y``, None if unknown).

    - a sigmoid output: ``"binary_cross_entropy"`` (fit refuses it, naming the fix, for n[L] > 1 units
      against one row of labels);
    - a softmax output: ``"cross_entropy"``, which fit refuses on probabilities, naming the fix
      (output="identity");
    - logits (identity or linear): ``"cross_entropy"`` for a multiclass task (or n[L] > 1),
      ``"binary_cross_entropy_with_logits"`` for one unit;
    - anything else: ``"cross_entropy"`` for a multiclass task, ``"binary_cross_entropy"`` otherwise.
    """
    multiclass = kind == "multiclass" or (kind is None and n_y is not None and n_y > 1)
    if last == "sigmoid":
        return "binary_cross_entropy"
    if last == "softmax":
        return "cross_entropy"
    if output_of_layer(last) == "logits":
        return "cross_entropy" if multiclass else "binary_cross_entropy_with_logits"
    return "cross_entropy" if multiclass else "binary_cross_entropy"


def check_task(model: Any, data: Any, model_name: str = "the model", fix: str | None = None) -> Task | None:
    """Refuse to run ``model`` on ``data`` when they were made for different tasks; returns the model's task.

    ``data`` is an ``nn.datasets.Dataset`` (its ``.task``) or a ``Task``. A model without a task
    (``model.task is None``: built by hand, or loaded from a file saved before tasks were
    stored) cannot be checked: None is returned and the caller falls back on what the shapes say.

    Raises:
        TaskMismatchError (a ValueError): e.g. "model.h5 was trained for multiclass (classes 0..9);
            the data (digits) has binary labels (even, odd): predict with --task multiclass",
            ``fix`` being the last part.
    """
    task = getattr(model, "task", None)
    if task is None:
        return None
    if not isinstance(task, Task):
        raise TypeError(f"check_task: model.task must be an nn.Task or None, got {type(task).__name__}")
    other = data if isinstance(data, Task) else getattr(data, "task", None)
    if other is None:
        return task
    if not isinstance(other, Task):
        raise TypeError(f"check_task: expected a Dataset or an nn.Task, got {type(data).__name__}")
    name = getattr(data, "name", None)
    task.check_matches(other, mine=model_name, theirs=f"the data ({name})" if name else "the data", fix=fix)
    return task


__all__ = ["Task", "TaskMismatchError", "check_task"]
