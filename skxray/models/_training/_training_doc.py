"""The numpydoc of the training parameters that every skxray classifier shares.

Their constraints are ``BaseXrayClassifier._parameter_constraints`` (``_base.py``); their
text is here, once, and ``@document_training_parameters`` puts it into each classifier's
docstring.
"""

TRAINING_PARAMETERS_DOC = """\
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        A Keras optimizer name ("adam", "sgd", "rmsprop"...) or instance. Its
        settings are routed parameters: ``optimizer__learning_rate=1e-3``,
        ``optimizer__momentum=0.9``.
    label_smoothing : float, default=0.0
        Label smoothing of the cross-entropy (binary, or categorical for
        three classes or more), in [0, 1].
    epochs : int, default=10
        Passes over the training data.
    batch_size : int, default=32
        Images per gradient step (and per prediction batch).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss; ``"balanced"`` weights them
        inversely to their frequencies.
    validation_split : float, default=0.0
        Fraction of the training data held out, stratified by class, and
        scored at the end of each epoch (in ``history_``).
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``patience``
        epochs and restore the best weights. Needs validation data.
    patience : int, default=3
        Epochs without improvement before early stopping.
    augmenter : XrayAugmenter, default=None
        Random transforms applied to training batches only, fresh each epoch.
    tta_shift : float, default=0.0
        Test-time augmentation: ``predict`` and ``predict_proba`` average the
        network's output over the image and its four translations (right,
        left, down, up) by this fraction of the width or height, with a
        reflected border; in [0, 0.5), 0 turns it off. Heatmaps explain the
        image itself.
    callbacks : list or dict of keras.callbacks.Callback, default=None
        Extra Keras callbacks. The estimator adds its own first, by name:
        ``"epoch_scores"`` (:class:`~skxray.EpochScores`, the F1 in
        ``history_``) and, with ``early_stopping=True``, ``"early_stopping"``.
        ``callbacks__epoch_scores=None`` switches one off and
        ``callbacks__epoch_scores=EpochScores("balanced_accuracy")`` replaces
        it, in the constructor or with ``set_params``.
    random_state : int, RandomState instance or None, default=None
        Seed of the weights, shuffling, dropout, augmentation and validation
        split. The same seed gives the same predictions on CPU.
    verbose : int, default=0
        Training progress. 1: a progress bar redrawn in place in a terminal,
        and one line per epoch (loss, F1, validation scores, time) when the
        output is a log file or a notebook; 2: always one line per epoch;
        0: silent.
    **routed_params
        scikeras routed parameters only (``optimizer__*``, ``fit__*``,
        ``predict__*``, ``callbacks__*``).
"""
"""numpydoc of the training parameters that every skxray classifier shares."""


def document_training_parameters(cls):
    """Class decorator: put :data:`TRAINING_PARAMETERS_DOC` where the docstring says
    ``{training_parameters}``."""
    marker = "    {training_parameters}\n"
    if marker not in cls.__doc__:
        raise AssertionError(f"{cls.__name__}'s docstring lacks {marker.strip()}")
    cls.__doc__ = cls.__doc__.replace(marker, TRAINING_PARAMETERS_DOC)
    return cls
