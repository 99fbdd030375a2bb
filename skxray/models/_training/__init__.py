"""The training machinery behind the classifiers (private): what only the base class uses.

- ``_base``: ``BaseXrayClassifier``, the scikeras wrapper both networks subclass;
- ``_callbacks``: ``EpochScores`` and the confusion-count metrics it reads;
- ``_losses``: the multiclass loss with label smoothing;
- ``_batches``: ``StreamBatches``, training batches decoded from an ``ImageStream``;
- ``_batchnorm``: batch-normalisation statistics recomputed after training;
- ``_seeding``: op determinism and Keras' default seeds, per thread;
- ``_tf_memory``: the TensorFlow gradient-registry release, and the retracing filter;
- ``_tta``: the translated views of test-time averaging;
- ``_training_doc``: the docstring text of the shared training parameters.

The networks, augmentation and recipes live one level up, in :mod:`skxray.models`.
"""
