"""Labels read from file names and headers: patient IDs and pneumonia subtypes.

The public data set (Kermany et al. 2018) names its files after the patient and, for
pneumonia, the subtype: ``person1946_bacteria_4874.jpeg``, ``IM-0115-0001.jpeg``.
"""

import os
import re

import numpy as np

from ._dicom import dicom_patient_id

POSITIVE_CLASS = "PNEUMONIA"
NEGATIVE_CLASS = "NORMAL"
SUBTYPE_NAMES = ("NORMAL", "BACTERIA", "VIRUS")
"""``target_names`` of ``load_image_folder(..., target="subtype")``, in label order."""
_SUBTYPE_PATTERN = re.compile(r"_(bacteria|virus)_", re.IGNORECASE)
_PATIENT_PATTERNS = (
    re.compile(r"^(person\d+)_"),  # person1946_bacteria_4874.jpeg
    re.compile(r"(?:^|-)(IM-\d+)-"),  # IM-0115-0001.jpeg, NORMAL2-IM-1427-0001.jpeg
)


def patient_id(path):
    """Return the patient ID carried by a file name of the Kermany et al. dataset.

    ``person1946_bacteria_4874.jpeg`` gives ``"person1946"``;
    ``IM-0115-0001.jpeg`` and ``NORMAL2-IM-0115-0001.jpeg`` both give
    ``"IM-0115"`` (merging them can only make grouped splits stricter).
    Other names give their stem, so each such image is its own group.

    Parameters
    ----------
    path : str or path-like
        A file path or name.

    Returns
    -------
    str

    Examples
    --------
    >>> from skxray import patient_id
    >>> patient_id("train/PNEUMONIA/person1946_bacteria_4874.jpeg")
    'person1946'
    >>> patient_id("NORMAL2-IM-1427-0001.jpeg")
    'IM-1427'
    """
    name = os.path.basename(os.fspath(path))
    for pattern in _PATIENT_PATTERNS:
        match = pattern.search(name)
        if match:
            return match.group(1)
    return os.path.splitext(name)[0]


def _patient_group(path):
    """:func:`patient_id`; for a DICOM file whose name carries none, its PatientID tag."""
    group = patient_id(path)
    if group == os.path.splitext(os.path.basename(path))[0]:  # the name carries no ID
        group = dicom_patient_id(path) or group
    return group


def pneumonia_subtype(path):
    """Return ``"BACTERIA"`` or ``"VIRUS"`` from a pneumonia file name of the public dataset.

    The names of Kermany et al.'s pneumonia images carry the subtype:
    ``person1946_bacteria_4874.jpeg``, ``person1015_virus_1701.jpeg``.

    Parameters
    ----------
    path : str or path-like
        A file path or name.

    Returns
    -------
    str or None
        ``None`` when the name carries no subtype.

    Examples
    --------
    >>> from skxray import pneumonia_subtype
    >>> pneumonia_subtype("PNEUMONIA/person1015_virus_1701.jpeg")
    'VIRUS'
    >>> pneumonia_subtype("IM-0115-0001.jpeg") is None
    True
    """
    match = _SUBTYPE_PATTERN.search(os.path.basename(os.fspath(path)))
    return None if match is None else match.group(1).upper()


def _subtype_labels(paths, folder_target, classes, root):
    """Labels NORMAL 0, BACTERIA 1, VIRUS 2 of ``paths``, the mask of the files whose
    label is known, and one problem message per file whose name carries no subtype."""
    if sorted(classes) != sorted([NEGATIVE_CLASS, POSITIVE_CLASS]):
        raise ValueError(
            f"target='subtype' needs the public layout: class folders {NEGATIVE_CLASS}/ and "
            f"{POSITIVE_CLASS}/ (the subtype is read from the pneumonia file names); "
            f"{str(root)!r} has {list(classes)}."
        )
    labels = np.zeros(len(paths), dtype=np.int64)
    ok = np.ones(len(paths), dtype=bool)
    problems = []
    pneumonia = classes.index(POSITIVE_CLASS)
    for i, (path, label) in enumerate(zip(paths, folder_target, strict=True)):
        if label != pneumonia:
            continue
        subtype = pneumonia_subtype(path)
        if subtype is None:
            ok[i] = False
            problems.append(
                f"{path}: target='subtype' but the file name carries no pneumonia subtype "
                "(expected '_bacteria_' or '_virus_', as in person1_bacteria_1.jpeg)."
            )
            continue
        labels[i] = SUBTYPE_NAMES.index(subtype)
    return labels, ok, problems


def fit_labels(target, target_names):
    """The labels to fit a classifier on: ``target`` for two classes, the names for more.

    Two classes stay 0 / 1, so that ``scoring="f1"`` scores PNEUMONIA (label 1) as
    scikit-learn expects. Three or more become their names (``"BACTERIA"``...), so that a
    fitted model's ``classes_`` names its classes, sorted as scikit-learn sorts them.
    """
    target = np.asarray(target)
    if len(target_names) <= 2:
        return target
    return np.asarray(target_names, dtype=object)[target].astype(str)
